"""Grids: YAML file -> validated spec -> cells.

A grid names the axes of a cross product (datasets x encoders x backbones x methods x seeds),
each entry a component name or ``{name, params, label}``, with grid-level ``defaults`` per axis,
``include`` rules that add cells and ``exclude`` rules that remove them. Validation collects
every problem before anything runs; incompatible combinations are dropped with a reason.

Example::

    name: quickstart
    seeds: [0, 1]                       # or a count: `seeds: 10` means 0..9
    dataset_seeds: {ogbn-arxiv: 1}      # optional: other seeds for some datasets (name or label)
    datasets: [synthetic-node]
    encoders: [identity]                # optional, defaults to [identity]
    backbones: [gcn, {name: gat, params: {heads: 4}, label: GAT-4}]
    methods: [supervised]
    defaults: {methods: {epochs: 100}}  # applied to every entry that declares the parameter
    exclude: [{dataset: synthetic-node, backbone: GAT-4}]
    include: [{dataset: synthetic-graph, backbone: gin, method: supervised}]

Rules name an entry by its label when it has one, otherwise by its component name, so two
entries of one component (one method with two schedules) can be told apart.

Dataset groups and references::

    groups: {link1: [usair, ns], link2: [yeast, {name: power, params: {features: degree}}]}
    datasets: [link1]                   # a group on the dataset axis: its members
    methods: [{name: pretrain, params: {corpus: {name: zinc, params: {size: 500}}, train_on: link2}}]

A parameter of type ``dataset``/``datasets`` names other datasets (a name, a ``{name, params}``
mapping, a list of them, or a group name); each is resolved to its identity (name, resolved
parameters, version), which enters the cell id.

Extra leaderboards (:mod:`harness.extra_tables`)::

    leaderboards: {metrics: [recall@20, ndcg@20], groups: [link2]}

``metrics``: also a table per dataset in each of these metrics (where its records report them);
``groups``: also a table of each named group's average over its datasets.

Splits::

    split: per-seed                     # or fixed (the default), or {protocol: folds, folds: 10}

``fixed`` uses each dataset's own split; ``per-seed`` draws the split from each cell's seed;
``folds`` makes the cells of one configuration the k folds (times the seeds). A dataset that does
not offer the protocol is dropped with the reason.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness import features
from harness.cell import AXES, FIXED, FOLDS, SPLIT_PROTOCOLS, Cell, ComponentRef, Split
from harness.extra_tables import TableRequest
from harness.metrics import Metrics, UnknownMetric
from harness.identity import DEFAULT_ENCODER
from harness.registry import Registry
from harness.suggest import suggest

AXIS_KEYS = {f"{axis}s": axis for axis in AXES}
TOP_LEVEL_KEYS = ("name", "description", "seeds", "dataset_seeds", "split", "groups", *AXIS_KEYS, "defaults", "include", "exclude", "leaderboards")
LEADERBOARD_KEYS = ("metrics", "groups")
ENTRY_KEYS = ("name", "params", "label")
SPLIT_KEYS = ("protocol", "folds")
DEFAULT_ENCODERS = [DEFAULT_ENCODER]


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class GridError(Exception):
    """The grid is invalid; ``problems`` lists everything wrong with it."""

    def __init__(self, path: str, problems: list[Problem]):
        self.path = path
        self.problems = problems
        lines = [f"invalid grid {path}: {len(problems)} problem(s)"]
        lines += [f"  {path}: {problem}" for problem in problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Dropped:
    """A combination removed because its components are incompatible."""

    combination: dict[str, str]
    reason: str

    def __str__(self) -> str:
        combo = " / ".join(self.combination[axis] for axis in AXES)
        return f"dropped {combo}: {self.reason}"


@dataclass
class Grid:
    path: str
    name: str
    cells: list[Cell] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    #: the extra leaderboards the grid asks for (its ``leaderboards:`` section)
    tables: TableRequest = field(default_factory=TableRequest)


def load_grid(path: str | Path, registry: Registry) -> Grid:
    """Read, validate and expand a grid file. Raises :class:`GridError` listing every problem."""
    path = str(path)
    raw = _read_yaml(path)
    return GridBuilder(path, raw, registry).build()


def _read_yaml(path: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GridError(path, [Problem("(file)", "no such file")]) from None
    except IsADirectoryError:
        raise GridError(path, [Problem("(file)", "is a directory, expected a YAML file")]) from None
    except PermissionError:
        raise GridError(path, [Problem("(file)", "cannot be read (permission denied)")]) from None
    except UnicodeDecodeError as error:
        raise GridError(path, [Problem("(file)", f"is not UTF-8 text ({error.reason})")]) from None
    except OSError as error:
        raise GridError(path, [Problem("(file)", f"cannot be read ({error.strerror or error})")]) from None
    try:
        return _load_bounded(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(yaml)"
        reason = getattr(error, "problem", None) or str(error)
        # a duplicate key or an alias bomb is well-formed YAML that a grid still refuses
        kind = "YAML not accepted" if isinstance(error, yaml.constructor.ConstructorError) else "YAML syntax error"
        raise GridError(path, [Problem(where, f"{kind}: {reason}")]) from None


#: The most YAML nodes a grid may hold once its aliases are expanded. Shipped grids hold a few
#: hundred; an alias bomb (anchors nested in anchors) holds billions and would exhaust memory.
MAX_YAML_NODES = 100_000
#: The most seeds a grid may list or count.
MAX_SEEDS = 10_000
#: The most cells a grid may expand to.
MAX_CELLS = 1_000_000


class _GridLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate mapping keys instead of keeping the last one."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first at line {seen[key].start_mark.line + 1}, again at line {key_node.start_mark.line + 1}); each key may appear once in a mapping", key_node.start_mark
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def _load_bounded(text: str) -> Any:
    """``yaml.safe_load`` with duplicate keys refused and the size after alias expansion bounded
    (checked on the node graph, before any Python object is built)."""
    loader = _GridLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expanded_size(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_expanded_size(root: yaml.Node) -> None:
    """Refuse a document whose aliases expand to more than :data:`MAX_YAML_NODES` nodes, or that
    contains itself. Sizes are memoized per node, so a bomb is measured without expanding it."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if isinstance(node, yaml.ScalarNode):
            return 1
        if id(node) in open_nodes:
            raise yaml.constructor.ConstructorError(None, None, "an alias refers to a node that contains it (a recursive structure); grids must be finite", node.start_mark)
        open_nodes.add(id(node))
        children = [part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode) else node.value
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_YAML_NODES:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the document expands to more than {MAX_YAML_NODES:,} values once its aliases (*name) are expanded; a grid is a few hundred at most", node.start_mark
                )
        open_nodes.discard(id(node))
        sizes[id(node)] = total
        return total

    size(root)


