"""Shared test set-up: caches and temporary files go to per-session folders, and the shared
real data is found beside the repository (tests that need it skip where it is absent)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("HARNESS_SHARED_DATA", REPO.parent / "shared" / "data"))

_session_tmp = Path(tempfile.mkdtemp(prefix="harness-tests-"))
for variable, folder in {
    "HARNESS_CACHE_DIR": "cache",
    "XDG_CACHE_HOME": "xdg-cache",
    "HF_HOME": "hf",
    "TORCH_HOME": "torch",
}.items():
    os.environ.setdefault(variable, str(_session_tmp / folder))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# No test reaches the internet: download tests go through loopback servers and unset this.
os.environ.setdefault("HARNESS_OFFLINE", "1")


@pytest.fixture
def shared_data() -> Path:
    if not (SHARED_DATA / "planetoid" / "raw" / "ind.cora.x").is_file():
        pytest.skip(f"the shared real data is not at {SHARED_DATA} (set HARNESS_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture
def repo() -> Path:
    return REPO


def _shared_folder(folder: str, probe: str) -> Path:
    if not (SHARED_DATA / folder / probe).is_file():
        pytest.skip(f"the shared real data has no {folder}/ at {SHARED_DATA} (set HARNESS_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture
def shared_gnn_benchmark() -> Path:
    """The shared data root, when it holds the gnn-benchmark ``.npz.xz`` files."""
    return _shared_folder("gnn_benchmark_npz", "amazon_electronics_photo.npz.xz")


@pytest.fixture
def shared_tudataset() -> Path:
    """The shared data root, when it holds the TU raw files."""
    return _shared_folder("tudataset", "MUTAG/raw/MUTAG_A.txt")
