"""The two settings AUX-TS trains in, each building the multi-task model (:mod:`.aux_model`), the
training batches and the predictions for the validation and test items:

- node classification (:class:`NodeSetting`): the cell's backbone as the encoder of node
  embeddings (``embedding_dim`` wide) on the whole graph, full batch; auxiliary tasks ``link``
  (link reconstruction: :class:`harness.objectives.edge_prediction.EdgePrediction` on the
  graph, every edge against as many sampled non-edges), ``attributes`` (attribute
  reconstruction: :class:`harness.objectives.feature_reconstruction.FeatureReconstruction`)
  and ``random-labels`` (:mod:`.random_labels`, one label per node). The auxiliary tasks read
  the graph's structure and features, never a label;
- molecules (:class:`GraphSetting`): the GNN of the pre-training family (:mod:`.gnn`),
  from the ``init`` strategy's checkpoint (the family's shared stage, :func:`.stages.node_level`)
  or from random weights, Hu et al.'s mean pooling and linear head, mini-batches of training
  molecules; auxiliary tasks are the node-level strategies' objectives (``attrmasking``,
  ``contextpred``, ``edgepred``, ``infomax``, with fresh heads, as pre-training drops them) on
  the same mini-batches, and ``random-labels`` (one per molecule).

The encoder and the target head are built before any auxiliary module, so that the weightings
start from the same target model for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from harness.components import TaskType
from harness_pretraining import random_labels, stages, strategies
from harness_pretraining.aux_model import GraphTarget, MultiTaskModel, NodeTarget
from harness_pretraining.gnn import of as gnn_of

NODE_AUXILIARIES = ("link", "attributes", "random-labels")
GRAPH_AUXILIARIES = (*strategies.NODE_LEVEL, "random-labels")
#: every auxiliary task's name, node tasks' then molecules'
AUXILIARIES = tuple(dict.fromkeys((*NODE_AUXILIARIES, *GRAPH_AUXILIARIES)))
#: what an empty ``auxiliaries`` means on node tasks: Han et al.'s link and attribute reconstruction
NODE_DEFAULT = ("link", "attributes")


@dataclass(frozen=True)
class SettingOptions:
    """What the settings need of the method's parameters."""

    auxiliaries: tuple[str, ...]  # empty: the setting's default
    embedding_dim: int
    batch_size: int
    init: stages.NodeLevelPlan | None
    strategy_settings: strategies.StrategySettings
    with_auxiliaries: bool  # False for target-only: no auxiliary module is built
    random_labels_head: str = "target"  # random-labels: the target's classifier or a head of its own


def chosen(names: tuple[str, ...], valid: tuple[str, ...], default: tuple[str, ...], where: str) -> tuple[str, ...]:
    """The auxiliary tasks to build: ``names``, or ``default`` when empty; names of the other
    setting are refused with the valid ones."""
    names = tuple(names) or default
    wrong = [name for name in names if name not in valid]
    if wrong:
        raise ValueError(f"auxiliary tasks {wrong} do not apply to {where}; valid there: {', '.join(valid)}")
    return names


class NodeSetting:
    keeps_every_epoch = False

    def __init__(self, task, backbone, options: SettingOptions, context):
        self.task, self.device = task, context.device
        self.data = task.data.to(context.device)
        width = options.embedding_dim
        encoder = backbone(task.in_dim, width)
        target = NodeTarget(width, task.num_outputs, task.items["train"], task.labels["train"])
        self.names = chosen(options.auxiliaries, NODE_AUXILIARIES, NODE_DEFAULT, "node tasks") if options.with_auxiliaries else ()
        auxiliaries = {name: self.auxiliary(name, width, target, options, context.seed) for name in self.names}
        self.model = MultiTaskModel(encoder, target, auxiliaries).to(context.device)
        self.notes: dict = {}

    def auxiliary(self, name: str, width: int, target: NodeTarget, options: SettingOptions, seed: int):
        if name == "link":
            from harness.objectives.edge_prediction import EdgePrediction

            return EdgePrediction()
        if name == "attributes":
            from harness.objectives.feature_reconstruction import FeatureReconstruction

            return FeatureReconstruction(width, self.task.in_dim, rate=options.strategy_settings.mask_rate)
        labels = random_labels.draw(self.data.num_nodes, self.task.num_outputs, seed)
        borrowed = target.head if options.random_labels_head == "target" else None
        return random_labels.RandomNodeLabels(width, labels, self.task.num_outputs, borrowed)

    def batches(self):
        yield self.data

    @torch.no_grad()
    def predict(self) -> tuple[torch.Tensor, torch.Tensor]:
        self.model.eval()
        logits = self.model.logits(self.data)
        return tuple(logits[self.task.items[split].to(self.device)].cpu() for split in ("valid", "test"))


