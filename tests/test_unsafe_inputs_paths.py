"""Untrusted files and names stay harmless: a pickle in the data root that names anything but
the numpy/scipy types Planetoid's files hold is refused before anything it names runs, and a
dataset name never becomes a path outside the folder it is written in."""

from __future__ import annotations

import os
import pickle

import pytest
import torch

from dataset_files import write_tiny_planetoid
from harness.data import safe_pickle
from harness.data.safe_pickle import UnsafePickle
from harness_planetoid.loader import load


class _RunsCode:
    """Unpickling this runs a shell command that creates ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _crafted_root(tmp_path, file: str = "ind.cora.x"):
    raw = tmp_path / "data" / "Cora" / "raw"
    write_tiny_planetoid(raw, "cora")
    marker = tmp_path / "ran"
    (raw / file).write_bytes(pickle.dumps(_RunsCode(marker), protocol=2))
    return tmp_path / "data", raw / file, marker


@pytest.mark.parametrize("file", ["ind.cora.x", "ind.cora.ally", "ind.cora.graph"])
def test_a_planetoid_file_that_would_run_code_is_refused_and_nothing_runs(tmp_path, file):
    root, crafted, marker = _crafted_root(tmp_path, file)
    with pytest.raises(UnsafePickle) as error:
        load(str(root), name="cora")
    message = str(error.value)
    assert str(crafted) in message and "system" in message and "replace it with the published copy" in message
    assert not marker.exists()


def test_a_refused_name_is_not_even_imported(tmp_path):
    """Resolving a name imports its module, which may run code: the check comes first."""
    path = tmp_path / "ind.cora.y"
    path.write_bytes(b"\x80\x02cnot_a_module_anyone_has\nthing\nq\x00.")
    with pytest.raises(UnsafePickle, match="not_a_module_anyone_has.thing"):
        safe_pickle.load(path)


def test_tiny_files_pickled_by_current_numpy_and_scipy_still_load(tmp_path):
    truth = write_tiny_planetoid(tmp_path / "Cora" / "raw", "cora")
    task = load(str(tmp_path), name="cora", normalize_features=False)
    assert torch.equal(task.data.x, torch.from_numpy(truth["features"]))
