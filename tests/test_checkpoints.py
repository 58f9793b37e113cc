"""Checkpoints (:mod:`harness.checkpoints`): a module's weights as a stage payload, read back with
``weights_only=True``, loaded only whole and with matching shapes; and the mask code a
categorical declaration reserves (:class:`harness.features.CategoricalFeatures`)."""

from __future__ import annotations

import io

import pytest
import torch
from torch import nn

from harness.checkpoints import CheckpointMismatch, checkpoint, load_checkpoint
from harness.features import CategoricalFeatures


def _model(width: int = 4, norm: bool = True) -> nn.Module:
    layers = [nn.Linear(3, width)] + ([nn.BatchNorm1d(width)] if norm else [])
    return nn.Sequential(*layers)


def test_a_checkpoint_round_trips_through_weights_only_loading_into_a_fresh_model():
    source = _model()
    source(torch.randn(8, 3))  # moves the BatchNorm running statistics away from their start
    buffer = io.BytesIO()
    torch.save(checkpoint(source), buffer)
    state = torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)
    target = _model()
    load_checkpoint(target, state)
    for name, tensor in source.state_dict().items():
        assert torch.equal(target.state_dict()[name], tensor), name


def test_a_checkpoint_is_a_copy_on_the_cpu():
    model = _model()
    state = checkpoint(model)
    with torch.no_grad():
        model[0].weight.add_(1.0)
    assert not torch.equal(state["0.weight"], model[0].weight) and state["0.weight"].device.type == "cpu"


def test_a_checkpoint_of_other_shapes_is_refused_naming_every_mismatched_tensor_and_nothing_is_loaded():
    target = _model(width=4)
    before = {name: tensor.clone() for name, tensor in target.state_dict().items()}
    with pytest.raises(CheckpointMismatch) as raised:
        load_checkpoint(target, checkpoint(_model(width=5)), "the attrmasking checkpoint")
    message = str(raised.value)
    assert message.startswith("the attrmasking checkpoint does not fit the Sequential")
    assert "0.weight: checkpoint (5, 3), model (4, 3)" in message and "1.running_mean: checkpoint (5,), model (4,)" in message
    assert all(torch.equal(before[name], tensor) for name, tensor in target.state_dict().items())


def test_missing_and_unexpected_tensors_are_named():
    with pytest.raises(CheckpointMismatch, match=r"1\.weight: missing from the checkpoint.*") as raised:
        load_checkpoint(_model(norm=True), checkpoint(_model(norm=False)))
    with pytest.raises(CheckpointMismatch, match=r"1\.bias: not in the model"):
        load_checkpoint(_model(norm=False), checkpoint(_model(norm=True)))
    assert "1.running_var: missing from the checkpoint" in str(raised.value)


def test_a_node_mask_has_one_code_per_column_within_its_vocabulary_and_survives_the_dict_form():
    features = CategoricalFeatures(node=(120, 4), edge=(6, 3), vocabulary="hu", node_mask=(119, 0))
    assert CategoricalFeatures.from_dict(features.to_dict()) == features
    assert "node_mask" not in CategoricalFeatures(node=(3,)).to_dict()
    with pytest.raises(ValueError, match="node_mask needs one code per node column"):
        CategoricalFeatures(node=(120, 4), node_mask=(119,))
    with pytest.raises(ValueError, match="within its vocabulary"):
        CategoricalFeatures(node=(120, 4), node_mask=(120, 0))
