"""Component declarations: what a plugin tells the harness about a dataset, encoder, backbone,
method or executor, without importing any of its heavy code.

A declaration is data. Its factory is a ``"module:attribute"`` string resolved only when a cell
runs, so that listing components never imports torch.
"""

from __future__ import annotations

import functools
import importlib
import math
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from harness.cell import FIXED, SPLIT_PROTOCOLS

KINDS = ("dataset", "encoder", "backbone", "method", "executor", "metric")


class TaskType:
    """The task families the harness evaluates. A dataset has exactly one; other components
    declare the set they support."""

    NODE_CLASSIFICATION = "node-classification"
    NODE_MULTILABEL = "node-multilabel"
    GRAPH_CLASSIFICATION = "graph-classification"
    GRAPH_REGRESSION = "graph-regression"
    LINK_PREDICTION = "link-prediction"
    EDGE_MULTILABEL = "edge-multilabel"
    #: link prediction evaluated by ranking every candidate node for each query node
    LINK_RANKING = "link-ranking"

    ALL = frozenset(
        {
            NODE_CLASSIFICATION,
            NODE_MULTILABEL,
            GRAPH_CLASSIFICATION,
            GRAPH_REGRESSION,
            LINK_PREDICTION,
            EDGE_MULTILABEL,
            LINK_RANKING,
        }
    )
    NODE_LEVEL = frozenset({NODE_CLASSIFICATION, NODE_MULTILABEL})
    GRAPH_LEVEL = frozenset({GRAPH_CLASSIFICATION, GRAPH_REGRESSION})
    #: tasks whose items are node pairs ``(2, n)`` over one graph
    EDGE_LEVEL = frozenset({LINK_PREDICTION, EDGE_MULTILABEL})
    #: tasks evaluated per query node against every candidate node (training items are edges)
    RANKING_LEVEL = frozenset({LINK_RANKING})


_PYTHON_TYPES: Mapping[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "str": (str,),
    "bool": (bool,),
    "list": (list,),
    "dict": (dict,),
    # dataset references: one dataset (a name or a {name, params} mapping) or a list of them
    # (a group name stands for its members); the grid checks the names and resolves them.
    "dataset": (str, dict),
    "datasets": (str, list),
}
#: The element types a ``list`` parameter may declare with ``items``.
_ITEM_TYPES = ("int", "float", "str", "bool")
#: Param types whose values name other datasets (see :func:`Param.references`).
REFERENCE_TYPES = ("dataset", "datasets")
REFERENCE_KEYS = ("name", "params")


