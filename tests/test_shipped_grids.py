"""Every grid in ``grids/`` loads against the installed plugins and drops no combination: a
renamed parameter or a method that no longer fits a dataset shows up here, not on a user's GPU."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.grid import load_grid

GRIDS = sorted((Path(__file__).resolve().parent.parent / "grids").glob("*.yaml"))


@pytest.mark.parametrize("path", GRIDS, ids=[p.stem for p in GRIDS])
def test_grid_loads_and_keeps_every_combination(path, harness_registry):
    grid = load_grid(path, harness_registry)
    assert grid.cells, f"{path.name} expands to no cell"
    # A grid may name components this environment lacks (the DGL backbones outside the DGL
    # lane): those drops say so; any other drop is a mistake in the grid.
    unexpected = [d.reason for d in grid.dropped if "not installed in this environment" not in d.reason]
    assert not unexpected, f"{path.name} drops {unexpected[:3]}"