class GraphSetting:
    keeps_every_epoch = True  # Hu et al.'s fine-tuning keeps the whole curve

    def __init__(self, task, backbone, options: SettingOptions, context):
        from torch_geometric.loader import DataLoader

        self.task, self.device, self.batch_size = task, context.device, options.batch_size
        gnn = gnn_of(backbone, context)
        encoder = gnn.build(task.in_dim, task.categorical)
        self.notes = self.load_init(encoder, gnn, options.init, task, context)
        target = GraphTarget(gnn.width, task.num_outputs)
        default = () if options.init is None else (options.init.strategy,)
        self.names = chosen(options.auxiliaries, GRAPH_AUXILIARIES, default, "graph tasks") if options.with_auxiliaries else ()
        auxiliaries = {name: self.auxiliary(name, gnn, encoder, target, options) for name in self.names}
        self.model = MultiTaskModel(encoder, target, auxiliaries).to(context.device)
        self.random_labels_head = options.random_labels_head
        self.loader = DataLoader(self.training_graphs(context.seed), batch_size=options.batch_size, shuffle=True)
        self.held = {split: [task.graphs[i] for i in task.items[split].tolist()] for split in ("valid", "test")}

    @staticmethod
    def load_init(encoder, gnn, plan, task, context) -> dict:
        if plan is None:
            return {}
        from harness.checkpoints import load_checkpoint
        from harness_pretraining.pretrain_loop import summary

        payload, _ = stages.node_level(context, gnn, plan, task)
        load_checkpoint(encoder, payload["gnn"], f"the {plan.strategy} checkpoint")
        return {"pretraining": [summary(payload, plan.strategy)]}

    def auxiliary(self, name: str, gnn, encoder, target: GraphTarget, options: SettingOptions):
        if name == "random-labels":
            if options.random_labels_head == "target":
                return random_labels.RandomGraphLabels(gnn.width, self.task.num_outputs, borrowed=target.head)
            return random_labels.RandomGraphLabels(gnn.width, random_labels.GRAPH_CLASSES)

        def context_gnn():
            return gnn.build(self.task.in_dim, self.task.categorical, num_layers=options.strategy_settings.context_size)

        return strategies.objective(name, options.strategy_settings, gnn.width, gnn.num_layers, self.task.categorical, context_gnn, encoder)

    def training_graphs(self, seed: int) -> list:
        """The training molecules, each with its label row (``y``) and its random label."""
        items, labels = self.task.items["train"], self.task.labels["train"]
        drawn = self.random_labels(labels.is_floating_point(), seed)
        graphs = []
        for index, row in zip(items.tolist(), labels):
            graph = self.task.graphs[index].clone()
            graph.y = row.view(1, -1).float() if labels.is_floating_point() else row.view(1)
            graph.random_label = drawn[index].unsqueeze(0)
            graphs.append(graph)
        return graphs

    def random_labels(self, binary_tasks: bool, seed: int) -> torch.Tensor:
        """One random label per molecule of the dataset: of the target's kind for its classifier
        (a 0/1 row per task, or a class id), else a class of :data:`random_labels.GRAPH_CLASSES`."""
        count, outputs = len(self.task.graphs), self.task.num_outputs
        if self.random_labels_head != "target":
            return random_labels.draw(count, random_labels.GRAPH_CLASSES, seed)
        return random_labels.draw_binary(count, outputs, seed) if binary_tasks else random_labels.draw(count, outputs, seed)

    def batches(self):
        for batch in self.loader:
            yield batch.to(self.device)

    @torch.no_grad()
    def predict(self) -> tuple[torch.Tensor, torch.Tensor]:
        from torch_geometric.loader import DataLoader

        self.model.eval()
        predictions = []
        for split in ("valid", "test"):
            outputs = [self.model.logits(batch.to(self.device)).cpu() for batch in DataLoader(self.held[split], batch_size=max(self.batch_size, 256))]
            predictions.append(torch.cat(outputs) if outputs else torch.zeros(0))
        return tuple(predictions)


def setting_for(task, backbone, options: SettingOptions, context):
    if task.task_type == TaskType.NODE_CLASSIFICATION:
        if options.init is not None:
            raise ValueError("init names a pre-training on molecules; node tasks start from random weights (init: none)")
        return NodeSetting(task, backbone, options, context)
    if task.task_type == TaskType.GRAPH_CLASSIFICATION:
        return GraphSetting(task, backbone, options, context)
    raise ValueError(f"aux-ts trains node and graph classification tasks, not {task.task_type}")