@dataclass(frozen=True)
class Param:
    """One parameter of a component: its type, default, one-line doc and valid values.

    Types ``dataset`` and ``datasets`` make a *dataset reference* (a pre-training corpus, a
    multi-dataset training group): the grid validates the names like its dataset axis, runs the
    referenced datasets' preflight, and puts their identity (name, resolved parameters,
    version) into the cell id. The factory receives each reference as a mapping
    ``{"name", "params", "version"}`` (``datasets``: a list of them) that a method loads, test
    labels hidden, with ``context.load_task(reference)``.
    """

    name: str
    type: str
    default: Any
    doc: str
    choices: tuple | None = None
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False
    #: for a ``list``: the type every element must have (one of ``int``, ``float``, ``str``,
    #: ``bool``); ``choices``, ``minimum``, ``maximum``, ``exclusive_minimum`` and ``excluded``
    #: then bound each element.
    items: str | None = None
    #: True when ``minimum`` itself is refused, the value must be greater: a temperature or a
    #: held-out share that would leave a split empty declares ``minimum=0, exclusive_minimum=True``.
    exclusive_minimum: bool = False
    #: values refused although within the bounds: a fan-out of 0 samples nothing, between -1
    #: (keep all) and 1, so it declares ``minimum=-1, excluded=(0,)``.
    excluded: tuple = ()
    #: for a ``list``: the fewest elements it may have (a fan-out needs one per layer, so at least 1).
    min_items: int = 0
    #: False for operational switches (download, verbosity) that cannot change a result: they
    #: are passed to the factory but left out of cell ids and cache keys.
    affects_results: bool = True
    #: for a dataset reference that must not contain the cell's own dataset (a zero-shot
    #: training group): the name of the component's ``bool`` parameter that states it is
    #: zero-shot. While that parameter is true, a grid that puts a graph both in this reference
    #: and on the dataset axis is refused (datasets are compared by the graph they read,
    #: :func:`graph_of`, so ``usair`` and ``usair-ranking`` are one graph).
    disjoint_from_cell: str | None = None

    def __post_init__(self):
        if self.type not in _PYTHON_TYPES:
            raise ValueError(f"Param {self.name!r}: type must be one of {sorted(_PYTHON_TYPES)}")
        if self.items is not None and (self.type != "list" or self.items not in _ITEM_TYPES):
            raise ValueError(f"Param {self.name!r}: items applies to type list and must be one of {list(_ITEM_TYPES)}")
        if self.exclusive_minimum and self.minimum is None:
            raise ValueError(f"Param {self.name!r}: exclusive_minimum applies to a minimum; give minimum too")
        if self.min_items and self.type != "list":
            raise ValueError(f"Param {self.name!r}: min_items applies to type list")
        if self.disjoint_from_cell is not None and not self.references:
            raise ValueError(f"Param {self.name!r}: disjoint_from_cell applies to a dataset reference (type dataset or datasets)")
        object.__setattr__(self, "excluded", tuple(self.excluded))

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not valid for this parameter, or None when it is."""
        if value is None:
            return None if self.nullable else f"must be a {self.type}, got null"
        # bool is an int subclass in Python; a YAML `true` is never a valid number.
        if isinstance(value, bool) and self.type != "bool":
            return f"must be a {self.type}, got a bool ({value!r})"
        if not isinstance(value, _PYTHON_TYPES[self.type]):
            return f"must be a {self._expected()}, got {type(value).__name__} ({value!r})"
        if self.references:
            return _reference_shape_problem(value)
        if self.choices is not None and self.items is None and value not in self.choices:
            return f"must be one of {list(self.choices)}, got {value!r}"
        if self.type == "list" and len(value) < self.min_items:
            return f"must have at least {self.min_items} element{'' if self.min_items == 1 else 's'}, got {value!r}"
        if self.items is not None:
            for i, item in enumerate(value):
                problem = _scalar_problem(self.items, item) or self._range_problem(item) or self._choice_problem(item)
                if problem:
                    return f"element {i}: {problem}"
            return None
        if self.type == "float":
            return _scalar_problem("float", value) or self._range_problem(value)
        if self.type == "int":
            return self._range_problem(value)
        return None

    def _choice_problem(self, item: Any) -> str | None:
        if self.choices is not None and item not in self.choices:
            return f"must be one of {list(self.choices)}, got {item!r}"
        return None

    def _range_problem(self, value: Any) -> str | None:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return None
        if self.minimum is not None and value < self.minimum:
            return f"must be {self._lower_bound()}, got {value!r}"
        if self.exclusive_minimum and value == self.minimum:
            return f"must be {self._lower_bound()}, got {value!r}"
        if self.maximum is not None and value > self.maximum:
            return f"must be at most {self.maximum}, got {value!r}"
        if value in self.excluded:
            bounds = [self._lower_bound() if self.minimum is not None else "", f"at most {self.maximum}" if self.maximum is not None else ""]
            allowed = " and ".join(bound for bound in bounds if bound)
            return f"must {'be ' + allowed + ' and ' if allowed else ''}not be {' or '.join(map(repr, self.excluded))}, got {value!r}"
        return None

    def _lower_bound(self) -> str:
        return f"greater than {self.minimum}" if self.exclusive_minimum else f"at least {self.minimum}"

    @property
    def references(self) -> bool:
        """True when the values of this parameter name datasets."""
        return self.type in REFERENCE_TYPES

    def _expected(self) -> str:
        if self.type == "dataset":
            return "dataset name or {name, params} mapping"
        if self.type == "datasets":
            return "list of dataset names or {name, params} mappings, or a group name"
        return self.type

    def coerce(self, value: Any) -> Any:
        """The canonical form of a valid value (ints given for floats become floats, also in a
        list of floats)."""
        if self.type == "float" and value is not None:
            return float(value)
        if self.items == "float" and value is not None:
            return [float(item) for item in value]
        return value


def _scalar_problem(kind: str, value: Any) -> str | None:
    """Why ``value`` is not a valid ``kind`` (a list element, or a float parameter's value):
    the type, and for numbers that it is finite (YAML reads ``.nan`` and ``.inf`` as floats)."""
    if isinstance(value, bool) and kind != "bool":
        return f"must be a {kind}, got a bool ({value!r})"
    if not isinstance(value, _PYTHON_TYPES[kind]):
        return f"must be a {kind}, got {type(value).__name__} ({value!r})"
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, got {value!r}"
    return None


def _reference_shape_problem(value: Any) -> str | None:
    """Why ``value`` is not shaped like a dataset reference (names are checked by the grid)."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            continue
        if not isinstance(item, dict):
            return f"each dataset must be a name or a {{name, params}} mapping, got {type(item).__name__} ({item!r})"
        unknown = [key for key in item if key not in REFERENCE_KEYS]
        if unknown:
            return f"a dataset reference has the keys {', '.join(REFERENCE_KEYS)}; unknown: {', '.join(map(str, unknown))}"
        if not isinstance(item.get("name"), str):
            return f"a dataset reference needs a 'name' string, got {item!r}"
        if not isinstance(item.get("params", {}), (dict, type(None))):
            return f"the params of a dataset reference must be a mapping, got {item['params']!r}"
    return None


@dataclass(frozen=True)
class Component:
    """A declaration of one component, as returned by the ``harness_*`` component hooks.

    :param kind: one of ``dataset``, ``encoder``, ``backbone``, ``method``, ``executor``,
        ``metric`` (see :mod:`harness.metrics` for what a metric declares).
    :param name: the unique name a grid uses.
    :param factory: ``"module:attribute"`` of the callable that builds the component.
    :param doc: a one-line description.
    :param params: the parameters, each with type, default and doc.
    :param version: goes into cell ids and cache keys; bump it when results would change.
    :param task_types: a dataset's single task type, or the task types a component supports.
    :param needs: raw node attributes the component requires (``text``, ``sequence``, ...).
    :param provides: raw attributes a dataset carries.
    :param capabilities: free-form flags (``trainable``; ``no-propagation``: a backbone with ``hops``
        and ``forward_without_propagation(x)``; ``edge-features``).
    :param external_data: True when the component brings data beyond the dataset (a pretrained
        model, raw text); sets the record's external-data flag.
    :param metadata: a dataset's metric and other facts shown by ``harness list``; ``graph``
        names the graph a dataset reads when several datasets are views of one graph (see
        :attr:`graph`).
    :param arguments: fixed keyword arguments the factory always receives, such as the dataset's
        name when one loader serves many datasets. They are not parameters: grids cannot set
        them and they do not enter cell ids (the component's name and version do).
    :param preflight: optional ``"module:attribute"`` of a cheap, torch-free check
        ``check(name, root, params) -> list[str]`` run before any cell (for example, missing
        files), for a grid's datasets and for the datasets its parameters reference.
    :param splits: a dataset's split protocols: ``fixed`` (its own split, chosen by its
        parameters), ``per-seed`` (a split drawn from the cell's seed), ``folds`` (k-fold
        cross-validation). A grid's ``split:`` picks one; a dataset without it is dropped from
        that grid with the reason. Under ``per-seed`` and ``folds`` the factory receives
        ``split_choice``, a :class:`harness.cell.Split`. Empty for a dataset that is no task
        (an unlabelled corpus): it can only be named by a dataset reference.
    :param requires: top-level modules the factory imports that the harness does not install
        (``("dgl",)``). Where one cannot be found in this environment the component is
        *unavailable* (:attr:`unavailable` says why): listed as such, and a grid's cells that
        name it are dropped with that reason. Found without importing anything.
    :param split_params: the parameters that choose the split under ``fixed`` (``split_seed``,
        ``fold``): under another protocol the grid refuses them and leaves them out of the cell.
    """

    kind: str
    name: str
    factory: str
    doc: str
    params: tuple[Param, ...] = ()
    version: str = "1"
    task_types: frozenset[str] = TaskType.ALL
    needs: frozenset[str] = frozenset()
    provides: frozenset[str] = frozenset()
    capabilities: frozenset[str] = frozenset()
    external_data: bool = False
    metadata: Mapping[str, Any] = field(default_factory=dict)
    preflight: str | None = None
    arguments: Mapping[str, Any] = field(default_factory=dict)
    splits: tuple[str, ...] = (FIXED,)
    split_params: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Component {self.name!r}: kind must be one of {KINDS}")
        object.__setattr__(self, "splits", tuple(self.splits))
        object.__setattr__(self, "split_params", tuple(self.split_params))
        object.__setattr__(self, "requires", tuple(self.requires))
        unknown_splits = set(self.splits) - set(SPLIT_PROTOCOLS)
        if unknown_splits:
            raise ValueError(f"Component {self.name!r}: unknown split protocols {sorted(unknown_splits)}; valid: {', '.join(SPLIT_PROTOCOLS)}")
        undeclared = [name for name in self.split_params if self.param(name) is None]
        if undeclared:
            raise ValueError(f"Component {self.name!r}: split_params {undeclared} are not among its params")
        if ":" not in self.factory:
            raise ValueError(f"Component {self.name!r}: factory must be 'module:attribute'")
        unknown = set(self.task_types) - TaskType.ALL
        if unknown:
            raise ValueError(f"Component {self.name!r}: unknown task types {sorted(unknown)}")
        object.__setattr__(self, "params", tuple(self.params))
        for param in self.params:
            flag = self.param(param.disjoint_from_cell) if param.disjoint_from_cell else None
            if param.disjoint_from_cell and (flag is None or flag.type != "bool"):
                raise ValueError(f"Component {self.name!r}: parameter {param.name!r} is disjoint_from_cell by {param.disjoint_from_cell!r}, which must be a bool parameter of the component")
        for attr in ("task_types", "needs", "provides", "capabilities"):
            object.__setattr__(self, attr, frozenset(getattr(self, attr)))

    @property
    def task_type(self) -> str:
        """A dataset's task type (datasets declare exactly one)."""
        (only,) = self.task_types
        return only

    @property
    def graph(self) -> str:
        """The graph a dataset reads: its metadata's ``graph``, else its own name. Two datasets
        with one graph (a link dataset and its ranking variant) count as the same data where
        it matters, such as a zero-shot grid's disjoint groups."""
        return self.metadata.get("graph", self.name)

    @property
    def unavailable(self) -> str | None:
        """Why this component cannot run in this environment (a module of :attr:`requires`
        is not installed), or None when it can."""
        missing = [module for module in self.requires if not _installed(module)]
        if not missing:
            return None
        return f"{self.kind} {self.name!r} needs {', '.join(missing)}, not installed in this environment ({sys.executable})"

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def references(self) -> tuple[Param, ...]:
        """The parameters that name other datasets."""
        return tuple(p for p in self.params if p.references)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def load(self) -> Callable[..., Any]:
        """Import and return the factory (this is where heavy imports happen), with the
        component's fixed ``arguments`` bound."""
        factory = _resolve(self.factory)
        return functools.partial(factory, **self.arguments) if self.arguments else factory

    def load_preflight(self) -> Callable[..., list[str]] | None:
        return _resolve(self.preflight) if self.preflight else None


def _resolve(reference: str) -> Any:
    module_name, _, attribute = reference.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


@functools.cache
def _installed(module: str) -> bool:
    """Whether ``module`` can be found (not imported: that may be slow, or import torch)."""
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
