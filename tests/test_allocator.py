"""The allocator settings of the processes that run cells (harness.allocator): applied where
cells run, recorded, and switchable off."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

BEHAVIOUR = Path(__file__).parent / "helpers" / "behaviour_plugin.py"
glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the tuned settings are glibc's")

#: allocates and frees 64 MiB, then prints the resident size kept (MiB) after the free
PROBE = """
import os, sys
from harness.allocator import configure
print(configure(sys.argv[1]), file=sys.stderr)
page = os.sysconf("SC_PAGE_SIZE")
rss = lambda: int(open("/proc/self/statm").read().split()[1]) * page
before = rss()
block = b"x" * (64 << 20)
del block
print((rss() - before) / 2**20)
"""


@glibc_only
@pytest.mark.parametrize("mode, keeps", [("tuned", True), ("default", False)])
def test_tuned_keeps_freed_memory_and_default_gives_it_back(mode, keeps):
    result = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    kept = float(result.stdout)
    assert (kept > 48) == keeps, f"{mode}: {kept:.1f} MiB kept after freeing 64 MiB"


def test_an_unknown_setting_is_refused():
    from harness.allocator import configure

    with pytest.raises(ValueError, match="valid: tuned, default"):
        configure("jemalloc")


def _run(tmp_path: Path, *extra: str) -> list[dict]:
    tmp_path.mkdir()
    grid = tmp_path / "grid.yaml"
    grid.write_text(yaml.safe_dump({"seeds": [0], "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 120}}],
                                    "backbones": ["mlp"], "methods": [{"name": "misbehave", "params": {"mode": "ok"}}]}))
    results = tmp_path / "results"
    args = [sys.executable, "-m", "harness", "run", "--grid", str(grid), "--plugin", str(BEHAVIOUR), "--results-dir", str(results),
            "--cache-dir", str(tmp_path / "cache"), "--leaderboard-dir", str(tmp_path / "boards"), *extra]
    result = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return [json.loads(p.read_text()) for p in results.glob("*/*.json") if p.parent.name != "runs"]


@glibc_only
@pytest.mark.parametrize("isolate", [[], ["--no-isolate"]], ids=["isolated", "no-isolate"])
def test_the_record_says_what_the_methods_process_ran_with(tmp_path, isolate):
    [tuned] = _run(tmp_path / "tuned", *isolate)
    assert tuned["allocator"].startswith("tuned (glibc")
    [plain] = _run(tmp_path / "plain", "--allocator", "default", *isolate)
    assert plain["allocator"] == "default"
