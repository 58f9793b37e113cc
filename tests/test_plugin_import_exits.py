"""A plugin that calls ``sys.exit`` or raises ``KeyboardInterrupt`` or a bare ``BaseException``
while it is imported is reported and skipped like any broken plugin (the harness and the other
plugins carry on); ``--strict-plugins`` makes it fatal with exit code 2. Both loading routes are
covered: a local plugin file and an entry point of an installed distribution."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.plugins import PluginError, Plugins

RAISING = {
    "sys-exit": ("import sys\nsys.exit(3)\n", "SystemExit: 3"),
    "keyboard-interrupt": ('raise KeyboardInterrupt("stopped at import")\n', "KeyboardInterrupt: stopped at import"),
    "base-exception": ('raise BaseException("not an Exception")\n', "BaseException: not an Exception"),
}


def _cli(*args: str, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ}
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.parametrize("case", list(RAISING))
def test_local_plugin_file_that_exits_at_import_is_reported(case: str, tmp_path: Path):
    source, message = RAISING[case]
    plugin = tmp_path / "exits.py"
    plugin.write_text(source)
    plugins = Plugins(local_files=[plugin])
    (failure,) = plugins.failed
    assert failure.error == message and "harness_local_exits" not in sys.modules
    with pytest.raises(PluginError, match=f"failed to load: {message}"):
        Plugins(local_files=[plugin], strict=True)


@pytest.mark.parametrize("case", list(RAISING))
def test_installed_plugin_that_exits_at_import_is_reported_by_the_cli(case: str, tmp_path: Path):
    source, message = RAISING[case]
    package = tmp_path / "harness_exiting_plugin"
    package.mkdir()
    (package / "__init__.py").write_text(source)
    info = tmp_path / "harness_exiting_plugin-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: harness-exiting-plugin\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[harness]\nexiting = harness_exiting_plugin\n")

    listing = _cli("list", "datasets", pythonpath=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert f"warning: plugin exiting (harness-exiting-plugin) was skipped: {message}" in listing.stderr
    assert "synthetic-node" in listing.stdout  # the other plugins still load

    strict = _cli("list", "datasets", "--strict-plugins", pythonpath=tmp_path)
    assert strict.returncode == 2 and "Traceback" not in strict.stderr, strict.stderr
    assert f"error: plugin 'exiting' (harness-exiting-plugin) failed to load: {message}" in strict.stderr
