"""The task bundle a dataset returns, the view of it a method receives, and what a method
returns.

A :class:`Task` holds everything, test labels included. The runner hands a method only
:meth:`Task.method_view`: the graph(s) without ``y``, the items to predict for every split,
labels for the training and validation items, and the dataset's ``info`` without file paths.
Test labels stay with the runner, which scores the test predictions itself (in a run with
isolation, in another process, after the method has returned: see :mod:`harness.isolation`).
A view pickles, so that it can be handed to the method's process.

Items per task family: node indices ``(n,)`` for node tasks, graph indices ``(n,)`` for graph
tasks, candidate node pairs ``(2, n)`` for link prediction (the training items are the positive
training edges; validation and test items mix positives and negatives, labelled 1 and 0), node
pairs ``(2, n)`` for every split of edge multi-label classification (``edge-multilabel``: the
training items are pairs too, each with its own labels).
Labels: class ids ``(n,)`` for single-label classification (nodes, or graphs scored by
accuracy); ``(n, T)`` floats with NaN for missing values for multi-label (nodes or edges),
binary graph classification (ROC-AUC) and regression; ``(n,)`` 0/1 for links.

For link prediction and edge multi-label classification, ``data`` is the message-passing graph
of the training pairs only: no validation or test pair is an edge of it.

Integer-coded node or edge features (atom and bond types, ...) are declared in ``categorical``
(:class:`harness.features.CategoricalFeatures`: the number of values of every column), so that
backbones embed them instead of treating the codes as numbers.

Link ranking (``link-ranking``, the ranking protocol of :mod:`harness.ranking`): ``data`` is the
graph of the training edges; ``items['train']`` the training edges ``(2, m)`` labelled 1;
``items['valid']`` and ``items['test']`` query node ids ``(n,)``; their labels are ranking
targets ``int8 (n, num_nodes)``: 1 for a held-out positive, 0 for a candidate, -1 for a
candidate left out of the ranking (the query itself and its known edges: training edges, and
for the test split validation edges too). A method returns one score per (query, candidate
node) pair, ``(n, num_nodes)``; the harness computes the metrics.

A node task may hold one more labelled split, ``meta`` (:data:`META`): items whose labels a
method may use to learn *how* it trains (LTD learns its per-node distillation temperatures on
them), never in a loss on its own predictions; a method that knows nothing of it ignores it, so
that it trains on ``train`` alone like every method it is compared with. Its labels reach the
method like the training labels; the harness never scores it.

``metric`` names a registered metric (:mod:`harness.metrics`); ``extra_metrics`` names more that
the harness also reports for the validation and test predictions (the record's ``metrics``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
import os
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import torch

from harness import metrics
from harness.components import TaskType
from harness.features import CategoricalFeatures

SPLITS = ("train", "valid", "test")
#: the optional split of labelled items for learning how to train (see the module docstring)
META = "meta"
#: the splits whose labels a method sees
METHOD_SPLITS = ("train", "valid", META)


class HiddenLabelError(KeyError):
    """A method asked for labels it must not see."""


@dataclass
class Task:
    """Everything a dataset plugin provides about one task."""

    name: str
    task_type: str
    metric: str
    num_outputs: int
    items: Mapping[str, torch.Tensor]
    labels: Mapping[str, torch.Tensor]
    data: Any = None
    graphs: Sequence[Any] | None = None
    raw: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    evaluator: Any = None
    info: Mapping[str, Any] = field(default_factory=dict)
    #: integer-coded columns of ``x`` and ``edge_attr`` and their vocabulary sizes; None when
    #: the features are numbers
    categorical: CategoricalFeatures | None = None
    extra_metrics: Sequence[str] = ()

    def __post_init__(self):
        if self.task_type not in TaskType.ALL:
            raise ValueError(f"task {self.name!r}: unknown task type {self.task_type!r}")
        self.evaluator = self._evaluator(self.metric, self.evaluator)
        self.extra_metrics = tuple(self.extra_metrics)
        self._extra_evaluators = {reference: self._evaluator(reference) for reference in self.extra_metrics}
        level_graph = self.task_type in TaskType.GRAPH_LEVEL
        if level_graph and self.graphs is None:
            raise ValueError(f"task {self.name!r}: a graph-level task needs `graphs`")
        if not level_graph and self.data is None:
            raise ValueError(f"task {self.name!r}: a node, link or edge task needs `data`")
        for split in SPLITS:
            if split not in self.items or split not in self.labels:
                raise ValueError(f"task {self.name!r}: items and labels must have the splits {SPLITS}")
        unknown = sorted((set(self.items) | set(self.labels)) - {*SPLITS, META})
        if unknown or (META in self.items) != (META in self.labels):
            raise ValueError(f"task {self.name!r}: splits are {SPLITS} and optionally {META!r} (items and labels both), got items {sorted(self.items)} and labels {sorted(self.labels)}")
        if self.categorical:
            sample = self.graphs[0] if self.graphs is not None else self.data
            _check_codes(self.name, "x", getattr(sample, "x", None), self.categorical.node)
            _check_codes(self.name, "edge_attr", getattr(sample, "edge_attr", None), self.categorical.edge)
        if self.task_type == TaskType.LINK_RANKING:
            self._check_ranking()

    def _evaluator(self, reference: str, implementation=None):
        """The registered metric ``reference`` for this task type; ``implementation`` (a
        dataset's own code for it, such as OGB's evaluator) replaces the registered factory."""
        try:
            spec = metrics.installed().spec(reference)
        except metrics.UnknownMetric as error:
            raise ValueError(f"task {self.name!r}: {error}") from None
        if not spec.applies_to(self.task_type):
            raise ValueError(f"task {self.name!r}: metric {reference!r} does not apply to a {self.task_type} task (it applies to {', '.join(sorted(spec.component.task_types))})")
        if isinstance(implementation, metrics.MetricEvaluator) and implementation.metric == reference:
            return implementation  # already resolved (a task copied with dataclasses.replace)
        claimed = getattr(implementation, "metric", reference)
        if claimed != reference:
            raise ValueError(f"task {self.name!r}: its evaluator computes {claimed!r}, but the task's metric is {reference!r}")
        return spec.evaluator(implementation)

    def _check_ranking(self) -> None:
        """The shapes of the link-ranking protocol (see the module docstring)."""
        train = self.items["train"]
        if train.dim() != 2 or train.size(0) != 2:
            raise ValueError(f"task {self.name!r}: a link-ranking task's training items are edges (2, m), got {tuple(train.shape)}")
        for split in ("valid", "test"):
            queries, target = self.items[split], self.labels[split]
            if queries.dim() != 1 or target.dim() != 2 or target.shape != (len(queries), self.data.num_nodes) or target.is_floating_point():
                raise ValueError(f"task {self.name!r}: a link-ranking split has query ids (n,) and an integer ranking target (n, num_nodes={self.data.num_nodes}); {split} has {tuple(queries.shape)} and {target.dtype} {tuple(target.shape)}")

    @property
    def higher_is_better(self) -> bool:
        """The direction of the task's metric, as its registered declaration says."""
        return self.evaluator.higher_is_better

    @property
    def in_dim(self) -> int:
        sample = self.graphs[0] if self.graphs is not None else self.data
        return int(sample.x.size(-1))

    def score(self, split: str, predictions: torch.Tensor) -> float:
        """The metric of ``predictions`` for the items of ``split``."""
        return float(self.evaluator(self.labels[split], predictions))

    def scores(self, split: str, predictions: torch.Tensor) -> dict[str, float]:
        """The metric and every extra metric of ``predictions`` for the items of ``split``."""
        result = {self.metric: self.score(split, predictions)}
        for reference, evaluator in self._extra_evaluators.items():
            result[reference] = float(evaluator(self.labels[split], predictions))
        return result

    def method_view(self) -> "TaskView":
        """The task as a method may see it: no test labels anywhere."""
        data = _without_labels(self.data) if self.data is not None else None
        graphs = [_without_labels(g) for g in self.graphs] if self.graphs is not None else None
        labels = {split: self.labels[split] for split in METHOD_SPLITS if split in self.labels}
        return TaskView(self, data, graphs, MappingProxyType(labels))