def _plain_data_problem(value: Any) -> str | None:
    """Why ``value`` cannot enter a cell id (which is JSON), or None when it can."""
    try:
        json.dumps(value, sort_keys=True)
    except (TypeError, ValueError) as error:
        return f"must be plain data (numbers, strings, booleans, lists, mappings with string keys): {error}"
    return None


class GridBuilder:
    """Validates one parsed grid and expands it; collects problems instead of stopping."""

    def __init__(self, path: str, raw: Any, registry: Registry):
        self.path = path
        self.raw = raw
        self.registry = registry
        self.problems: list[Problem] = []
        self.split: tuple[str, int | None] = (FIXED, None)
        #: group name -> its member datasets (as given, parameters unresolved)
        self.groups: dict[str, list[ComponentRef]] = {}
        self.dataset_seeds: dict[str, list[int]] = {}

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def build(self) -> Grid:
        if not isinstance(self.raw, dict):
            found = "an empty file" if self.raw is None else f"a {type(self.raw).__name__}"
            raise GridError(self.path, [Problem("(root)", f"must be a mapping with keys {', '.join(TOP_LEVEL_KEYS)}; found {found}")])
        for key in self.raw:
            if key not in TOP_LEVEL_KEYS:
                self.problem(str(key), f"unknown key; {suggest(key, list(TOP_LEVEL_KEYS))}")
        name = self._name()
        seeds = self._seeds()
        self.split = self._split()
        self.groups = self._groups()
        axes = {axis: self._axis(key, axis) for key, axis in AXIS_KEYS.items()}
        self.dataset_seeds = self._dataset_seeds(axes)
        includes = self._rules("include", required=("dataset", "backbone", "method"))
        defaults = self._defaults(axes, includes)
        excludes = self._rules("exclude", required=())
        tables = self._tables()
        if self.problems:
            raise GridError(self.path, self.problems)
        grid = self._expand(name, seeds, axes, defaults, includes, excludes)
        grid.tables = tables
        return grid

    # -- sections ---------------------------------------------------------------------------

    def _name(self) -> str:
        name = self.raw.get("name", Path(self.path).stem)
        if not isinstance(name, str) or not name:
            self.problem("name", f"must be a non-empty string, got {name!r}")
            return Path(self.path).stem
        return name

    def _seeds(self) -> list[int]:
        if "seeds" not in self.raw:
            self.problem("seeds", "missing; give a list of seeds like [0, 1, 2] or a count like 10")
            return []
        return self._seed_list("seeds", self.raw["seeds"])

    def _seed_list(self, where: str, seeds: Any) -> list[int]:
        """A seed count or list (at ``where``) as the list of seeds."""
        if isinstance(seeds, int) and not isinstance(seeds, bool):
            if seeds < 1:
                self.problem(where, f"a seed count must be at least 1, got {seeds}")
                return []
            if seeds > MAX_SEEDS:
                self.problem(where, f"a seed count must be at most {MAX_SEEDS:,}, got {seeds:,}")
                return []
            return list(range(seeds))
        if not isinstance(seeds, list):
            self.problem(where, f"must be a list of non-negative integers or a count, got {type(seeds).__name__} ({seeds!r})")
            return []
        if not seeds:
            self.problem(where, "is empty; give at least one seed")
        if len(seeds) > MAX_SEEDS:
            self.problem(where, f"lists {len(seeds):,} seeds; at most {MAX_SEEDS:,} are allowed")
            return []
        valid: list[int] = []
        for i, seed in enumerate(seeds):
            if isinstance(seed, bool) or not isinstance(seed, int):
                self.problem(f"{where}[{i}]", f"must be a non-negative integer, got {type(seed).__name__} ({seed!r})")
            elif seed < 0:
                self.problem(f"{where}[{i}]", f"must be a non-negative integer, got {seed}")
            elif seed in valid:
                self.problem(f"{where}[{i}]", f"duplicate seed {seed}")
            else:
                valid.append(seed)
        return valid

    def _dataset_seeds(self, axes) -> dict[str, list[int]]:
        """``dataset_seeds: {<dataset name or label>: <count or list>}``: other seeds for some of
        the grid's datasets (fewer for the large ones, more for the small ones)."""
        raw = self.raw.get("dataset_seeds") or {}
        if not isinstance(raw, dict):
            self.problem("dataset_seeds", f"must be a mapping of dataset names or labels to seeds (a count or a list), got {type(raw).__name__}")
            return {}
        named = {name for ref in axes["dataset"] if ref is not None for name in (ref.label, ref.name) if name}
        overrides = {}
        for name, seeds in raw.items():
            if name not in named:
                self.problem(f"dataset_seeds.{name}", f"names no dataset of the grid; {suggest(str(name), sorted(named))}")
                continue
            overrides[name] = self._seed_list(f"dataset_seeds.{name}", seeds)
        return overrides

    def _split(self) -> tuple[str, int | None]:
        """The split protocol and, for folds, the fold count."""
        raw = self.raw.get("split", FIXED)
        form = f"give {' or '.join(p for p in SPLIT_PROTOCOLS if p != FOLDS)}, or {{protocol: folds, folds: K}}"
        if isinstance(raw, str):
            if raw == FOLDS:
                self.problem("split", "folds needs a fold count; write split: {protocol: folds, folds: 10}")
            elif raw not in SPLIT_PROTOCOLS:
                self.problem("split", f"unknown split protocol {raw!r}; {suggest(raw, list(SPLIT_PROTOCOLS))}")
            else:
                return raw, None
            return FIXED, None
        if not isinstance(raw, dict):
            self.problem("split", f"must be a protocol name or a mapping; {form}; got {type(raw).__name__} ({raw!r})")
            return FIXED, None
        for key in raw:
            if key not in SPLIT_KEYS:
                self.problem(f"split.{key}", f"unknown key; {suggest(key, list(SPLIT_KEYS))}")
        protocol = raw.get("protocol")
        if protocol not in SPLIT_PROTOCOLS:
            self.problem("split.protocol", f"missing or unknown split protocol {protocol!r}; {suggest(protocol, list(SPLIT_PROTOCOLS))}")
            return FIXED, None
        count = raw.get("folds")
        if protocol != FOLDS:
            if "folds" in raw:
                self.problem("split.folds", f"a fold count belongs to protocol folds only; the protocol is {protocol!r}")
            return protocol, None
        if isinstance(count, bool) or not isinstance(count, int) or count < 2:
            self.problem("split.folds", f"must be an integer of at least 2 (the number of folds), got {count!r}")
            return FIXED, None
        return protocol, count

    def _tables(self) -> TableRequest:
        """``leaderboards: {metrics: [...], groups: [...]}``: registered metrics, grid groups."""
        raw = self.raw.get("leaderboards")
        if raw is None:
            return TableRequest()
        if not isinstance(raw, dict):
            self.problem("leaderboards", f"must be a mapping with keys {', '.join(LEADERBOARD_KEYS)}, got {type(raw).__name__}")
            return TableRequest()
        for key in raw:
            if key not in LEADERBOARD_KEYS:
                self.problem(f"leaderboards.{key}", f"unknown key; {suggest(str(key), list(LEADERBOARD_KEYS))}")
        chosen = {key: raw.get(key) or [] for key in LEADERBOARD_KEYS}
        for key, values in chosen.items():
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                self.problem(f"leaderboards.{key}", f"must be a list of names, got {values!r}")
                chosen[key] = []
        known = Metrics(self.registry)
        for i, reference in enumerate(chosen["metrics"]):
            try:
                known.spec(reference)
            except UnknownMetric as error:
                self.problem(f"leaderboards.metrics[{i}]", str(error))
        for i, group in enumerate(chosen["groups"]):
            if group not in self.groups:
                self.problem(f"leaderboards.groups[{i}]", f"unknown group {group!r}; {suggest(group, sorted(self.groups))}")
        groups = {group: tuple(ref.name for ref in self.groups.get(group, ())) for group in chosen["groups"]}
        return TableRequest(metrics=tuple(chosen["metrics"]), groups=groups)

    def _groups(self) -> dict[str, list[ComponentRef]]:
        """``groups: {name: [dataset entries]}``: named lists of datasets, usable on the dataset
        axis and as values of ``datasets`` references."""
        raw = self.raw.get("groups", {})
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.problem("groups", f"must be a mapping from group name to a list of datasets, got {type(raw).__name__}")
            return {}
        groups: dict[str, list[ComponentRef]] = {}
        for group, members in raw.items():
            where = f"groups.{group}"
            if not isinstance(group, str) or not group:
                self.problem(where, f"a group name must be a non-empty string, got {group!r}")
                continue
            if group in self.registry.components["dataset"]:
                self.problem(where, f"the group name {group!r} is a dataset's name; choose another")
                continue
            if not isinstance(members, list) or not members:
                self.problem(where, f"must be a non-empty list of dataset names or {{name, params}} mappings, got {members!r}")
                continue
            refs = []
            for i, member in enumerate(members):
                if isinstance(member, str) and member in raw:
                    self.problem(f"{where}[{i}]", f"{member!r} is a group; groups cannot contain groups")
                    continue
                ref = self._entry(f"{where}[{i}]", "dataset", member, as_cell_dataset=False)
                if ref is not None:
                    refs.append(ref)
            groups[group] = refs
        return groups

    def _dataset_choices(self, with_groups: bool = True) -> list[str]:
        return self.registry.names("dataset") + (sorted(self.groups) if with_groups else [])

    def _axis(self, key: str, axis: str) -> list[ComponentRef]:
        if key not in self.raw:
            if key == "encoders":
                return [self._entry(f"{key}[0]", axis, name) for name in DEFAULT_ENCODERS]
            self.problem(key, f"missing; list at least one {axis} ({suggest('', self.registry.names(axis))})")
            return []
        entries = self.raw[key]
        if not isinstance(entries, list):
            self.problem(key, f"must be a list of {axis} names or {{name, params}} mappings, got {type(entries).__name__}")
            return []
        if not entries:
            self.problem(key, f"is empty; list at least one {axis} ({suggest('', self.registry.names(axis))})")
        # (where, ref) per entry, a group on the dataset axis standing for its members
        refs: list[tuple[str, ComponentRef | None]] = []
        for i, entry in enumerate(entries):
            if axis == "dataset" and isinstance(entry, str) and entry in self.groups:
                refs += [(f"{key}[{i}] (group {entry!r}, member {j})", self._as_cell_dataset(f"groups.{entry}[{j}]", ref)) for j, ref in enumerate(self.groups[entry])]
            else:
                refs.append((f"{key}[{i}]", self._entry(f"{key}[{i}]", axis, entry)))
        seen: dict[tuple, str] = {}
        for where, ref in refs:
            if ref is None:
                continue
            signature = (ref.name, repr(sorted(ref.params.items(), key=lambda item: repr(item[0]))))
            if signature in seen:
                self.problem(where, f"duplicate of {seen[signature]} ({ref.name} with the same params)")
            seen.setdefault(signature, where)
        return [ref for _, ref in refs if ref is not None]

    def _entry(self, where: str, axis: str, entry: Any, as_cell_dataset: bool = True) -> ComponentRef | None:
        """One axis entry (a name or ``{name, params, label}``), checked; a dataset entry is
        also checked as a cell's dataset unless ``as_cell_dataset`` is false (group members,
        which may serve as references only)."""
        if isinstance(entry, str):
            name, params, label = entry, {}, None
        elif isinstance(entry, dict):
            for key in entry:
                if key not in ENTRY_KEYS:
                    self.problem(f"{where}.{key}", f"unknown key; {suggest(key, list(ENTRY_KEYS))}")
            name, params, label = entry.get("name"), entry.get("params", {}), entry.get("label")
            if not isinstance(name, str):
                self.problem(f"{where}.name", f"missing or not a string; {suggest('', self.registry.names(axis))}")
                return None
            if params is None:
                params = {}
            if not isinstance(params, dict):
                self.problem(f"{where}.params", f"must be a mapping of parameter names to values, got {type(params).__name__}")
                params = {}
            if label is not None and not isinstance(label, str):
                self.problem(f"{where}.label", f"must be a string, got {type(label).__name__}")
                label = None
        else:
            self.problem(where, f"must be a {axis} name or a {{name, params}} mapping, got {type(entry).__name__} ({entry!r})")
            return None
        if name not in self.registry.components[axis]:
            valid = self._dataset_choices() if axis == "dataset" else self.registry.names(axis)
            self.problem(where if isinstance(entry, str) else f"{where}.name", f"unknown {axis} {name!r}; {suggest(name, valid)}")
            return None
        component = self.registry.get(axis, name)
        self._check_params(f"{where}.params", component, params)
        ref = ComponentRef(name=name, params=dict(params), version=component.version, label=label)
        return self._as_cell_dataset(where, ref) if axis == "dataset" and as_cell_dataset else ref

    def _as_cell_dataset(self, where: str, ref: ComponentRef) -> ComponentRef | None:
        """``ref`` when it can be a cell's dataset under the grid's split: a dataset without
        splits (an unlabelled corpus) serves only as a reference, and parameters that choose the
        split belong to the grid's ``split:`` unless it is fixed."""
        component = self.registry.get("dataset", ref.name)
        if not component.splits:
            self.problem(where, f"dataset {ref.name!r} has no splits (nothing to train on or score): only a dataset parameter of a method can name it")
            return None
        protocol = self.split[0]
        for param in component.split_params:
            if protocol != FIXED and param in ref.params:
                self.problem(f"{where}.params.{param}", f"chooses the split, which the grid's split ({protocol}) sets for every cell; remove it, or use split: fixed")
        return ref

    def _check_params(self, where: str, component, params: dict) -> None:
        valid = [p.name for p in component.params]
        for key, value in params.items():
            param = component.param(key)
            if param is None:
                self.problem(f"{where}.{key}", f"unknown parameter of {component.kind} {component.name!r}; {suggest(key, valid)}")
                continue
            problem = param.problem(value) or _plain_data_problem(value)
            if problem:
                self.problem(f"{where}.{key}", problem)
            elif param.references:
                self._check_reference(f"{where}.{key}", param, value)
        for param in component.references():
            if param.name not in params and param.default is not None:
                self._check_reference(f"{where}.{param.name} (default of {component.kind} {component.name!r})", param, param.default)

    def _check_reference(self, where: str, param, value: Any) -> None:
        """The datasets a ``dataset``/``datasets`` value names exist (groups count for
        ``datasets``), and their parameters are valid."""
        if value is None:
            return
        several = param.type == "datasets"
        if several and isinstance(value, list) and not value:
            self.problem(where, "is empty; name at least one dataset or a group")
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            at = f"{where}[{i}]" if isinstance(value, list) else where
            name, params = (item, {}) if isinstance(item, str) else (item["name"], item.get("params") or {})
            name_at = at if isinstance(item, str) else f"{at}.name"
            if name in self.groups and isinstance(item, str):
                if not several:
                    self.problem(name_at, f"{name!r} is a group; parameter {param.name!r} takes one dataset ({suggest(name, self._dataset_choices(False))})")
                continue
            if name not in self.registry.components["dataset"]:
                self.problem(name_at, f"unknown dataset {name!r}; {suggest(name, self._dataset_choices(several))}")
                continue
            self._check_params(f"{at}.params", self.registry.get("dataset", name), params)

    def _defaults(self, axes: dict[str, list[ComponentRef]], includes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        raw = self.raw.get("defaults", {})
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.problem("defaults", f"must be a mapping from axis ({', '.join(AXIS_KEYS)}) to parameters, got {type(raw).__name__}")
            return {}
        defaults: dict[str, dict[str, Any]] = {}
        for key, params in raw.items():
            if key not in AXIS_KEYS:
                self.problem(f"defaults.{key}", f"unknown axis; {suggest(key, list(AXIS_KEYS))}")
                continue
            if not isinstance(params, dict):
                self.problem(f"defaults.{key}", f"must be a mapping of parameter names to values, got {type(params).__name__}")
                continue
            axis = AXIS_KEYS[key]
            refs = axes[axis] + [rule[axis] for rule in includes if rule.get(axis) is not None]
            components = list({ref.name: self.registry.get(axis, ref.name) for ref in refs}.values())
            for param_name, value in params.items():
                declaring = [c for c in components if c.param(param_name)]
                if not declaring and components:
                    known = sorted({p.name for c in components for p in c.params})
                    self.problem(f"defaults.{key}.{param_name}", f"no {axis} in this grid has this parameter; {suggest(param_name, known)}")
                for component in declaring:
                    param = component.param(param_name)
                    problem = param.problem(value) or _plain_data_problem(value)
                    if problem:
                        self.problem(f"defaults.{key}.{param_name}", f"{problem} (for {axis} {component.name!r})")
                    elif param.references:
                        self._check_reference(f"defaults.{key}.{param_name}", param, value)
                    if axis == "dataset" and self.split[0] != FIXED and param_name in component.split_params:
                        self.problem(f"defaults.{key}.{param_name}", f"chooses the split of {component.name!r}, which the grid's split ({self.split[0]}) sets; remove it, or use split: fixed")
            defaults[axis] = params
        return defaults

    def _rules(self, key: str, required: tuple[str, ...]) -> list[dict[str, Any]]:
        raw = self.raw.get(key, [])
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.problem(key, f"must be a list of mappings with keys {', '.join(AXES)}, got {type(raw).__name__}")
            return []
        rules = []
        for i, rule in enumerate(raw):
            where = f"{key}[{i}]"
            if not isinstance(rule, dict) or not rule:
                self.problem(where, f"must be a non-empty mapping with keys among {', '.join(AXES)}, got {rule!r}")
                continue
            parsed: dict[str, Any] = {}
            for axis, value in rule.items():
                if axis not in AXES:
                    self.problem(f"{where}.{axis}", f"unknown key; {suggest(axis, list(AXES))}")
                    continue
                if key == "exclude":
                    if not isinstance(value, str):
                        self.problem(f"{where}.{axis}", f"must be a {axis} name or label, got {type(value).__name__}")
                    elif value not in self.registry.components[axis] and not self._is_label(axis, value) and not (axis == "dataset" and value in self.groups):
                        valid = self._dataset_choices() if axis == "dataset" else self.registry.names(axis)
                        self.problem(f"{where}.{axis}", f"unknown {axis} {value!r}; {suggest(value, valid)}")
                    parsed[axis] = value
                else:
                    parsed[axis] = self._entry(f"{where}.{axis}", axis, value)
            for axis in required:
                if axis not in rule:
                    self.problem(where, f"missing {axis!r}; an include rule names at least {', '.join(required)}")
            rules.append(parsed)
        return rules

    def _is_label(self, axis: str, value: str) -> bool:
        entries = self.raw.get(f"{axis}s")
        if not isinstance(entries, list):
            return False
        return any(isinstance(e, dict) and e.get("label") == value for e in entries)

    # -- expansion --------------------------------------------------------------------------

    def _resolve(self, ref: ComponentRef, defaults: dict[str, dict[str, Any]], axis: str, cell_dataset: bool = True) -> ComponentRef:
        """``ref`` with every parameter resolved (component defaults, then the grid's, then the
        entry's), dataset references resolved to identities, operational options set apart and,
        for a cell's dataset under a non-fixed split, the split's own parameters left out."""
        component = self.registry.get(axis, ref.name)
        params = component.defaults()
        for name, value in defaults.get(axis, {}).items():
            if component.param(name):
                params[name] = value
        params.update(ref.params)
        if axis == "dataset" and cell_dataset and self.split[0] != FIXED:
            params = {name: value for name, value in params.items() if name not in component.split_params}
        params = {name: component.param(name).coerce(value) for name, value in params.items()}
        options = {name: params.pop(name) for name in list(params) if not component.param(name).affects_results}
        for param in component.references():
            if params.get(param.name) is not None:
                params[param.name], with_options = self._resolve_reference(param, params[param.name])
                if with_options != params[param.name]:
                    options[param.name] = with_options
        return ComponentRef(name=ref.name, params=params, version=component.version, label=ref.label, options=options)

    def _resolve_reference(self, param, value: Any) -> tuple[Any, Any]:
        """A valid reference value as identities ``{name, params, version}`` (one, or a list
        with groups expanded): once as it enters the cell id, once with the referenced datasets'
        operational options (``download``) added for the factory."""
        refs: list[ComponentRef] = []
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item in self.groups:
                refs += self.groups[item]
            elif isinstance(item, str):
                refs.append(ComponentRef(item))
            else:
                refs.append(ComponentRef(item["name"], dict(item.get("params") or {})))
        resolved = [self._resolve(ref, {}, "dataset", cell_dataset=False) for ref in refs]
        identities = [ref.identity() for ref in resolved]
        full = [{**ref.identity(), "options": ref.options} if ref.options else ref.identity() for ref in resolved]
        if param.type == "dataset":
            return identities[0], full[0]
        return identities, full

    def _expand(self, name, seeds, axes, defaults, includes, excludes) -> Grid:
        grid = Grid(path=self.path, name=name)
        self._check_cell_count(seeds, axes, includes)
        combos = list(itertools.product(*(axes[axis] for axis in AXES)))
        default_encoder = self._entry("encoders", "encoder", DEFAULT_ENCODERS[0])
        for rule in includes:
            combos.append(tuple(rule.get(axis) or default_encoder for axis in AXES))
        seen: set[str] = set()
        protocol, count = self.split
        for combo in combos:
            refs = dict(zip(AXES, (self._resolve(ref, defaults, axis) for ref, axis in zip(combo, AXES))))
            if any(_matches(rule, refs, self.groups) for rule in excludes):
                continue
            reason = incompatibility(self.registry, refs) or split_incompatibility(self.registry, refs["dataset"], protocol)
            if reason:
                dropped = Dropped({axis: refs[axis].display() for axis in AXES}, reason)
                if dropped not in grid.dropped:
                    grid.dropped.append(dropped)
                continue
            self._check_disjoint(refs)
            dataset = refs["dataset"]
            chosen = self.dataset_seeds.get(dataset.label or dataset.name, self.dataset_seeds.get(dataset.name, seeds))
            for split, seed in _splits_and_seeds(protocol, count, chosen):
                cell = Cell(**refs, seed=seed, split=split)
                if cell.id not in seen:
                    seen.add(cell.id)
                    grid.cells.append(cell)
        if self.problems:
            raise GridError(self.path, self.problems)
        return grid

    def _check_disjoint(self, refs: dict[str, ComponentRef]) -> None:
        """A zero-shot reference (:attr:`Param.disjoint_from_cell`) that holds the cell's own
        graph is a problem, unless the component's flag says the run is not zero-shot."""
        cell_graph = self.registry.get("dataset", refs["dataset"].name).graph
        for axis in ("encoder", "backbone", "method"):
            ref = refs[axis]
            component = self.registry.get(axis, ref.name)
            for param in component.references():
                value = ref.params.get(param.name)
                if not param.disjoint_from_cell or value is None or not ref.params.get(param.disjoint_from_cell):
                    continue
                named = [item["name"] for item in (value if isinstance(value, list) else [value])]
                shared = [name for name in named if self.registry.get("dataset", name).graph == cell_graph]
                where = f"{axis} {ref.display()!r}.{param.name}"
                message = (f"holds {', '.join(map(repr, shared))}, the graph of the cell's dataset {refs['dataset'].display()!r}: a zero-shot"
                           f" evaluation needs the training and evaluated datasets disjoint; take it out of one side, or set"
                           f" {param.disjoint_from_cell}: false to state that this run is not zero-shot")
                if shared and Problem(where, message) not in self.problems:
                    self.problem(where, message)

    def _check_cell_count(self, seeds, axes, includes) -> None:
        """Refuse a grid of more than :data:`MAX_CELLS` cells before building any of them."""
        combos = 1
        for axis in AXES:
            combos *= len(axes[axis])
        combos += len(includes)
        most = max([len(seeds), *(len(chosen) for chosen in self.dataset_seeds.values())])
        cells = combos * most * (self.split[1] or 1)
        if cells > MAX_CELLS:
            sizes = " x ".join(f"{len(axes[axis])} {axis}s" for axis in AXES)
            message = f"expands to {cells:,} cells ({sizes}, plus {len(includes)} included, times {len(seeds)} seeds"
            message += f" x {self.split[1]} folds)" if self.split[1] else ")"
            raise GridError(self.path, [Problem("(grid)", f"{message}; at most {MAX_CELLS:,} cells are allowed: split it into smaller grids")])


def _splits_and_seeds(protocol: str, count: int | None, seeds: list[int]) -> list[tuple[Split, int]]:
    """The (split, seed) pairs of one configuration: its seeds on the dataset's own split, one
    split per seed drawn from that seed, or every fold times every seed."""
    if protocol == FOLDS:
        return [(Split(FOLDS, fold, count), seed) for fold in range(count) for seed in seeds]
    if protocol == FIXED:
        return [(Split(), seed) for seed in seeds]
    return [(Split(protocol, seed), seed) for seed in seeds]


def _matches(rule: dict[str, str], refs: dict[str, ComponentRef], groups: dict[str, list[ComponentRef]]) -> bool:
    """An entry with a label is named by its label only, so that two entries of one component
    (say, one method with two schedules) can be told apart; an entry without one by its name.
    A group name in a rule's ``dataset`` matches each of its members."""

    def named(axis: str, value: str) -> bool:
        if axis == "dataset" and value in groups:
            return any(refs[axis].name == member.name for member in groups[value])
        return (refs[axis].label or refs[axis].name) == value

    return all(named(axis, value) for axis, value in rule.items())


def split_incompatibility(registry: Registry, dataset_ref: ComponentRef, protocol: str) -> str | None:
    """Why the dataset cannot be split by ``protocol``, or None when it can."""
    dataset = registry.get("dataset", dataset_ref.name)
    if protocol in dataset.splits:
        return None
    return f"dataset {dataset.name!r} offers the split protocols {', '.join(dataset.splits)}; the grid's split is {protocol}"


def incompatibility(registry: Registry, refs: dict[str, ComponentRef]) -> str | None:
    """Why these components cannot form a cell, or None when they can."""
    for axis in AXES:
        reason = registry.get(axis, refs[axis].name).unavailable
        if reason:
            return reason
    dataset = registry.get("dataset", refs["dataset"].name)
    task_type = dataset.task_type
    for axis in ("encoder", "backbone", "method"):
        component = registry.get(axis, refs[axis].name)
        if task_type not in component.task_types:
            supported = ", ".join(sorted(component.task_types))
            return f"{axis} {component.name!r} supports {supported}; dataset {dataset.name!r} is {task_type}"
    encoder = registry.get("encoder", refs["encoder"].name)
    backbone = registry.get("backbone", refs["backbone"].name)
    categorical = features.after_encoder(features.declared(dataset, refs["dataset"].params), encoder)
    available = dataset.provides | encoder.capabilities | backbone.capabilities | features.provided(categorical)
    for axis in ("encoder", "backbone", "method"):
        component = registry.get(axis, refs[axis].name)
        missing = component.needs - available
        if missing:
            return (
                f"{axis} {component.name!r} needs {', '.join(sorted(missing))}, which neither dataset"
                f" {dataset.name!r} nor the chosen encoder and backbone provide"
            )
    return _categorical_problem(dataset, categorical, encoder, backbone)


def _categorical_problem(dataset, categorical, encoder, backbone) -> str | None:
    """Integer-coded features reaching a backbone that would read the codes as numbers: node
    features the encoder keeps, or edge features of a backbone that reads edge features."""
    if not categorical or features.CAPABILITY in backbone.capabilities:
        return None
    if categorical.node:
        return (
            f"backbone {backbone.name!r} does not embed categorical features (no {features.CAPABILITY!r} capability);"
            f" dataset {dataset.name!r} has {len(categorical.node)} integer-coded node feature columns, which encoder"
            f" {encoder.name!r} keeps"
        )
    if "edge-features" in backbone.capabilities:
        return (
            f"backbone {backbone.name!r} reads edge features but does not embed categorical ones (no"
            f" {features.CAPABILITY!r} capability); dataset {dataset.name!r} has {len(categorical.edge)} integer-coded edge feature columns"
        )
    return None
