"""Every dataset published as loose files can fetch itself (``download: true``): the sha256 pins
in the plugins' ``datasets.csv`` are those of the files the shared data holds, and each dataset,
served through a loopback mirror (``HARNESS_MIRROR``) in the exact bytes its URL serves, lands
where its loader reads it. TU's zip archives have their own test in ``test_tudataset.py``."""

from __future__ import annotations

import gzip
import hashlib
import lzma
import urllib.parse
from pathlib import Path

import pytest

from conftest import SHARED_DATA
from harness.download import DatasetUnavailable, remote_files
from harness.metadata import read_table
from harness_gnn_benchmark import files as gnn_benchmark_files
from harness_linkpred import files as linkpred_files
from harness_moleculenet import files as moleculenet_files
from harness_text_attributed import files as text_files
from helpers import servers


def _zinc_check(name, root, params):
    """The corpus is no grid dataset (its preflight always refuses it): ask its loader's helper."""
    try:
        moleculenet_files.require_file(root, name, params.get("download", False))
    except DatasetUnavailable as error:
        return [str(error)]
    return []


CHECKS = {
    "harness_gnn_benchmark": lambda row: gnn_benchmark_files.check,
    "harness_moleculenet": lambda row: _zinc_check if row["name"] == "zinc" else moleculenet_files.check,
    "harness_linkpred": lambda row: linkpred_files.check,
    "harness_text_attributed": lambda row: text_files.check,
}
ROWS = [(package, row) for package in CHECKS for row in read_table(package)]
PINNED = [(row["name"], remote) for _, row in ROWS for remote in remote_files(row) if remote.sha256]


def _shared_folder(row) -> Path:
    return SHARED_DATA / row.get("folder", "gnn_benchmark_npz")


def _gz(name: str) -> bool:
    return name.endswith(".gz")


def served_bytes(row, remote) -> bytes:
    """What ``remote.url`` serves, rebuilt from the shared copy of ``remote.name`` (which may be
    stored xz-compressed, and gzip-compressed where the source is not, or the other way)."""
    stored = _shared_folder(row) / remote.name
    if not stored.is_file() and stored.with_name(stored.name + ".xz").is_file():
        content = lzma.decompress(stored.with_name(stored.name + ".xz").read_bytes())
    elif stored.is_file():
        content = stored.read_bytes()
    else:
        pytest.skip(f"the shared data has no {stored}")
    url_gz = _gz(urllib.parse.urlparse(remote.url).path)
    if _gz(remote.name) and not url_gz:
        return gzip.decompress(content)
    if url_gz and not _gz(remote.name):
        return gzip.compress(content, mtime=0)
    return content


def test_every_loose_file_dataset_names_a_source():
    assert all(remote_files(row) for _, row in ROWS), [row["name"] for _, row in ROWS if not remote_files(row)]


@pytest.mark.shared_data
@pytest.mark.parametrize("name,remote", PINNED, ids=[f"{name}:{remote.name}" for name, remote in PINNED])
def test_pins_are_the_shared_files(name, remote):
    row = next(row for _, row in ROWS if row["name"] == name)
    assert hashlib.sha256(served_bytes(row, remote)).hexdigest() == remote.sha256


@pytest.mark.shared_data
@pytest.mark.parametrize("package,row", ROWS, ids=[row["name"] for _, row in ROWS])
def test_each_dataset_fetches_itself_into_its_loaders_place(package, row, tmp_path, monkeypatch):
    served, root = tmp_path / "mirror", tmp_path / "data"
    for remote in remote_files(row):
        servers.publish(served, remote.url, served_bytes(row, remote))
    check = CHECKS[package](row)
    assert check(row["name"], str(root), {}) != []  # opt-in: nothing fetched without download: true
    with servers.mirror(served, monkeypatch):
        assert check(row["name"], str(root), {"download": True}) == []
    monkeypatch.setenv("HARNESS_OFFLINE", "1")
    assert check(row["name"], str(root), {}) == []  # found in place from now on
    assert not [p for p in root.rglob("*") if p.name.startswith(".")]  # no partial file left


@pytest.mark.shared_data
def test_a_grid_with_download_true_fetches_before_it_trains(tmp_path, monkeypatch, harness_run):
    row = next(row for _, row in ROWS if row["name"] == "celegans")
    served = tmp_path / "mirror"
    for remote in remote_files(row):
        servers.publish(served, remote.url, served_bytes(row, remote))
    grid = {
        "name": "fetch-then-train",
        "seeds": 1,
        "datasets": [{"name": "celegans", "params": {"download": True, "features": "degree"}}],
        "backbones": ["mlp"],
        "methods": [{"name": "supervised", "params": {"epochs": 3}}],
    }
    with servers.mirror(served, monkeypatch):
        summary, records = harness_run(grid, isolate=False)
    assert [r["status"] for r in records] == ["complete"]
    assert (tmp_path / "data" / "linkpred_seal_classic" / "Celegans.txt").is_file()
