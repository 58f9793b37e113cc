"""Start-up time of the command line: ``harness --help`` and ``harness list`` as fresh
subprocesses (interpreter start, argument parsing, plugin discovery through entry points).

Target: well under a second each; the CLI must stay cheap because it never imports torch
(asserted here as a functional check, not a timing one).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

ROUNDS = 10


@pytest.mark.parametrize("args", [["--help"], ["list"]], ids=["help", "list"])
def test_cli_startup(benchmark, run_harness, args):
    run_harness(*args)  # warm the file-system cache; also fails early if the command fails
    result = benchmark.pedantic(run_harness, args=tuple(args), rounds=ROUNDS, iterations=1, warmup_rounds=1)
    assert result.returncode == 0 and result.stdout
    if benchmark.stats is not None:  # None when run without --benchmark-enable
        median_ms = benchmark.stats.stats.median * 1000
        benchmark.extra_info["median_ms"] = round(median_ms, 1)
        print(f"\nharness {' '.join(args)}: median {median_ms:.0f} ms over {ROUNDS} rounds")


# Runs the command in-process through harness.cli.main, then reports which heavy modules it
# pulled in. `--help` ends in SystemExit, which is the normal way out of argparse.
_IMPORT_PROBE = textwrap.dedent(
    """
    import contextlib, io, json, sys
    from harness.cli import main
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(sys.argv[1:])
        except SystemExit as exit:
            code = exit.code
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"torch", "torch_geometric", "ogb", "pandas", "matplotlib"})
    print(json.dumps({"code": code, "heavy": heavy}))
    """
)


@pytest.mark.parametrize("args", [["--help"], ["list"], ["plugins"]], ids=["help", "list", "plugins"])
def test_cli_does_not_import_torch(repo, args):
    import json

    result = subprocess.run([sys.executable, "-c", _IMPORT_PROBE, *args], cwd=repo, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["code"] in (0, None)
    assert not report["heavy"], f"`harness {' '.join(args)}` imported {report['heavy'][:10]} (the CLI must not load torch)"