def _check_codes(task: str, attribute: str, codes, sizes: tuple[int, ...]) -> None:
    """The declared categorical columns match the (first) graph's tensor: integer codes, one
    column per declared size, each code within its column's vocabulary."""
    if not sizes:
        return
    if codes is None or codes.is_floating_point() or codes.dim() != 2 or codes.size(1) != len(sizes):
        found = "nothing" if codes is None else f"{codes.dtype} of shape {tuple(codes.shape)}"
        raise ValueError(f"task {task!r} declares {len(sizes)} categorical {attribute} columns; {attribute} is {found}, expected integers of shape (n, {len(sizes)})")
    if codes.numel() and (bool((codes < 0).any()) or bool((codes >= torch.tensor(sizes)).any())):
        raise ValueError(f"task {task!r}: {attribute} has codes outside the declared vocabulary sizes {sizes}")


def _without_labels(data):
    if getattr(data, "y", None) is None:
        return data
    data = data.clone()
    del data.y
    return data


class _HiddenTestLabels(Mapping):
    """A mapping of the training and validation labels that refuses the test split loudly."""

    def __init__(self, labels: Mapping[str, torch.Tensor]):
        self._labels = MappingProxyType(dict(labels))

    def __reduce__(self):
        return (_HiddenTestLabels, (dict(self._labels),))

    def __getitem__(self, split):
        if split == "test":
            raise HiddenLabelError("test labels are never visible to a method; select on 'valid'")
        return self._labels[split]

    def __iter__(self):
        return iter(self._labels)

    def __len__(self):
        return len(self._labels)


