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


TEMPERATURE = Param("temperature", "float", 0.2, "divides the logits", minimum=0, exclusive_minimum=True)


@pytest.mark.parametrize("value, problem", [(0, "must be greater than 0, got 0"), (0.0, "must be greater than 0, got 0.0"), (-1.0, "must be greater than 0, got -1.0"), (1e-9, None), (5, None)])
def test_an_exclusive_minimum_refuses_the_minimum_itself(value, problem):
    assert TEMPERATURE.problem(value) == problem


def test_an_exclusive_minimum_needs_a_minimum():
    with pytest.raises(ValueError, match="exclusive_minimum applies to a minimum"):
        Param("t", "float", 1.0, "", exclusive_minimum=True)


@pytest.mark.parametrize(
    "param, value, problem",
    [
        (Param("p", "list", [1], "", items="int", minimum=-1, excluded=(0,)), [5, 0], "element 1: must be at least -1 and not be 0, got 0"),
        (Param("p", "list", [1], "", items="int", minimum=-1, excluded=(0,)), [5, -1], None),
        (Param("p", "int", 1, "", minimum=0, maximum=9, excluded=(4, 7)), 7, "must be at least 0 and at most 9 and not be 4 or 7, got 7"),
        (Param("p", "int", 1, "", excluded=(0,)), 0, "must not be 0, got 0"),
        (Param("p", "list", [1], "", items="int", min_items=1), [], "must have at least 1 element, got []"),
        (Param("p", "list", [1, 1], "", items="int", min_items=2), [1], "must have at least 2 elements, got [1]"),
    ],
)
def test_excluded_values_and_the_fewest_elements(param, value, problem):
    assert param.problem(value) == problem


def test_min_items_applies_to_lists():
    with pytest.raises(ValueError, match="min_items applies to type list"):
        Param("n", "int", 1, "", min_items=1)


def _declared(registry, name: str) -> list[Param]:
    return [param for kind in registry.components for component in registry.components[kind].values() for param in component.params if param.name == name]


@pytest.mark.parametrize("name", ["temperature", "tau", "valid_fraction", "test_fraction"])
def test_divisors_and_held_out_shares_must_be_above_zero(harness_registry, name):
    """A temperature divides logits (0 gives inf/nan); a held-out share of 0 leaves a split empty."""
    declared = _declared(harness_registry, name)
    assert declared and all(param.problem(0) == "must be greater than 0, got 0" and param.problem(0.01) is None for param in declared)


def test_every_fanout_needs_one_positive_or_all_entry_per_layer(harness_registry):
    declared = _declared(harness_registry, "fanout")
    assert len(declared) >= 2  # the shared training parameter and joint's own
    for param in declared:
        assert param.problem([]) == "must have at least 1 element, got []"
        assert param.problem([5, 0]) == "element 1: must be at least -1 and not be 0, got 0"
        assert param.problem([5, -1]) is None


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


def test_choices_of_a_typed_list_bound_each_element():
    names = Param("auxiliaries", "list", [], "tasks", items="str", choices=("link", "attributes"))
    assert names.problem([]) is None and names.problem(["attributes", "link"]) is None
    assert names.problem(["link", "lnk"]) == "element 1: must be one of ['link', 'attributes'], got 'lnk'"
