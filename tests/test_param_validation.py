"""Parameter values are checked before anything runs: floats are finite, bounded parameters
stay within ``minimum`` and ``maximum``, list elements have their declared type, and the
synthetic node classification sets refuse sizes that would leave a split empty."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from harness.components import Param
from harness.training.params import TRAINING_PARAMS

DROPOUT = Param("dropout", "float", 0.5, "dropout", minimum=0, maximum=1)
FANOUT = Param("fanout", "list", [10, 10], "fan-out", items="int", minimum=-1)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_float_must_be_finite(value):
    assert DROPOUT.problem(value) == f"must be a finite number, got {value!r}"
    assert Param("lr", "float", 0.01, "lr").problem(value) == f"must be a finite number, got {value!r}"


@pytest.mark.parametrize("value, problem", [(1.5, "must be at most 1, got 1.5"), (-0.1, "must be at least 0, got -0.1"), (0, None), (1, None), (0.3, None)])
def test_maximum_and_minimum_bound_a_number(value, problem):
    assert DROPOUT.problem(value) == problem


@pytest.mark.parametrize(
    "value, problem",
    [
        (["a", None], "element 0: must be a int, got str ('a')"),
        ([5, None], "element 1: must be a int, got NoneType (None)"),
        ([5, True], "element 1: must be a int, got a bool (True)"),
        ([5, 2.5], "element 1: must be a int, got float (2.5)"),
        ([-2], "element 0: must be at least -1, got -2"),
        ([10, -1], None),
        ([], None),
    ],
)
def test_list_elements_have_the_declared_type(value, problem):
    assert FANOUT.problem(value) == problem


def test_float_elements_must_be_finite_and_are_coerced():
    weights = Param("weights", "list", [1.0], "weights", items="float")
    assert weights.problem([1, math.nan]) == "element 1: must be a finite number, got nan"
    assert weights.coerce([1, 2.5]) == [1.0, 2.5] and isinstance(weights.coerce([1])[0], float)


@pytest.mark.parametrize("kwargs", [{"type": "int", "items": "int"}, {"type": "list", "items": "dict"}])
def test_items_is_checked_when_declared(kwargs):
    with pytest.raises(ValueError, match="items applies to type list"):
        Param("p", default=None, doc="", **kwargs)


def test_shared_fanout_declares_integer_elements():
    fanout = next(p for p in TRAINING_PARAMS if p.name == "fanout")
    assert fanout.items == "int" and fanout.problem(["a", None]) is not None


def test_every_list_parameter_declares_its_elements(harness_registry):
    untyped = [
        f"{kind} {name}: {param.name}"
        for kind in harness_registry.components
        for name in harness_registry.names(kind)
        for param in harness_registry.get(kind, name).params
        if param.type == "list" and param.items is None
    ]
    assert untyped == []


def test_every_dropout_and_share_is_at_most_one(harness_registry):
    bounded = ("dropout", "fraction", "share", "ratio", "pseudo_weight", "confidence")
    unbounded = [
        f"{kind} {name}: {param.name}"
        for kind in harness_registry.components
        for name in harness_registry.names(kind)
        for param in harness_registry.get(kind, name).params
        if any(word in param.name for word in bounded) and param.type == "float" and param.maximum != 1
    ]
    assert unbounded == []


def _run(tmp_path: Path, dataset: str) -> subprocess.CompletedProcess:
    grid = tmp_path / "input" / "grid.yaml"
    grid.parent.mkdir()
    grid.write_text(f"seeds: [0]\ndatasets: [{dataset}]\nbackbones: [gcn]\nmethods: [supervised]\n")
    command = [sys.executable, "-m", "harness", "run", "--grid", str(grid), "--results-dir", str(tmp_path / "results"), "--cache-dir", str(tmp_path / "cache")]
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "dataset, fragment",
    [
        ("{name: synthetic-node, params: {num_nodes: 20}}", "num_nodes 20 leaves no validation or test nodes"),
        ("{name: synthetic-text, params: {num_nodes: 100, num_classes: 5}}", "with 5 classes give num_nodes of at least 110"),
    ],
)
def test_node_classification_sizes_that_leave_a_split_empty_are_refused(tmp_path: Path, dataset: str, fragment: str):
    process = _run(tmp_path, dataset)
    assert process.returncode == 2 and "Traceback" not in process.stderr, process.stderr
    assert fragment in process.stderr and "nothing was run" in process.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input"]


def test_node_sizes_that_work_pass_the_check():
    from harness.cell import FOLDS, Split
    from harness_synthetic.sizes import check

    assert check("synthetic-node", "", {"num_nodes": 88, "num_classes": 4}) == []
    assert check("synthetic-node", "", {"num_nodes": 87, "num_classes": 4})
    assert check("synthetic-node", "", {"num_nodes": 40, "num_classes": 4, "split_choice": Split(FOLDS, None, 10)}) == []
    assert check("synthetic-node", "", {"num_nodes": 36, "num_classes": 4, "split_choice": Split(FOLDS, None, 10)})
