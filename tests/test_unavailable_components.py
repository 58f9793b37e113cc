"""Components that need a module this environment lacks (``Component.requires``) are listed as
unavailable with the reason, and a grid naming them drops their cells with that reason: the DGL
backbones in the main environment, and any plugin's component the same way."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

PLUGIN = '''
from harness import Component, hookimpl

@hookimpl
def harness_backbones():
    return [Component(kind="backbone", name="needs-absent", factory="nowhere:nothing", doc="Needs a module nobody has.",
                      requires=("harness_no_such_module_anywhere",))]
'''


def _harness(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess:
    plugin = tmp_path / "needs_absent.py"
    plugin.write_text(PLUGIN)
    return subprocess.run([sys.executable, "-m", "harness", *arguments, "--plugin", str(plugin)], cwd=tmp_path, capture_output=True, text=True, timeout=300)


def test_a_component_needing_an_absent_module_is_listed_as_unavailable(tmp_path):
    done = _harness(tmp_path, "list", "backbones")
    assert done.returncode == 0, done.stderr
    assert "needs-absent" in done.stdout
    assert "unavailable: backbone 'needs-absent' needs harness_no_such_module_anywhere, not installed in this environment" in done.stdout


def test_a_grid_naming_an_unavailable_component_drops_its_cells_with_the_reason(tmp_path):
    grid = {"seeds": [0], "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 100}}], "backbones": ["mlp", "needs-absent"],
            "methods": [{"name": "supervised", "params": {"epochs": 2}}]}
    (tmp_path / "grid.yaml").write_text(yaml.safe_dump(grid))
    done = _harness(tmp_path, "run", "--grid", "grid.yaml", "--results-dir", "results", "--cache-dir", "cache")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 cell(s), 1 combination(s) dropped" in done.stdout
    assert "needs-absent" in done.stdout and "needs harness_no_such_module_anywhere" in done.stdout
    assert len(list((tmp_path / "results" / "synthetic-node").glob("*.json"))) == 1


@pytest.mark.skipif(importlib.util.find_spec("dgl") is not None, reason="DGL is installed here: its backbones are available")
def test_the_dgl_backbones_are_unavailable_in_the_main_environment(tmp_path):
    from harness.registry import load_registry

    _, registry = load_registry()
    for name in ("dgl-gcn", "dgl-sage", "dgl-gat", "dgl-gin"):
        reason = registry.get("backbone", name).unavailable
        assert reason and "needs dgl" in reason, name
