"""The methods: ``anygraph`` (trained on a group, zero-shot on the cell's dataset) and its two
training-free baselines on the same input, ``anygraph-untrained`` (one expert as initialised)
and ``anygraph-features`` (the SVD + propagation input alone). None of them takes a gradient
step on the cell's dataset; every score is a dot product of node embeddings."""

from __future__ import annotations

import torch

from harness.task import Predictions
from harness_anygraph.graph_input import graph_input
from harness_anygraph.settings import ModelSettings, TrainingSettings
from harness_anygraph.training import load_experts, make_experts, train
from harness_anygraph.zero_shot import predictions, unified_input, zero_shot


def _model(dim, experts, hops, niter, use_features) -> ModelSettings:
    return ModelSettings(dim=dim, experts=experts, hops=hops, niter=niter, use_features=use_features)


class AnyGraph:
    """Trained on ``train_on`` (a stage keyed by the group's identities, the settings, the
    expert backbone and the seed), evaluated zero-shot on the cell's dataset."""

    def __init__(self, train_on, zero_shot, dim, experts, hops, niter, use_features, epochs, batch, max_steps, lr, reg,
                 frequency_correction, correction_range, recompute_svd, routing_edges):
        self.train_on = train_on if isinstance(train_on, list) else [train_on]
        self.zero_shot = zero_shot
        self.model = _model(dim, experts, hops, niter, use_features)
        self.training = TrainingSettings(epochs=epochs, batch=batch, max_steps=max_steps, lr=lr, reg=reg, frequency_correction=frequency_correction,
                                         correction_range=correction_range, recompute_svd=recompute_svd, routing_edges=routing_edges)

    def run(self, task, encoder, backbone, context) -> Predictions:
        group = [context.load_task(reference) for reference in self.train_on]
        params = {"model": self.model.as_params(), "training": self.training.as_params()}
        payload = context.stage("anygraph-model", lambda: train([graph_input(t) for t in group], self.model, self.training, backbone, context.seed, context.log_progress),
                                params=params, datasets=group, seed=context.seed, uses=("backbone",))
        experts = load_experts(payload, self.model, backbone)
        context.track(*experts)
        trace = payload["trace"]
        return zero_shot(task, experts, self.model, self.training.routing_edges, context.seed, training_seconds=payload["seconds"],
                         training_loss=trace["loss"], training_assignment=trace["assignment"], frequency_factors=trace["factors"],
                         trained_samples=payload["trained_samples"].tolist(), training_graphs=payload["graphs"])


class UntrainedExpert:
    """One expert as initialised from the cell's seed (no training), on the same input."""

    def __init__(self, dim, hops, niter, use_features):
        self.model = _model(dim, 1, hops, niter, use_features)

    def run(self, task, encoder, backbone, context) -> Predictions:
        torch.manual_seed(context.seed)
        experts = make_experts(self.model, backbone)
        context.track(*experts)
        return zero_shot(task, experts, self.model, 0, context.seed)


class PropagatedFeatures:
    """The SVD + propagation input itself as node embeddings: no parameters at all."""

    def __init__(self, dim, hops, niter, use_features):
        self.model = _model(dim, 1, hops, niter, use_features)

    def run(self, task, encoder, backbone, context) -> Predictions:
        graph = graph_input(task)
        return predictions(task, graph, unified_input(graph, self.model, context.seed))
