"""A plugin whose component hook calls ``sys.exit`` or raises ``KeyboardInterrupt`` or a bare
``BaseException`` while the registry collects components is reported like a broken plugin (a
warning naming the plugin and the hook; the harness and the other plugins carry on), and
``--strict-plugins`` makes it fatal with exit code 2. Before, such a hook ended the harness: with
``sys.exit(0)``, silently and with exit code 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.plugins import PluginError, Plugins
from harness.registry import Registry

#: case -> (what the hook does, how the report shows the exception)
RAISING = {
    "sys-exit": ("sys.exit(0)", "SystemExit(0)"),
    "keyboard-interrupt": ('raise KeyboardInterrupt("stopped in a hook")', "KeyboardInterrupt('stopped in a hook')"),
    "base-exception": ('raise BaseException("not an Exception")', "BaseException('not an Exception')"),
}


def _plugin(tmp_path: Path, statement: str) -> Path:
    plugin = tmp_path / "exits_in_hook.py"
    plugin.write_text(f"import sys\n\nfrom harness import hookimpl\n\n\n@hookimpl\ndef harness_datasets():\n    {statement}\n")
    return plugin


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("case", list(RAISING))
def test_a_hook_that_exits_is_a_problem_of_its_plugin(case: str, tmp_path: Path):
    statement, shown = RAISING[case]
    plugin = _plugin(tmp_path, statement)
    registry = Registry.from_plugins(Plugins(local_files=[plugin]))
    assert registry.problems == [f"plugin 'harness_local_exits_in_hook': harness_datasets() raised {shown}"]
    assert "synthetic-node" in registry.components["dataset"]  # the other plugins' components are there
    with pytest.raises(PluginError, match="harness_local_exits_in_hook"):
        Registry.from_plugins(Plugins(local_files=[plugin], strict=True))


@pytest.mark.parametrize("case", ["sys-exit", "keyboard-interrupt"])
def test_the_cli_warns_and_goes_on_or_refuses_with_strict_plugins(case: str, tmp_path: Path):
    statement, shown = RAISING[case]
    plugin = _plugin(tmp_path, statement)
    listing = _cli("list", "datasets", "--plugin", str(plugin))
    assert listing.returncode == 0, listing.stderr
    assert f"warning: plugin 'harness_local_exits_in_hook': harness_datasets() raised {shown}" in listing.stderr
    assert "synthetic-node" in listing.stdout  # the listing was made: the harness did not end in the hook
    strict = _cli("list", "datasets", "--plugin", str(plugin), "--strict-plugins")
    assert strict.returncode == 2 and "Traceback" not in strict.stderr, strict.stderr
    assert f"error: plugin 'harness_local_exits_in_hook': harness_datasets() raised {shown}" in strict.stderr
