"""The bad-input corpus: every malformed grid in ``tests/bad_grids/`` is rejected by the real
command line with exit code 2, one readable message naming the file and the problem, no
traceback, and nothing written.

Each corpus file starts with one or more ``# expect: <fragment>`` comment lines; every fragment
must appear in stderr. Inputs that cannot live in the corpus (a directory, a missing path, bytes
that are not UTF-8) are built at test time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent / "bad_grids"
CORPUS_FILES = sorted(CORPUS.glob("*.yaml"))
EXPECT = "# expect:"
EXIT_INVALID = 2


def expected_fragments(path: Path) -> list[str]:
    """The fragments of the ``# expect:`` lines that open the file (at least the first line)."""
    fragments = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith(EXPECT):
            break
        fragments.append(line[len(EXPECT):].strip())
    return fragments


def run_cli(grid: str | Path, workdir: Path) -> tuple[subprocess.CompletedProcess, Path]:
    results = workdir / "results"
    process = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--grid", str(grid), "--results-dir", str(results)],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    return process, results


def assert_rejected(process: subprocess.CompletedProcess, results: Path, workdir: Path, grid: str | Path, fragments: list[str]) -> None:
    output = process.stdout + process.stderr
    assert "Traceback" not in output, output
    assert process.returncode == EXIT_INVALID, output
    assert process.stderr.startswith("error: invalid grid "), process.stderr
    assert str(grid) in process.stderr, process.stderr
    for fragment in fragments:
        assert fragment in process.stderr, f"{fragment!r} not in stderr:\n{process.stderr}"
    # Nothing ran: no summary on stdout, no records, no results folder, no leaderboards.
    assert process.stdout == "", process.stdout
    if results.exists():
        assert not list(results.rglob("*.json")), "records were written"
        assert not any(results.rglob("*")), sorted(results.rglob("*"))
    left = sorted(p.relative_to(workdir) for p in workdir.rglob("*") if p != results and not p.is_relative_to(workdir / "input"))
    assert left == [], f"the rejected run wrote {left}"


def test_corpus_is_large_enough():
    assert len(CORPUS_FILES) >= 15, CORPUS_FILES


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.stem for p in CORPUS_FILES])
def test_corpus_file_starts_with_expectation(path: Path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(EXPECT) and first[len(EXPECT):].strip(), f"{path.name} must start with '{EXPECT} <fragment>'"


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.stem for p in CORPUS_FILES])
def test_bad_grid_is_rejected(path: Path, tmp_path: Path):
    fragments = expected_fragments(path)
    assert fragments, f"{path.name} has no '{EXPECT}' line"
    process, results = run_cli(path, tmp_path)
    assert_rejected(process, results, tmp_path, path, fragments)


def test_several_problems_are_all_listed(tmp_path: Path):
    """The grid with several problems names each on its own line, after a count."""
    path = CORPUS / "several_problems.yaml"
    fragments = expected_fragments(path)
    count = int(fragments[0].split()[0])
    assert count == len(fragments) - 1 >= 3
    process, _ = run_cli(path, tmp_path)
    problem_lines = [line for line in process.stderr.splitlines() if line.startswith(f"  {path}: ")]
    assert len(problem_lines) == count, process.stderr
    for fragment, line in zip(fragments[1:], problem_lines):
        assert fragment in line, (fragment, line)


def _directory(workdir: Path) -> Path:
    folder = workdir / "input" / "grid.yaml"
    folder.mkdir(parents=True)
    return folder


def _missing(workdir: Path) -> Path:
    (workdir / "input").mkdir()
    return workdir / "input" / "no-such-grid.yaml"


def _invalid_utf8(workdir: Path) -> Path:
    (workdir / "input").mkdir()
    path = workdir / "input" / "latin1.yaml"
    path.write_bytes(b"# a grid saved as Latin-1\nname: r\xe9seau\nseeds: [0]\ndatasets: [synthetic-node]\nbackbones: [gcn]\nmethods: [supervised]\n")
    return path


def _below_a_file(workdir: Path) -> Path:
    (workdir / "input").mkdir()
    path = workdir / "input" / "grid.yaml"
    path.write_text("seeds: [0]\n")
    return path / "grid.yaml"


UNREADABLE = {
    "directory": (_directory, "(file): is a directory, expected a YAML file"),
    "missing": (_missing, "(file): no such file"),
    "invalid-utf8": (_invalid_utf8, "(file): is not UTF-8 text"),
    "path-below-a-file": (_below_a_file, "(file): cannot be read"),
}


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_unreadable_grid_is_rejected(case: str, tmp_path: Path):
    make, fragment = UNREADABLE[case]
    grid = make(tmp_path)
    process, results = run_cli(grid, tmp_path)
    assert_rejected(process, results, tmp_path, grid, [fragment])
