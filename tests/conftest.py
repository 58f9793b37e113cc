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


RECORD_SCHEMA = REPO / "docs" / "record.schema.json"


@pytest.fixture(scope="session")
def record_schema_validator():
    """A JSON Schema validator of ``docs/record.schema.json``."""
    import json

    from jsonschema import Draft202012Validator

    schema = json.loads(RECORD_SCHEMA.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@pytest.fixture(scope="session", autouse=True)
def every_written_record_follows_the_schema(record_schema_validator):
    """Every record the suite writes through a results store in this process is checked against
    the JSON Schema as well as by the store itself: a record the store accepts but the schema
    refuses fails the test that wrote it."""
    from harness.record import Record
    from harness.store import ResultStore

    write = ResultStore.write

    def checked_write(self, record, replace_failed=False):
        path = write(self, record, replace_failed=replace_failed)
        data = record.to_dict() if isinstance(record, Record) else record
        problems = [f"{'/'.join(map(str, e.absolute_path)) or '(record)'}: {e.message}" for e in record_schema_validator.iter_errors(data)]
        assert not problems, f"the store wrote {path}, which {RECORD_SCHEMA.name} refuses: {problems}"
        return path

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ResultStore, "write", checked_write)
        yield
