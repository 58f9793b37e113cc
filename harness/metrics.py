"""Metrics are components: the registry of metrics that datasets name, the evaluator scores
with, and leaderboards and submissions rank by.

A metric is declared like any other component, with ``kind="metric"``, through the
``harness_metrics`` hook. This module is the internal plugin that registers the built-in metrics
exactly as a third-party plugin registers its own; build a declaration with :func:`metric`.
What a declaration carries:

- ``name``, ``doc``, ``version``; ``params`` (typed, such as ``k`` of Hits@K) and ``at``, the
  parameter that a reference's ``@`` suffix sets;
- ``higher_is_better`` and ``display`` (the leaderboard's column name, a template over the
  parameters such as ``"hits@{k}"``);
- optionally ``range``, the interval ``(low, high)`` every score lies in (``(0, 1)`` for
  accuracy; none for an error such as RMSE): a submitted score outside it is refused;
- the input contract: ``task_types`` (the task types whose labels and predictions it takes; a
  dataset of another type cannot name it) and ``inputs`` (the shapes, in words);
- ``factory``: ``"module:attribute"``, imported only when a score is computed, called as
  ``factory(**params)``; it returns a callable ``(y_true, y_pred) -> float`` that refuses
  malformed input with :class:`harness.evaluator.EvaluatorInputError` saying what it expected.

A *reference* is how a dataset, a record and a submission name a metric: ``acc``, or
``hits@20`` for a metric with ``at``. Importing this module does not import torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from harness import hookimpl
from harness.components import Component, Param, TaskType


class UnknownMetric(ValueError):
    """A reference names no registered metric, or sets its parameter to an invalid value."""


def metric(
    name: str,
    factory: str,
    doc: str,
    *,
    higher_is_better: bool,
    inputs: str,
    task_types: Iterable[str],
    params: Iterable[Param] = (),
    at: str | None = None,
    display: str | None = None,
    version: str = "1",
    arguments: Mapping[str, Any] | None = None,
    range: tuple[float, float] | None = None,
    imports: Iterable[str] = (),
) -> Component:
    """The declaration of one metric (a :class:`~harness.Component` of kind ``metric``).

    :param at: the parameter a reference's ``@`` suffix sets (``k``: ``hits@20`` is ``k=20``).
    :param display: the name shown on leaderboards, formatted with the parameters; by default
        the reference itself (``name``, or ``name@{at}``).
    :param range: ``(low, high)``, the closed interval every score of the metric lies in; None
        when it has no bounds worth checking.
    :param imports: modules the metric imports when it first scores (the fork server of an
        isolated run imports them once for a grid whose datasets use the metric).
    """
    return Component(
        kind="metric",
        name=name,
        factory=factory,
        doc=doc,
        params=tuple(params),
        version=version,
        task_types=frozenset(task_types),
        metadata={
            "higher_is_better": higher_is_better,
            "display": display or (f"{name}@{{{at}}}" if at else name),
            "inputs": inputs,
            "at": at,
            "range": None if range is None else tuple(range),
            "imports": tuple(imports),
        },
        arguments=dict(arguments or {}),
    )


def declaration_problem(component: Component) -> str | None:
    """What is wrong with a metric declaration, or None when it is well formed."""
    meta = component.metadata
    if not isinstance(meta.get("higher_is_better"), bool):
        return "metadata['higher_is_better'] must be True or False"
    if not isinstance(meta.get("inputs"), str) or not meta["inputs"].strip():
        return "metadata['inputs'] must say which labels and predictions it takes"
    if meta.get("display") is not None and not isinstance(meta["display"], str):
        return "metadata['display'] must be a string"
    bounds = meta.get("range")
    if bounds is not None and not (
        isinstance(bounds, (tuple, list)) and len(bounds) == 2
        and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds) and bounds[0] < bounds[1]
    ):
        return f"metadata['range'] = {bounds!r} must be None or (low, high) numbers with low < high"
    at = meta.get("at")
    if at is not None:
        param = component.param(at)
        if param is None or param.type not in ("int", "str"):
            return f"metadata['at'] = {at!r} must name an int or str parameter"
    return None


@dataclass(frozen=True)
class MetricSpec:
    """One resolved reference: the registered metric and its parameter values."""

    reference: str
    component: Component
    params: Mapping[str, Any]

    @property
    def name(self) -> str:
        return self.component.name

    @property
    def higher_is_better(self) -> bool:
        return bool(self.component.metadata["higher_is_better"])

    @property
    def display(self) -> str:
        template = self.component.metadata.get("display") or self.reference
        return template.format(**self.params)

    @property
    def range(self) -> tuple[float, float] | None:
        """``(low, high)``, the interval every score lies in, or None when it declares none."""
        bounds = self.component.metadata.get("range")
        return None if bounds is None else (bounds[0], bounds[1])

    def applies_to(self, task_type: str) -> bool:
        return task_type in self.component.task_types

    def evaluator(self, implementation=None) -> "MetricEvaluator":
        """An evaluator for this metric; ``implementation`` replaces the registered factory's
        (a dataset scoring with its benchmark's own code, such as OGB's ``Evaluator``)."""
        return MetricEvaluator(self, implementation)


class MetricEvaluator:
    """``evaluator(y_true, y_pred) -> float`` for one registered metric, with its reference
    (``metric``), ``higher_is_better`` and ``display`` name."""

    def __init__(self, spec: MetricSpec, implementation=None):
        self.spec = spec
        self.metric = spec.reference
        self.higher_is_better = spec.higher_is_better
        self.display = spec.display
        self._implementation = implementation

    def __call__(self, y_true, y_pred) -> float:
        if self._implementation is None:  # the factory is imported at the first score, not before
            self._implementation = self.spec.component.load()(**self.spec.params)
        return float(self._implementation(y_true, y_pred))


class Metrics:
    """The metrics of one registry, looked up by reference."""

    def __init__(self, registry):
        self.registry = registry

    def choices(self) -> list[str]:
        """Every valid reference form, ``hits@K`` for a metric with a parameter."""
        names = []
        for name, component in sorted(self.registry.components["metric"].items()):
            at = component.metadata.get("at")
            names.append(f"{name}@{at.upper()}" if at else name)
        return names

    def spec(self, reference: str) -> MetricSpec:
        """The metric a reference names; :class:`UnknownMetric` with the valid choices when it
        names none."""
        from harness.suggest import suggest

        text = reference if isinstance(reference, str) else repr(reference)
        name, sep, value = text.partition("@")
        component = self.registry.components["metric"].get(name)
        if component is None or declaration_problem(component) is not None:
            raise UnknownMetric(f"unknown metric {text!r}; {suggest(text, self.choices())}")
        at = component.metadata.get("at")
        if not at:
            if sep:
                raise UnknownMetric(f"unknown metric {text!r}: {name!r} takes no @ suffix; {suggest(name, self.choices())}")
            return MetricSpec(text, component, {})
        if not sep:
            raise UnknownMetric(f"unknown metric {text!r}: {name!r} needs @{at.upper()} (for example {name}@{component.defaults()[at]})")
        param = component.param(at)
        parsed: Any = value
        if param.type == "int":
            parsed = int(value) if value.isdigit() else None
        problem = "is not a whole number" if parsed is None else param.problem(parsed)
        if problem or value != str(parsed):
            raise UnknownMetric(f"unknown metric {text!r}: {at} {problem or 'must be written without leading zeros'}")
        return MetricSpec(text, component, {**component.defaults(), at: parsed})

    def evaluator(self, reference: str, implementation=None) -> MetricEvaluator:
        return self.spec(reference).evaluator(implementation)

    def higher_is_better(self, reference: str) -> bool:
        return self.spec(reference).higher_is_better

    def display(self, reference: str) -> str:
        return self.spec(reference).display

    def imports(self, dataset) -> set[str]:
        """The modules the metrics that dataset component ``dataset`` declares import."""
        found = set()
        for reference in filter(None, [dataset.metadata.get("metric"), *dataset.metadata.get("extra_metrics", ())]):
            try:
                found.update(self.spec(reference).component.metadata.get("imports", ()))
            except UnknownMetric:
                pass  # reported by problems(); the evaluator names it if a cell gets there
        return found

    def problems(self) -> list[str]:
        """Malformed metric declarations, and datasets whose declared metric is not
        registered or does not apply to their task type."""
        found = []
        for name, component in sorted(self.registry.components["metric"].items()):
            problem = declaration_problem(component)
            if problem:
                found.append(f"metric {name!r} (plugin {self.registry.owners[('metric', name)]!r}): {problem}")
        for name, dataset in sorted(self.registry.components["dataset"].items()):
            references = [dataset.metadata.get("metric"), *dataset.metadata.get("extra_metrics", ())]
            for reference in filter(None, references):
                where = f"dataset {name!r} (plugin {self.registry.owners[('dataset', name)]!r})"
                try:
                    spec = self.spec(reference)
                except UnknownMetric as error:
                    found.append(f"{where} names a metric no installed plugin registers: {error}")
                    continue
                if len(dataset.task_types) == 1 and not spec.applies_to(dataset.task_type):
                    found.append(f"{where} is a {dataset.task_type} task, but metric {reference!r} applies to {', '.join(sorted(spec.component.task_types))}")
        return found


_installed: Metrics | None = None


def use(registry) -> None:
    """Make ``registry`` the one this process resolves metric references with (the runner
    and the CLI call this with the registry of the plugins they loaded)."""
    global _installed
    _installed = Metrics(registry)


def installed() -> Metrics:
    """The metrics of this process's registry; built from the installed plugins the first time
    when no registry was set with :func:`use`."""
    if _installed is None:
        from harness.registry import load_registry

        use(load_registry()[1])
    return _installed


def higher_is_better(reference: str) -> bool:
    """Whether larger values of the metric are better (:class:`UnknownMetric` if unregistered)."""
    return installed().higher_is_better(reference)


def valid_metrics() -> list[str]:
    """Every registered metric reference form (``hits@K`` for Hits@K)."""
    return installed().choices()


# --- the built-in metrics ---------------------------------------------------------------------

_PER_ITEM = "harness.evaluator:Evaluator"
_RANKING = "harness.ranking:RankingMetric"
_BINARY = "y_true (n,) or (n, T) holding 0, 1 or NaN (missing, masked); y_pred scores of the same shape; tasks without both classes are skipped"
_REGRESSION = "y_true (n,) or (n, T) floats, NaN where missing (masked); y_pred of the same shape"
_RANKING_INPUTS = "y_true the ranking target (n_queries, n_candidates) with 1 held-out positive, 0 candidate, -1 excluded (training edge, self); y_pred finite scores of the same shape"
_K = Param("k", "int", 20, "cut-off K", minimum=1)
_UNIT = (0.0, 1.0)  # the range of a share or an average of shares
_SKLEARN = ("sklearn.metrics",)  # 0.7 s to import
_BINARY_TASKS = {TaskType.NODE_MULTILABEL, TaskType.GRAPH_CLASSIFICATION, TaskType.LINK_PREDICTION, TaskType.EDGE_MULTILABEL}


@hookimpl
def harness_metrics() -> list[Component]:
    """The built-in metrics: OGB's per-item metrics (:mod:`harness.evaluator`) and the
    full-ranking metrics of the link-ranking protocol (:mod:`harness.ranking`)."""
    return [
        metric("acc", _PER_ITEM, "Accuracy: share of items whose arg-max class is the label.", higher_is_better=True, range=_UNIT,
               inputs="y_true integer class ids (n,) or (n, 1); y_pred class scores (n, num_classes)",
               task_types={TaskType.NODE_CLASSIFICATION, TaskType.GRAPH_CLASSIFICATION}, arguments={"metric": "acc"}),
        metric("rocauc", _PER_ITEM, "ROC-AUC averaged over tasks, missing labels masked (OGB's).", higher_is_better=True, range=_UNIT,
               inputs=_BINARY, task_types=_BINARY_TASKS, arguments={"metric": "rocauc"}, imports=_SKLEARN),
        metric("ap", _PER_ITEM, "Average precision averaged over tasks, missing labels masked (OGB's).", higher_is_better=True, range=_UNIT,
               inputs=_BINARY, task_types=_BINARY_TASKS, arguments={"metric": "ap"}, imports=_SKLEARN),
        metric("rmse", _PER_ITEM, "Root mean squared error averaged over tasks, missing labels masked.", higher_is_better=False,
               inputs=_REGRESSION, task_types={TaskType.GRAPH_REGRESSION}, arguments={"metric": "rmse"}),
        metric("mae", _PER_ITEM, "Mean absolute error averaged over tasks, missing labels masked.", higher_is_better=False,
               inputs=_REGRESSION, task_types={TaskType.GRAPH_REGRESSION}, arguments={"metric": "mae"}),
        metric("hits", "harness.evaluator:hits_at", "OGB's Hits@K: share of positive pairs scored above the K-th best negative.",
               higher_is_better=True, range=_UNIT, params=(_K,), at="k",
               inputs="y_true 0/1 per candidate pair (n,); y_pred one score per pair (n,)", task_types={TaskType.LINK_PREDICTION}),
        metric("mrr", _RANKING, "Filtered mean reciprocal rank of each held-out edge among its query's candidates (ties count half, as OGB's).",
               higher_is_better=True, range=_UNIT, inputs=_RANKING_INPUTS, task_types={TaskType.LINK_RANKING}, arguments={"measure": "mrr"}),
        metric("recall", _RANKING, "Full-ranking Recall@K per query, averaged over queries (expected value over ties).",
               higher_is_better=True, range=_UNIT, params=(_K,), at="k", inputs=_RANKING_INPUTS, task_types={TaskType.LINK_RANKING}, arguments={"measure": "recall"}),
        metric("ndcg", _RANKING, "Full-ranking NDCG@K per query, averaged over queries (expected value over ties).",
               higher_is_better=True, range=_UNIT, params=(_K,), at="k", inputs=_RANKING_INPUTS, task_types={TaskType.LINK_RANKING}, arguments={"measure": "ndcg"}),
    ]
