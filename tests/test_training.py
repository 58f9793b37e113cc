"""The core's shared training pieces (``harness.training``): one set of parameter declarations,
used by every built-in trained method, and the epoch loop with best-validation selection,
patience, per-epoch logging and the cell's time limit."""

import subprocess
import sys

import pytest
import torch

from harness.context import CellTimeout
from harness.training.epochs import train_epochs
from harness.training.params import TRAINING_PARAMS, training_params

TRAINED_METHODS = ("supervised", "fixed", "finetuned", "giant", "glem", "ld")


def test_every_trained_method_declares_the_shared_parameters_with_their_defaults(harness_registry):
    shared = {param.name: param for param in TRAINING_PARAMS}
    for name in TRAINED_METHODS:
        declared = {param.name: param for param in harness_registry.get("method", name).params if param.name in shared}
        assert declared == shared, f"method {name} declares the shared training parameters differently"


def test_training_params_selects_and_overrides_defaults():
    patience, fanout = training_params("patience", "fanout", patience=50)
    assert (patience.name, patience.default, fanout.default) == ("patience", 50, [10, 10])
    assert patience.doc == TRAINING_PARAMS[3].doc and TRAINING_PARAMS[3].default == 100  # the shared one is untouched
    assert [p.name for p in training_params()] == ["epochs", "lr", "weight_decay", "patience", "batch_size", "fanout"]
    with pytest.raises(ValueError, match=r"'epoch' is not a shared training parameter \(valid: epochs, .*did you mean 'epochs'\?"):
        training_params(epoch=3)
    with pytest.raises(ValueError, match="not chosen: \\['lr'\\]"):
        training_params("epochs", lr=0.1)
    with pytest.raises(ValueError, match="patience: must be at least 0"):
        training_params(patience=-1)


def test_importing_the_package_and_the_declarations_imports_no_torch():
    code = "import sys, harness.training, harness.training.params; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


class _Context:
    """A run context that records the logged epochs and stops the cell after ``limit`` checks."""

    def __init__(self, limit=None):
        self.logged, self.checks, self.limit = [], 0, limit

    def log_epoch(self, epoch, **metrics):
        self.logged.append((epoch, metrics))

    def check_time(self):
        self.checks += 1
        if self.limit is not None and self.checks > self.limit:
            raise CellTimeout("the cell ran past its time limit")


def _run(scores, patience, context, **kwargs):
    """Train a one-weight model whose weight is the epoch number; validation reads ``scores``."""
    model = torch.nn.Linear(1, 1, bias=False)
    epochs = iter(range(len(scores)))
    modes = []

    def train_epoch():
        modes.append(model.training)
        with torch.no_grad():
            model.weight.fill_(next(epochs))
        return 1.0

    def validate():
        modes.append(model.training)
        assert not torch.is_grad_enabled()
        epoch = int(model.weight.item())
        return scores[epoch], f"outputs of {epoch}"

    best = train_epochs(model, context, epochs=len(scores), patience=patience, train_epoch=train_epoch, validate=validate,
                        improved=lambda score, best: best is None or score > best, **kwargs)
    return best, model, modes


def test_the_best_validation_epoch_is_kept_and_restored():
    context = _Context()
    best, model, modes = _run([0.1, 0.5, 0.3, 0.7, 0.2, 0.6], patience=0, context=context)
    assert (best.epoch, best.score, best.outputs) == (3, 0.7, "outputs of 3")
    assert model.weight.item() == 3 and not model.training
    assert modes == [True, False] * 6  # trained in train mode, validated in eval mode
    assert context.logged == [(e, {"train_loss": 1.0, "valid": s}) for e, s in enumerate([0.1, 0.5, 0.3, 0.7, 0.2, 0.6])]


def test_patience_stops_after_that_many_epochs_without_improvement():
    context = _Context()
    best, model, _ = _run([0.5, 0.9, 0.8, 0.7, 0.95, 0.1], patience=2, context=context)
    assert [epoch for epoch, _ in context.logged] == [0, 1, 2, 3]  # 2 and 3 do not beat 1
    assert best.epoch == 1 and model.weight.item() == 1


def test_a_custom_log_replaces_the_default_and_the_time_limit_still_stops_the_loop():
    context, seen = _Context(limit=2), []
    with pytest.raises(CellTimeout):
        _run([0.1, 0.2, 0.3, 0.4], patience=0, context=context, log=lambda epoch, loss, score: seen.append((epoch, score)))
    assert seen == [(0, 0.1), (1, 0.2), (2, 0.3)] and context.logged == []
