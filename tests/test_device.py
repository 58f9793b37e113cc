"""One source for the device: the run's ``--device`` reaches encoders and methods through the
run context; no component has a device parameter, so a device never enters a cell id."""

from __future__ import annotations

import pytest
import torch

from harness.components import KINDS
from harness.grid import GridError, load_grid
from helpers.tiny_models import save_tiny_bert

#: a device string torch accepts that no default resolves to (``auto`` gives "cpu" or "cuda"):
#: a module moved to it was moved there because the run said so
RUN_DEVICE = "cpu:0"


def test_no_component_takes_a_device_parameter(harness_registry, tmp_path):
    for kind in KINDS:
        for name in harness_registry.names(kind):
            assert harness_registry.get(kind, name).param("device") is None, f"{kind} {name} has a device parameter"
    grid = tmp_path / "grid.yaml"
    grid.write_text("datasets: [synthetic-text]\nencoders: [{name: lm, params: {device: cuda}}]\nbackbones: [gcn]\nmethods: [fixed]\n")
    with pytest.raises(GridError, match="device"):
        load_grid(grid, harness_registry)


@pytest.fixture
def moved_to(monkeypatch):
    """Every device a ``torch.nn.Module`` is moved to, as a string."""
    devices = []
    original = torch.nn.Module.to

    def to(self, *args, **kwargs):
        device = torch._C._nn._parse_to(*args, **kwargs)[0]
        if device is not None:
            devices.append(str(device))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.nn.Module, "to", to)
    return devices


def test_the_encoder_and_joint_run_on_the_run_device(harness_run, tmp_path, moved_to):
    model = str(save_tiny_bert(tmp_path / "tiny-bert"))
    grid = {
        "seeds": 1,
        "datasets": [{"name": "synthetic-text", "params": {"num_nodes": 120}}],
        "encoders": [{"name": "lm", "params": {"model": model, "max_length": 16}}],
        "backbones": [{"name": "gcn", "params": {"hidden": 8}}],
        "methods": [{"name": "fixed", "params": {"epochs": 2}}, {"name": "joint", "params": {"epochs": 1, "batch_size": 32, "fanout": [2, 2]}}],
    }
    _, records = harness_run(grid, device=RUN_DEVICE, isolate=False)  # the spy on Module.to lives in this process
    assert [r["status"] for r in records] == ["complete", "complete"], [r.get("error") for r in records]
    # fixed: the encoder's model; joint: the encoder's model and the GNN
    assert len(moved_to) >= 3 and set(moved_to) == {RUN_DEVICE}
