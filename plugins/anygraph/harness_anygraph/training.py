"""Training AnyGraph on a group of graphs: the stage every zero-shot cell of the group shares.

Each epoch: route every training graph to its top-1 expert (link scores times the frequency
factors); then batches of ``batch`` known edges, each from one graph, in shuffled order, up to
``max_steps`` per graph (the official code keeps about 500 steps per dataset per epoch); each
batch updates only the routed expert, with its own Adam, by the sampled-softmax loss: the
positive against every random node drawn for the batch (:func:`sampled_softmax_loss`) plus
``reg`` times the squared norm of the expert's parameters. With ``recompute_svd`` the unified
input of every graph is drawn again after each epoch from a new SVD seed (augmentation).
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F

from harness_anygraph.experts import Expert, frequency_factors, route, routing_sample, routing_scores
from harness_anygraph.graph_input import GraphInput
from harness_anygraph.settings import ModelSettings, TrainingSettings


def make_experts(model: ModelSettings, backbone) -> list[Expert]:
    """``model.experts`` experts from the cell's backbone factory (``anygraph-expert``)."""
    return [backbone(model.dim, model.dim) for _ in range(model.experts)]


def sampled_softmax_loss(expert: Expert, inputs: torch.Tensor, anchors, positives, negatives) -> torch.Tensor:
    """``-log softmax`` of each anchor's positive among [positive, every negative of the batch]."""
    nodes = torch.cat([anchors, positives, negatives])
    anchor, positive, negative = expert(inputs[nodes]).split(len(anchors))
    logits = torch.cat([(anchor * positive).sum(-1, keepdim=True), anchor @ negative.t()], dim=1)
    return -F.log_softmax(logits, dim=1)[:, 0].mean()


class _Graph:
    """A training graph with its current unified input."""

    def __init__(self, graph: GraphInput, model: ModelSettings, seed: int):
        self.graph, self.model = graph, model
        self.reproject(seed)

    def reproject(self, seed: int) -> None:
        m = self.model
        self.inputs = self.graph.embeddings(m.dim, m.niter, seed, m.hops, m.use_features)


def _batches(graphs: list[_Graph], settings: TrainingSettings, generator: torch.Generator) -> list[tuple[int, torch.Tensor]]:
    """(graph index, edge positions) for one epoch, shuffled across graphs."""
    batches = []
    for index, graph in enumerate(graphs):
        order = torch.randperm(graph.graph.edges.size(1), generator=generator)
        chunks = list(order.split(settings.batch))[: settings.max_steps]
        batches += [(index, chunk) for chunk in chunks]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def train(inputs: list[GraphInput], model: ModelSettings, settings: TrainingSettings, backbone, seed: int, progress=None) -> dict:
    """The trained experts' state and the training trace (a stage payload)."""
    started = time.perf_counter()
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    experts = make_experts(model, backbone)
    optimizers = [torch.optim.Adam(expert.parameters(), lr=settings.lr) for expert in experts]
    trained = torch.ones(len(experts), dtype=torch.long)
    svd_seed = seed * 1_000_003
    graphs = [_Graph(graph, model, svd_seed) for graph in inputs]
    trace = {"loss": [], "assignment": [], "factors": []}
    for epoch in range(settings.epochs):
        factors = frequency_factors(trained, settings.correction_range) if settings.frequency_correction else None
        assignment = []
        for graph in graphs:
            sample = routing_sample(graph.graph.edges, graph.graph.num_nodes, settings.routing_edges, generator)
            assignment.append(route(routing_scores(experts, graph.inputs, *sample), factors) if len(experts) > 1 else 0)
        for expert in experts:
            expert.train()
        losses = []
        for index, chunk in _batches(graphs, settings, generator):
            graph, expert_id = graphs[index], assignment[index]
            expert, optimizer = experts[expert_id], optimizers[expert_id]
            anchors, positives = graph.graph.edges[:, chunk]
            negatives = torch.randint(graph.graph.num_nodes, (len(chunk),), generator=generator)
            loss = sampled_softmax_loss(expert, graph.inputs, anchors, positives, negatives)
            loss = loss + settings.reg * sum(p.pow(2).sum() for p in expert.parameters())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            trained[expert_id] += len(chunk)
            losses.append(loss.item())
        trace["loss"].append(sum(losses) / max(len(losses), 1))
        trace["assignment"].append(assignment)
        trace["factors"].append([] if factors is None else factors.tolist())
        if progress is not None:
            progress(epoch, settings.epochs, loss=trace["loss"][-1])
        if settings.recompute_svd and epoch + 1 < settings.epochs:
            for graph in graphs:
                graph.reproject(svd_seed + epoch + 1)
    return {
        "experts": [dict(expert.state_dict()) for expert in experts],
        "trained_samples": trained,
        "trace": trace,
        "graphs": [graph.graph.name for graph in graphs],
        "seconds": time.perf_counter() - started,
    }


def load_experts(payload: dict, model: ModelSettings, backbone) -> list[Expert]:
    experts = make_experts(model, backbone)
    for expert, state in zip(experts, payload["experts"]):
        expert.load_state_dict(state)
        expert.eval()
    return experts
