"""The encoder as the encoder stages train it: with the top k blocks trainable, the frozen blocks
run once for every node and their stored output gives the same vectors and gradients as running
them at every step (tiny random BERT and ESM)."""

from __future__ import annotations

import types

import pytest
import torch

from harness_ne import frozen_prefix
from harness_ne.stage_encoder import StageEncoder
from helpers.tiny_models import save_tiny_bert, save_tiny_esm


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    return {"bert": str(save_tiny_bert(tmp_path_factory.mktemp("bert"))), "esm": str(save_tiny_esm(tmp_path_factory.mktemp("esm")))}


class _Context:
    """What a StageEncoder asks of a cell's context: its stages (built every time here)."""

    def __init__(self):
        self.built = []

    def stage(self, name, build, **declaration):
        self.built.append(name)
        return build()


def _task(texts):
    return types.SimpleNamespace(raw={"text": texts, "sequence": texts}, identity={"name": "texts"}, data=types.SimpleNamespace(num_nodes=len(texts)))


TEXTS = ["graph neural networks", "a protein binds its receptor tightly", "the market fell", "deconvolution of labels over many hops in a graph",
         "x", "language models read titles and abstracts"]
SEQUENCES = ["MKV", "MLAGVSERTIDPK", "GGA", "MKTAYIAKQRQISFVKSHFSRQ", "M", "PEPTIDE"]


def _encoder(kind, path):
    from harness_encoders.lm import ProteinLM, TextLM

    if kind == "bert":
        return TextLM(model=path, max_length=16, batch_size=4)
    return ProteinLM(model=path, max_length=16, batch_size=4)


def _stage(kind, tiny_models, k, store=True, monkeypatch=None):
    if not store:
        monkeypatch.setattr(frozen_prefix, "LIMIT_BYTES", 0)
        import harness_ne.stage_encoder as module

        monkeypatch.setattr(module, "LIMIT_BYTES", 0)
    encoder = _encoder(kind, tiny_models[kind])
    return StageEncoder(encoder, _task(TEXTS if kind == "bert" else SEQUENCES), k, _Context())


@pytest.mark.parametrize("kind", ["bert", "esm"])
def test_stored_states_give_the_same_vectors_and_gradients(kind, tiny_models, monkeypatch):
    stored = _stage(kind, tiny_models, 1)
    assert stored.prefix is not None and stored.context.built == ["frozen-prefix"]
    nodes = torch.tensor([3, 0, 4])

    def step(stage):
        with stage.training() as trainable:
            torch.manual_seed(0)  # the same dropout masks in the trainable block
            stage.embed(nodes).pow(2).sum().backward()
            gradients = [parameter.grad.clone() for parameter in trainable]
        return gradients, stage.encode()

    stored_gradients, stored_vectors = step(stored)
    with monkeypatch.context() as patch:
        recomputed = _stage(kind, tiny_models, 1, store=False, monkeypatch=patch)
        assert recomputed.prefix is None
        gradients, vectors = step(recomputed)
    assert len(gradients) == len(stored_gradients) > 0
    assert all(torch.allclose(a, b, rtol=1e-4, atol=1e-6) for a, b in zip(gradients, stored_gradients))
    assert torch.allclose(vectors, stored_vectors, rtol=1e-4, atol=1e-6)
    assert torch.allclose(vectors, _encoder(kind, tiny_models[kind]).encode(_task(TEXTS if kind == "bert" else SEQUENCES)), atol=1e-5)


def test_a_step_runs_only_the_trainable_blocks(tiny_models):
    stage = _stage("bert", tiny_models, 1)
    calls = []
    handles = [block.register_forward_hook(lambda module, args, out, i=i: calls.append(i)) for i, block in enumerate(frozen_prefix.blocks(stage.model))]
    with stage.training():
        stage.embed(torch.tensor([0, 1]))
    stage.encode()
    for handle in handles:
        handle.remove()
    assert set(calls) == {1}


def test_frozen_blocks_run_in_eval_mode_and_encoding_keeps_the_training_modes(tiny_models):
    stage = _stage("bert", tiny_models, 1)
    blocks = frozen_prefix.blocks(stage.model)
    with stage.training() as trainable:
        assert not stage.model.embeddings.training and not blocks[0].training and blocks[1].training
        stage.encode()
        assert not blocks[0].training and blocks[1].training
        assert {id(p) for p in trainable} == {id(p) for p in blocks[1].parameters()}
    assert not stage.model.training and all(p.requires_grad for p in stage.model.parameters())
    everything = _stage("bert", tiny_models, 0)
    assert everything.prefix is None
    with everything.training() as trainable:
        assert everything.model.embeddings.training and len(trainable) == len(list(everything.model.parameters()))


def test_states_are_not_stored_when_feeding_them_would_change_the_output(tiny_models, monkeypatch):
    def wrong(self, nodes):
        return torch.zeros(len(nodes), int(self.tokens.lengths[nodes].max()), self.states.size(1))

    monkeypatch.setattr(frozen_prefix.FrozenPrefix, "batch", wrong)
    with pytest.warns(UserWarning, match="does not reproduce"):
        stage = _stage("bert", tiny_models, 1)
    assert stage.prefix is None


def test_too_many_trainable_layers_is_refused(tiny_models):
    with pytest.raises(ValueError, match="trainable_layers = 3, but the encoder has 2 blocks"):
        _stage("bert", tiny_models, 3)
