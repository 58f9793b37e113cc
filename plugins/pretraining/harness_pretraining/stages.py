"""The pre-trained checkpoints as stages of the run context, keyed by everything they depend on
and by nothing downstream: strategy, its settings, the corpus (name, parameters such as its
size, version), the GNN without its dropout, the pre-training dropout and seed. Every method of
this plugin declares them as the family :data:`FAMILY`, so that ``attrmasking`` and
``supervised-pretrain`` with ``init: attrmasking`` share one node-level pre-training.

The node-level stage reads the unlabelled corpus only. The supervised stage reads the labelled
sources' training splits and, of the downstream task, the SMILES of its validation and test
molecules (to remove them from the corpus), never a downstream label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from harness.checkpoints import load_checkpoint
from harness_pretraining import strategies
from harness_pretraining.finetune import GraphPredictor, labelled_graphs, masked_bce
from harness_pretraining.gnn import Gnn
from harness_pretraining.labelled_corpus import held_out, labelled_corpus, sources_for
from harness_pretraining.pretrain_loop import PretrainSettings, pretrain

FAMILY = "hu-pretraining"


@dataclass(frozen=True)
class NodeLevelPlan:
    strategy: str
    corpus: Any  # a dataset reference
    settings: PretrainSettings
    strategy_settings: strategies.StrategySettings
    dropout: float
    seed: int


@dataclass(frozen=True)
class SupervisedPlan:
    sources: list  # dataset references
    size: int
    settings: PretrainSettings
    dropout: float
    seed: int


def same_coding(corpus, task, what: str) -> None:
    """A checkpoint fits the downstream GNN only if both codings agree (same featurisation)."""
    if corpus.categorical != task.categorical:
        def coding(view):
            return view.categorical.vocabulary if view.categorical is not None else "numbers"

        raise ValueError(f"{what} is coded as {coding(corpus)!r} but {task.name} as {coding(task)!r}: give both the same featurization")


def node_level(context, gnn: Gnn, plan: NodeLevelPlan, task) -> tuple[dict, str]:
    """The node-level checkpoint of ``plan`` (built or reused) and its stage key."""
    corpus = context.load_task(plan.corpus)
    same_coding(corpus, task, f"the corpus {corpus.name}")
    params = {
        "strategy": plan.strategy,
        **plan.settings.key(),
        **plan.strategy_settings.key(plan.strategy),
        "dropout": plan.dropout,
        "gnn": gnn.key(),
    }

    def build() -> dict:
        model = gnn.build(corpus.in_dim, corpus.categorical, dropout=plan.dropout)
        context_layers = plan.strategy_settings.context_size

        def context_gnn():
            return gnn.build(corpus.in_dim, corpus.categorical, dropout=plan.dropout, num_layers=context_layers)

        objective = strategies.objective(plan.strategy, plan.strategy_settings, gnn.width, gnn.num_layers, corpus.categorical, context_gnn, model)
        graphs = [corpus.graphs[i] for i in corpus.items["train"].tolist()]
        return pretrain(model, objective, lambda batch: objective.loss(model, batch), graphs, plan.settings, context, plan.strategy)

    name = f"pretrain-{plan.strategy}"
    payload = context.stage(name, build, params=params, datasets=[corpus], seed=plan.seed, family=FAMILY)
    return payload, next(stage["key"] for stage in context.stages if stage["name"] == name)


def supervised(context, gnn: Gnn, plan: SupervisedPlan, task, init: tuple[dict, str] | None) -> tuple[dict, dict]:
    """The graph-level supervised checkpoint (from ``init``'s weights, a node-level payload and
    its key, or from random weights) on the leave-one-out labelled corpus of ``task``; returns
    the payload and what the record keeps about the corpus."""
    lending = sources_for(task.name, [reference["name"] for reference in plan.sources])
    sources = [context.load_task(reference) for reference in plan.sources if reference["name"] in lending]
    for source in sources:
        same_coding(source, task, f"the labelled source {source.name}")
    removed = held_out(task)  # SMILES only: the stage never reads a downstream label
    params = {"init": None if init is None else init[1], **plan.settings.key(), "dropout": plan.dropout, "size": plan.size, "gnn": gnn.key()}

    def build() -> dict:
        corpus = labelled_corpus(sources, removed, size=plan.size, seed=plan.seed)
        model = GraphPredictor(gnn.build(task.in_dim, task.categorical, dropout=plan.dropout), gnn.width, len(corpus.tasks))
        if init is not None:
            load_checkpoint(model.gnn, init[0]["gnn"], "the node-level checkpoint")
        graphs = labelled_graphs(corpus.graphs, torch.arange(len(corpus.graphs)), corpus.labels)
        payload = pretrain(model.gnn, model.head, lambda batch: masked_bce(model(batch), batch.y), graphs, plan.settings, context, "supervised")
        return {**payload, "corpus": corpus.summary()}

    payload = context.stage("pretrain-supervised", build, params=params, datasets=[*sources, task], seed=plan.seed, family=FAMILY)
    return payload, payload.get("corpus", {})