class TaskView:
    """What a method receives: the task without test labels."""

    def __init__(self, task: Task, data, graphs, labels):
        self.name = task.name
        self.task_type = task.task_type
        self.metric = task.metric
        self.num_outputs = task.num_outputs
        self.items = MappingProxyType(dict(task.items))
        self.labels = _HiddenTestLabels(labels)
        self.data = data
        self.graphs = graphs
        self.raw = MappingProxyType(dict(task.raw))
        self.info = MappingProxyType(without_paths(task.info))
        self.categorical = task.categorical
        self.higher_is_better = task.higher_is_better
        self._evaluator = task.evaluator
        #: the dataset's identity (name, parameters, version): part of cache keys.
        self.identity = {"name": task.name}

    def __getstate__(self) -> dict[str, Any]:
        # read-only mappings do not pickle; they are rebuilt on the other side
        return {name: dict(value) if isinstance(value, MappingProxyType) else value for name, value in self.__dict__.items()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in ("items", "raw", "info"):
            self.__dict__[name] = MappingProxyType(state[name])

    @property
    def in_dim(self) -> int:
        sample = self.graphs[0] if self.graphs is not None else self.data
        return int(sample.x.size(-1))

    def score(self, split: str, predictions: torch.Tensor) -> float:
        """The metric on the training or validation items (for early stopping and selection)."""
        return float(self._evaluator(self.labels[split], predictions))

    def improved(self, score: float, best: float | None) -> bool:
        if best is None:
            return True
        return score > best if self.higher_is_better else score < best

    def with_features(self, x: torch.Tensor) -> "TaskView":
        """A copy whose node features are ``x`` (an encoder's output); the node part of the
        categorical declaration goes, the edge part stays."""
        view = object.__new__(TaskView)
        view.__dict__.update(self.__dict__)
        view.categorical = self.categorical.without_node() if self.categorical else None
        if self.graphs is not None:
            sizes = [g.num_nodes for g in self.graphs]
            view.graphs = [replace_x(g, part) for g, part in zip(self.graphs, x.split(sizes))]
        else:
            view.data = replace_x(self.data, x)
        return view


def without_paths(info: Mapping[str, Any]) -> dict[str, Any]:
    """``info`` without the entries that name files or folders (a raw folder, the files read):
    a path is a way to the labels of every split, test included."""
    return {key: value for key, value in info.items() if not _names_a_path(value)}


def _names_a_path(value: Any) -> bool:
    if isinstance(value, (os.PathLike, bytes)):
        return True
    if isinstance(value, str):
        return os.sep in value and (os.path.isabs(value) or os.path.exists(value))
    if isinstance(value, Mapping):
        return any(_names_a_path(item) for item in value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_names_a_path(item) for item in value)
    return False


def replace_x(data, x: torch.Tensor):
    data = data.clone() if hasattr(data, "clone") else replace(data)
    data.x = x
    return data


@dataclass
class EpochPredictions:
    """A method's scores for the validation and test items after one epoch, for the harness to
    score: the record's ``epoch_scores`` keep the whole validation and test curve (Hu et al.'s
    fine-tuning protocol reports the best-validation epoch, much follow-up work the last one)."""

    epoch: int
    valid: torch.Tensor
    test: torch.Tensor


@dataclass
class Predictions:
    """What a method returns: scores for the validation and test items (in item order), the
    epoch it selected on validation, and any method-specific traces to keep in the record.

    ``epochs`` optionally holds the predictions after every epoch (:class:`EpochPredictions`);
    the harness scores them like the selected ones, in the process that holds the test labels,
    and keeps the scores in the record's ``epoch_scores``."""

    valid: torch.Tensor
    test: torch.Tensor
    best_epoch: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    epochs: list[EpochPredictions] = field(default_factory=list)
