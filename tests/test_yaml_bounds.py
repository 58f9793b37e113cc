"""Grid YAML: anchors, aliases and merge keys that stay small still load; a duplicate key, an
alias bomb and a recursive alias are refused before any Python object is built from them."""

from __future__ import annotations

import pytest

from harness.grid import MAX_YAML_NODES, GridError, _read_yaml


def _read(tmp_path, text: str):
    path = tmp_path / "grid.yaml"
    path.write_text(text)
    return _read_yaml(str(path))


def test_small_aliases_and_merge_keys_load(tmp_path):
    data = _read(tmp_path, "base: &b {hidden: 16, dropout: 0.5}\nwide: {<<: *b, hidden: 64}\nseeds: &s [0, 1]\nagain: *s\n")
    assert data["wide"] == {"hidden": 64, "dropout": 0.5} and data["again"] == [0, 1]


def test_a_duplicate_key_names_both_lines(tmp_path):
    with pytest.raises(GridError, match=r"line 3, column 3: YAML not accepted: duplicate key 'hidden' \(first at line 2, again at line 3\)"):
        _read(tmp_path, "params:\n  hidden: 16\n  hidden: 32\n")


def test_equal_keys_in_different_mappings_are_fine(tmp_path):
    assert _read(tmp_path, "a: {x: 1}\nb: {x: 2}\n") == {"a": {"x": 1}, "b": {"x": 2}}


def test_a_document_just_within_the_bound_loads(tmp_path):
    # a list of n scalars is n + 1 nodes; the root mapping, its key and the list add 2 more
    data = _read(tmp_path, "seeds: [" + ", ".join(["0"] * (MAX_YAML_NODES - 3)) + "]\n")
    assert len(data["seeds"]) == MAX_YAML_NODES - 3


def test_an_alias_bomb_is_refused_without_expanding_it(tmp_path):
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]  # 10**12 values
    with pytest.raises(GridError, match="expands to more than 100,000 values"):
        _read(tmp_path, "\n".join(levels) + "\n")
