"""Unit tests of :func:`harness.grid.load_grid` against the real registry (the installed
built-in plugins), plus a tiny local plugin for incompatible combinations."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
import yaml

from harness.cell import AXES
from harness.grid import GridError, load_grid
from harness.registry import load_registry

NODE = "synthetic-node"
MULTILABEL = "synthetic-multilabel"
GRAPH = "synthetic-graph"


def write(tmp_path: Path, spec, name: str = "grid.yaml") -> Path:
    path = tmp_path / name
    path.write_text(spec if isinstance(spec, str) else yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def load(tmp_path: Path, registry, spec, name: str = "grid.yaml"):
    return load_grid(write(tmp_path, spec, name), registry)


def grid_spec(**overrides):
    spec = {"seeds": [0], "datasets": [NODE], "backbones": ["gcn"], "methods": ["supervised"]}
    spec.update(overrides)
    return spec


def problems_of(tmp_path: Path, registry, spec) -> list[str]:
    with pytest.raises(GridError) as caught:
        load(tmp_path, registry, spec)
    return [str(problem) for problem in caught.value.problems]


def combo(cell) -> tuple:
    return tuple(getattr(cell, axis).display() for axis in AXES) + (cell.seed,)


# -- the cross product ---------------------------------------------------------------------


def test_cross_product_size(tmp_path, harness_registry):
    grid = load(tmp_path, harness_registry, {
        "name": "product",
        "seeds": [0, 1, 2],
        "datasets": [NODE, MULTILABEL],
        "encoders": ["identity"],
        "backbones": ["gcn", "sage", {"name": "gat", "params": {"heads": 2}}],
        "methods": ["supervised", {"name": "supervised", "params": {"lr": 0.1}, "label": "fast"}],
    })
    assert grid.name == "product"
    assert grid.dropped == []
    assert len(grid.cells) == 2 * 1 * 3 * 2 * 3
    assert len({cell.id for cell in grid.cells}) == len(grid.cells)
    expected = set(itertools.product([NODE, MULTILABEL], ["identity"], ["gcn", "sage", "gat"], ["supervised", "fast"], [0, 1, 2]))
    assert {combo(cell) for cell in grid.cells} == expected


def test_encoders_default_to_identity_and_name_to_file_stem(tmp_path, harness_registry):
    grid = load(tmp_path, harness_registry, grid_spec(backbones=["gcn", "mlp"]), name="my-grid.yaml")
    assert grid.name == "my-grid"
    assert len(grid.cells) == 2
    assert {cell.encoder.name for cell in grid.cells} == {"identity"}


def test_seed_count_means_range(tmp_path, harness_registry):
    grid = load(tmp_path, harness_registry, grid_spec(seeds=4, backbones=["gcn", "sage"]))
    assert len(grid.cells) == 2 * 4
    for backbone in ("gcn", "sage"):
        assert sorted(c.seed for c in grid.cells if c.backbone.name == backbone) == [0, 1, 2, 3]


def test_seed_list_is_used_as_given(tmp_path, harness_registry):
    grid = load(tmp_path, harness_registry, grid_spec(seeds=[7, 3]))
    assert sorted(cell.seed for cell in grid.cells) == [3, 7]


def test_dataset_seeds_give_some_datasets_other_seeds(tmp_path, harness_registry):
    spec = grid_spec(seeds=4, datasets=[NODE, {"name": MULTILABEL, "label": "big"}], dataset_seeds={"big": 1, NODE: [5, 6]})
    grid = load(tmp_path, harness_registry, spec)
    seeds = {name: sorted(c.seed for c in grid.cells if c.dataset.name == name) for name in (NODE, MULTILABEL)}
    assert seeds == {NODE: [5, 6], MULTILABEL: [0]}


def test_dataset_seeds_name_the_grid_s_datasets_and_are_seeds(tmp_path, harness_registry):
    problems = problems_of(tmp_path, harness_registry, grid_spec(dataset_seeds={"cora": 1, NODE: 0}))
    assert any(p.startswith("dataset_seeds.cora: names no dataset of the grid") for p in problems), problems
    assert any(p.startswith(f"dataset_seeds.{NODE}: a seed count must be at least 1") for p in problems), problems
    assert problems_of(tmp_path, harness_registry, grid_spec(dataset_seeds=[1]))[0].startswith("dataset_seeds: must be a mapping")


# -- parameters ----------------------------------------------------------------------------


def test_resolved_params_include_all_component_defaults(tmp_path, harness_registry):
    grid = load(tmp_path, harness_registry, grid_spec(
        datasets=[{"name": NODE, "params": {"num_nodes": 50}}],
        backbones=["gat", "sage"],
        methods=[{"name": "supervised", "params": {"lr": 1}}],
    ))
    assert len(grid.cells) == 2
    for cell in grid.cells:
        for axis in AXES:
            ref = getattr(cell, axis)
            component = harness_registry.get(axis, ref.name)
            assert set(ref.params) == {p.name for p in component.params}, (axis, ref.name)
            assert ref.version == component.version
        assert cell.dataset.params == {**harness_registry.get("dataset", NODE).defaults(), "num_nodes": 50}
        assert cell.backbone.params == harness_registry.get("backbone", cell.backbone.name).defaults()
        # an int given for a float parameter is resolved to a float
        assert cell.method.params["lr"] == 1.0 and isinstance(cell.method.params["lr"], float)
        assert cell.method.params["epochs"] == harness_registry.get("method", "supervised").param("epochs").default
    gat = next(c for c in grid.cells if c.backbone.name == "gat")
    assert gat.backbone.params["heads"] == 8 and "aggregation" not in gat.backbone.params
    sage = next(c for c in grid.cells if c.backbone.name == "sage")
    assert sage.backbone.params["aggregation"] == "mean" and "heads" not in sage.backbone.params


def test_defaults_apply_only_where_declared_and_entries_override(tmp_path, harness_registry):
    grid = load(tmp_path, harness_registry, grid_spec(
        backbones=["gcn", "gat", "mlp", {"name": "sage", "params": {"hidden": 128}}],
        methods=["supervised"],
        defaults={"backbones": {"hidden": 16, "heads": 2}, "methods": {"epochs": 7}},
    ))
    by_backbone = {cell.backbone.name: cell for cell in grid.cells}
    assert set(by_backbone) == {"gcn", "gat", "mlp", "sage"}
    assert by_backbone["gat"].backbone.params["heads"] == 2
    for name in ("gcn", "mlp", "sage"):
        assert "heads" not in by_backbone[name].backbone.params, name
    for name in ("gcn", "gat", "mlp"):
        assert by_backbone[name].backbone.params["hidden"] == 16, name
    assert by_backbone["sage"].backbone.params["hidden"] == 128
    assert {cell.method.params["epochs"] for cell in grid.cells} == {7}


def test_default_for_a_parameter_no_component_declares_is_rejected(tmp_path, harness_registry):
    problems = problems_of(tmp_path, harness_registry, grid_spec(backbones=["gcn", "mlp"], defaults={"backbones": {"heads": 2}}))
    assert len(problems) == 1
    assert problems[0].startswith("defaults.backbones.heads: no backbone in this grid has this parameter")


def test_defaults_reach_components_of_include_rules(tmp_path, harness_registry):
    """A default declared only by a component an include rule brings is accepted and applied
    there, and checked against that component."""
    spec = grid_spec(
        defaults={"datasets": {"num_graphs": 40}},
        include=[{"dataset": GRAPH, "backbone": "gin", "method": "supervised"}],
    )
    grid = load(tmp_path, harness_registry, spec)
    graph = [cell for cell in grid.cells if cell.dataset.name == GRAPH]
    assert len(graph) == 1 and graph[0].dataset.params["num_graphs"] == 40
    assert "num_graphs" not in next(c for c in grid.cells if c.dataset.name == NODE).dataset.params

    spec["defaults"] = {"datasets": {"num_graphs": 5}}
    problems = problems_of(tmp_path, harness_registry, spec)
    assert problems == ["defaults.datasets.num_graphs: must be at least 20, got 5 (for dataset 'synthetic-graph')"]


# -- include and exclude -------------------------------------------------------------------


def test_include_adds_cells_with_identity_encoder(tmp_path, harness_registry):
    grid = load(tmp_path, harness_registry, grid_spec(
        seeds=[0, 1],
        backbones=["gcn", "sage"],
        defaults={"backbones": {"hidden": 32}},
        include=[
            {"dataset": GRAPH, "backbone": "gin", "method": {"name": "supervised", "params": {"batch_size": 8}}},
            {"dataset": MULTILABEL, "backbone": {"name": "gcn", "label": "GCN-ml"}, "method": "supervised"},
        ],
    ))
    assert len(grid.cells) == (2 + 2) * 2
    graph = [cell for cell in grid.cells if cell.dataset.name == GRAPH]
    assert sorted(cell.seed for cell in graph) == [0, 1]
    for cell in graph:
        assert cell.encoder.name == "identity"
        assert cell.encoder.params == harness_registry.get("encoder", "identity").defaults()
        assert cell.backbone.name == "gin" and cell.backbone.params["hidden"] == 32
        assert cell.method.params["batch_size"] == 8
    multilabel = [cell for cell in grid.cells if cell.dataset.name == MULTILABEL]
    assert {cell.backbone.display() for cell in multilabel} == {"GCN-ml"}


def test_include_does_not_duplicate_cells(tmp_path, harness_registry):
    """An include rule that repeats a cell of the product, or another rule, adds nothing."""
    plain = load(tmp_path, harness_registry, grid_spec(seeds=[0, 1], backbones=["gcn", "sage"]), name="plain.yaml")
    same = {"dataset": NODE, "backbone": "gcn", "method": "supervised"}
    explicit = {"dataset": NODE, "encoder": "identity", "backbone": {"name": "gcn", "params": {"hidden": 64}}, "method": "supervised"}
    grid = load(tmp_path, harness_registry, grid_spec(seeds=[0, 1], backbones=["gcn", "sage"], include=[same, explicit, same]))
    assert [cell.id for cell in grid.cells] == [cell.id for cell in plain.cells]
    assert len(grid.cells) == 4


def test_axis_entries_equal_after_resolution_give_one_cell(tmp_path, harness_registry):
    grid = load(tmp_path, harness_registry, grid_spec(backbones=["gcn", {"name": "gcn", "params": {"hidden": 64, "dropout": 0.5}}]))
    assert len(grid.cells) == 1


def test_exclude_by_name(tmp_path, harness_registry):
    grid = load(tmp_path, harness_registry, grid_spec(
        datasets=[NODE, MULTILABEL],
        backbones=["gcn", "gat", "mlp"],
        exclude=[{"dataset": NODE, "backbone": "gat"}, {"backbone": "mlp"}],
    ))
    assert {(cell.dataset.name, cell.backbone.name) for cell in grid.cells} == {(NODE, "gcn"), (MULTILABEL, "gcn"), (MULTILABEL, "gat")}
    assert grid.dropped == []


def test_exclude_by_label(tmp_path, harness_registry):
    grid = load(tmp_path, harness_registry, grid_spec(
        seeds=[0, 1],
        backbones=["gcn", {"name": "gcn", "params": {"hidden": 8}, "label": "tiny"}],
        methods=["supervised", {"name": "supervised", "params": {"epochs": 3}, "label": "short"}],
        exclude=[{"backbone": "tiny", "method": "short"}],
    ))
    assert Counter((c.backbone.display(), c.method.display()) for c in grid.cells) == {
        ("gcn", "supervised"): 2, ("gcn", "short"): 2, ("tiny", "supervised"): 2,
    }


def test_a_labelled_entry_is_named_by_its_label_only(tmp_path, harness_registry):
    grid = load(tmp_path, harness_registry, grid_spec(
        backbones=["sage", {"name": "gcn", "params": {"hidden": 8}, "label": "tiny"}, "gcn"],
        exclude=[{"backbone": "gcn"}],
    ))
    assert [cell.backbone.display() for cell in grid.cells] == ["sage", "tiny"]


# -- incompatible combinations -------------------------------------------------------------

LOCAL_PLUGIN = '''
from harness import Component, Param, TaskType, hookimpl


@hookimpl
def harness_methods():
    return [Component(kind="method", name="graph-only", factory="builtins:object",
                      doc="A method for graph-level tasks only.", task_types=TaskType.GRAPH_LEVEL,
                      params=(Param("epochs", "int", 3, "epochs", minimum=1),))]


@hookimpl
def harness_backbones():
    return [Component(kind="backbone", name="text-reader", factory="builtins:object",
                      doc="Reads raw node text.", needs={"text"})]
'''


@pytest.fixture
def local_registry(tmp_path):
    path = tmp_path / "grid_test_local_plugin.py"
    path.write_text(textwrap.dedent(LOCAL_PLUGIN))
    plugins, registry = load_registry([path], strict=True)
    assert "graph-only" in registry.components["method"]
    assert registry.owners[("method", "graph-only")] == "harness_local_grid_test_local_plugin"
    return registry


def test_incompatible_task_type_is_dropped_with_reason(tmp_path, local_registry):
    grid = load(tmp_path, local_registry, grid_spec(
        seeds=[0, 1, 2],
        datasets=[NODE, GRAPH],
        backbones=["gcn"],
        methods=["supervised", "graph-only"],
    ))
    assert Counter((c.dataset.name, c.method.name) for c in grid.cells) == {
        (NODE, "supervised"): 3, (GRAPH, "supervised"): 3, (GRAPH, "graph-only"): 3,
    }
    # dropped once per combination, not once per seed
    assert len(grid.dropped) == 1
    dropped = grid.dropped[0]
    assert dropped.combination == {"dataset": NODE, "encoder": "identity", "backbone": "gcn", "method": "graph-only"}
    for part in ("method 'graph-only'", "graph-classification, graph-regression", f"dataset '{NODE}'", "node-classification"):
        assert part in dropped.reason, (part, dropped.reason)
    assert str(dropped).startswith(f"dropped {NODE} / identity / gcn / graph-only: ")


def test_incompatible_include_is_dropped_not_silently(tmp_path, local_registry):
    grid = load(tmp_path, local_registry, grid_spec(
        include=[{"dataset": MULTILABEL, "backbone": "gcn", "method": {"name": "graph-only", "label": "G"}}],
    ))
    assert [cell.dataset.name for cell in grid.cells] == [NODE]
    assert len(grid.dropped) == 1
    assert grid.dropped[0].combination["method"] == "G"
    assert "node-multilabel" in grid.dropped[0].reason and "'graph-only'" in grid.dropped[0].reason


def test_missing_need_is_dropped_with_reason(tmp_path, local_registry):
    grid = load(tmp_path, local_registry, grid_spec(backbones=["gcn", "text-reader"]))
    assert [cell.backbone.name for cell in grid.cells] == ["gcn"]
    assert len(grid.dropped) == 1
    reason = grid.dropped[0].reason
    assert "backbone 'text-reader' needs text" in reason and f"'{NODE}'" in reason


def test_everything_dropped_leaves_no_cells(tmp_path, local_registry):
    grid = load(tmp_path, local_registry, grid_spec(datasets=[NODE, MULTILABEL], methods=["graph-only"]))
    assert grid.cells == []
    assert {d.combination["dataset"] for d in grid.dropped} == {NODE, MULTILABEL}


# -- cell ids ------------------------------------------------------------------------------

ID_SPEC = grid_spec(
    seeds=[0, 1],
    datasets=[NODE, GRAPH],
    backbones=["gcn", {"name": "gat", "params": {"heads": 2}}],
    methods=[{"name": "supervised", "params": {"epochs": 5}}],
    defaults={"backbones": {"hidden": 16}},
)


def ids(grid) -> list[str]:
    return [cell.id for cell in grid.cells]


def test_cell_id_stable_across_loads_and_processes(tmp_path, harness_registry):
    path = write(tmp_path, ID_SPEC)
    first = ids(load_grid(path, harness_registry))
    _, fresh_registry = load_registry()
    assert ids(load_grid(path, fresh_registry)) == first
    assert len(set(first)) == len(first) == 8
    assert all(len(cell_id) == 20 and int(cell_id, 16) >= 0 for cell_id in first)
    script = (
        "import json, sys\n"
        "from harness.grid import load_grid\n"
        "from harness.registry import load_registry\n"
        "print(json.dumps([c.id for c in load_grid(sys.argv[1], load_registry()[1]).cells]))\n"
    )
    for hash_seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True, timeout=120,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        ).stdout
        assert json.loads(out) == first


def test_cell_id_changes_with_parameters_and_seed(tmp_path, harness_registry):
    base = load(tmp_path, harness_registry, grid_spec(), name="base.yaml").cells[0]
    variants = {
        "backbone param": grid_spec(backbones=[{"name": "gcn", "params": {"hidden": 32}}]),
        "method param": grid_spec(methods=[{"name": "supervised", "params": {"lr": 0.02}}]),
        "dataset param": grid_spec(datasets=[{"name": NODE, "params": {"seed": 1}}]),
        "default": grid_spec(defaults={"methods": {"epochs": 10}}),
        "seed": grid_spec(seeds=[1]),
        "backbone": grid_spec(backbones=["sage"]),
    }
    seen = {base.id}
    for what, spec in variants.items():
        cell = load(tmp_path, harness_registry, spec, name="variant.yaml").cells[0]
        assert cell.id not in seen, what
        seen.add(cell.id)


def test_cell_id_same_for_equal_resolved_config(tmp_path, harness_registry):
    base = load(tmp_path, harness_registry, grid_spec(), name="base.yaml").cells[0]
    equivalents = {
        "explicit default": grid_spec(backbones=[{"name": "gcn", "params": {"hidden": 64}}]),
        "int for float": grid_spec(methods=[{"name": "supervised", "params": {"lr": 0.01, "weight_decay": 0.0005}}]),
        "default equal to component default": grid_spec(defaults={"backbones": {"dropout": 0.5}}),
        "explicit encoder": grid_spec(encoders=["identity"]),
        "other grid name": grid_spec(name="another"),
        "label": grid_spec(backbones=[{"name": "gcn", "label": "GCN (ours)"}], methods=[{"name": "supervised", "label": "sup"}]),
    }
    for what, spec in equivalents.items():
        cell = load(tmp_path, harness_registry, spec, name="same.yaml").cells[0]
        assert cell.id == base.id, what
    labelled = load(tmp_path, harness_registry, equivalents["label"], name="same.yaml").cells[0]
    assert labelled.backbone.display() == "GCN (ours)" and labelled.backbone.label == "GCN (ours)"


def test_float_parameter_given_as_int_has_same_id_as_float(tmp_path, harness_registry):
    as_int = load(tmp_path, harness_registry, grid_spec(methods=[{"name": "supervised", "params": {"lr": 1}}]), name="a.yaml")
    as_float = load(tmp_path, harness_registry, grid_spec(methods=[{"name": "supervised", "params": {"lr": 1.0}}]), name="b.yaml")
    assert ids(as_int) == ids(as_float)


def test_cell_id_changes_with_component_version(tmp_path, harness_registry):
    path = write(tmp_path, ID_SPEC)
    before = load_grid(path, harness_registry)
    gcn = harness_registry.components["backbone"]["gcn"]
    harness_registry.components["backbone"]["gcn"] = dataclasses.replace(gcn, version=gcn.version + ".1")
    after = load_grid(path, harness_registry)
    changed = {b.id != a.id for b, a in zip(before.cells, after.cells) if b.backbone.name == "gcn"}
    unchanged = {b.id == a.id for b, a in zip(before.cells, after.cells) if b.backbone.name != "gcn"}
    assert changed == {True} and unchanged == {True}
    assert {c.backbone.version for c in after.cells if c.backbone.name == "gcn"} == {gcn.version + ".1"}


# -- validation collects problems ----------------------------------------------------------


def test_all_problems_are_collected(tmp_path, harness_registry):
    path = write(tmp_path, {
        "seeds": [0, -1],
        "datasets": ["synthetic-nod"],
        "backbones": [{"name": "gcn", "params": {"hidden": "64"}}, "gcn"],
        "include": [{"dataset": GRAPH, "backbone": "gin"}],
    })
    with pytest.raises(GridError) as caught:
        load_grid(path, harness_registry)
    where = [problem.where for problem in caught.value.problems]
    assert where == ["seeds[1]", "datasets[0]", "backbones[0].params.hidden", "methods", "include[0]"]
    message = str(caught.value)
    assert message.startswith(f"invalid grid {path}: 5 problem(s)")
    assert "did you mean 'synthetic-node'?" in message
    assert message.count(f"\n  {path}: ") == 5


def test_non_plain_parameter_values_are_rejected(tmp_path, harness_registry):
    problems = problems_of(tmp_path, harness_registry, "seeds: [0]\ndatasets: [synthetic-node]\nbackbones: [gcn]\n"
                           "methods: [{name: supervised, params: {fanout: [2024-01-01]}}]\n")
    # fanout declares integer elements, so its element type refuses the date
    assert problems == ["methods[0].params.fanout: element 0: must be a int, got date (datetime.date(2024, 1, 1))"]


def test_list_parameter_accepts_a_list(tmp_path, harness_registry):
    grid = load(tmp_path, harness_registry, grid_spec(methods=[{"name": "supervised", "params": {"fanout": [5, 3]}}]))
    assert grid.cells[0].method.params["fanout"] == [5, 3]


def test_operational_switches_stay_out_of_the_cell_id(tmp_path, harness_registry):
    plain = load(tmp_path, harness_registry, grid_spec(datasets=["cora"]))
    fetching = load(tmp_path, harness_registry, grid_spec(datasets=[{"name": "cora", "params": {"download": True}}]))
    assert [c.id for c in plain.cells] == [c.id for c in fetching.cells]
    assert fetching.cells[0].dataset.options == {"download": True}
    assert fetching.cells[0].dataset.arguments()["download"] is True and "download" not in fetching.cells[0].config()["dataset"]["params"]
