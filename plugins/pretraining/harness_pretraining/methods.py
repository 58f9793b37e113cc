"""The methods of the family: each pre-trains (or not) and then fine-tunes through the same code
path (:mod:`.finetune`)."""

from __future__ import annotations

from harness_pretraining import stages, strategies
from harness_pretraining.finetune import FinetuneSettings, finetune
from harness_pretraining.gnn import of as gnn_of
from harness_pretraining.pretrain_loop import PretrainSettings, summary


class Finetuning:
    """``none``: fine-tuning from random weights, Hu et al.'s "no pre-train" baseline."""

    def __init__(self, epochs, lr, weight_decay, batch_size):
        self.finetuning = FinetuneSettings(epochs, lr, weight_decay, batch_size)

    def run(self, task, encoder, backbone, context):
        task = context.encode(task, encoder)
        gnn = gnn_of(backbone, context)
        checkpoint, notes = self.checkpoint(task, gnn, context)
        model = gnn.build(task.in_dim, task.categorical)
        predictions = finetune(task, model, gnn.width, self.finetuning, context, checkpoint, f"the {context.cell.method.name} checkpoint")
        predictions.extra.update(notes)
        return predictions

    def checkpoint(self, task, gnn, context) -> tuple[dict | None, dict]:
        """The weights to start fine-tuning from (None: random) and what the record keeps."""
        return None, {}


class NodeLevel(Finetuning):
    """A node-level strategy (``attrmasking``, ``contextpred``, ``edgepred``, ``infomax``):
    pre-train on the unlabelled corpus, then fine-tune."""

    strategy = ""

    def __init__(self, epochs, lr, weight_decay, batch_size, corpus, pretrain_epochs, pretrain_batch_size, pretrain_lr, pretrain_dropout,
                 pretrain_seed, **strategy_settings):
        super().__init__(epochs, lr, weight_decay, batch_size)
        settings = PretrainSettings(pretrain_epochs, pretrain_batch_size, pretrain_lr)
        self.plan = stages.NodeLevelPlan(self.strategy, corpus, settings, strategies.StrategySettings(**strategy_settings), pretrain_dropout, pretrain_seed)

    def checkpoint(self, task, gnn, context):
        payload, _ = stages.node_level(context, gnn, self.plan, task)
        return payload["gnn"], {"pretraining": [summary(payload, self.strategy)]}


class AttrMasking(NodeLevel):
    """``attrmasking``: mask atoms, predict their types (:mod:`harness.objectives.attribute_masking`)."""

    strategy = "attrmasking"


class ContextPred(NodeLevel):
    """``contextpred``: a root's substructure against its context ring, encoded by a separate
    context GNN (:mod:`harness.objectives.context_prediction`)."""

    strategy = "contextpred"


class EdgePred(NodeLevel):
    """``edgepred``: bonds against non-bonds by dot product (:mod:`harness.objectives.edge_prediction`)."""

    strategy = "edgepred"


class Infomax(NodeLevel):
    """``infomax``: atoms against their molecule's summary and another molecule's
    (:mod:`harness.objectives.infomax`)."""

    strategy = "infomax"


class L2P(NodeLevel):
    """``l2p-gnn``: L2P-GNN's meta-learned pre-training on the unlabelled corpus (node-level link
    prediction and graph-level sub-structure matching, one differentiable inner step each), then
    fine-tuning like Hu et al."""

    strategy = "l2p-gnn"


class SupervisedPretraining(Finetuning):
    """``supervised-pretrain``: graph-level multi-task pre-training on the labelled corpus, from
    random weights (``init: none``, the naive multi-task baseline) or from a node-level
    checkpoint (``init: <strategy>``, Hu et al.'s node-then-graph strategy); then fine-tune."""

    def __init__(self, epochs, lr, weight_decay, batch_size, init, labelled, labelled_size, supervised_epochs, supervised_batch_size,
                 supervised_lr, supervised_dropout, corpus, pretrain_epochs, pretrain_batch_size, pretrain_lr, pretrain_dropout, pretrain_seed,
                 **strategy_settings):
        super().__init__(epochs, lr, weight_decay, batch_size)
        node_settings = PretrainSettings(pretrain_epochs, pretrain_batch_size, pretrain_lr)
        self.init = None if init == "none" else stages.NodeLevelPlan(init, corpus, node_settings, strategies.StrategySettings(**strategy_settings),
                                                                   pretrain_dropout, pretrain_seed)
        supervised_settings = PretrainSettings(supervised_epochs, supervised_batch_size, supervised_lr)
        self.plan = stages.SupervisedPlan(list(labelled), labelled_size, supervised_settings, supervised_dropout, pretrain_seed)

    def checkpoint(self, task, gnn, context):
        notes = []
        init = None
        if self.init is not None:
            init = stages.node_level(context, gnn, self.init, task)
            notes.append(summary(init[0], self.init.strategy))
        payload, corpus = stages.supervised(context, gnn, self.plan, task, init)
        notes.append(summary(payload, "supervised"))
        return payload["gnn"], {"pretraining": notes, "labelled_corpus": corpus}
