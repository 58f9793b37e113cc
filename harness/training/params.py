"""The parameters every trained method shares, declared once with one set of defaults.

Torch-free: plugins read these when their components are declared (``harness list``).

The defaults are the classic semi-supervised GNN setting: 200 epochs of Adam at lr 0.01 with
weight decay 5e-4 (Kipf & Welling, ICLR 2017), patience 100 on the validation metric (GAT,
Velickovic et al., ICLR 2018), full batch, and fan-out 10 per layer when neighbour sampling is
switched on. A method whose own setting differs says so in its declaration, through
:func:`training_params`, so its grids keep meaning what they meant.
"""

from __future__ import annotations

import dataclasses

from harness.components import Param
from harness.suggest import suggest

EPOCHS = Param("epochs", "int", 200, "maximum number of training epochs", minimum=1)
LR = Param("lr", "float", 0.01, "Adam learning rate", minimum=0)
WEIGHT_DECAY = Param("weight_decay", "float", 5e-4, "Adam weight decay (L2)", minimum=0)
PATIENCE = Param("patience", "int", 100, "stop after this many epochs without a better validation score; 0 never stops early", minimum=0)
BATCH_SIZE = Param("batch_size", "int", 0, "items per mini-batch (graphs for graph tasks, target nodes with their sampled neighbourhoods for node tasks); 0 means full batch", minimum=0)
FANOUT = Param("fanout", "list", [10, 10], "neighbours sampled per layer when node tasks run in mini-batches; -1 keeps all", items="int", minimum=-1, excluded=(0,), min_items=1)

#: Every shared declaration, in the order methods list them.
TRAINING_PARAMS = (EPOCHS, LR, WEIGHT_DECAY, PATIENCE, BATCH_SIZE, FANOUT)


def training_params(*names: str, **defaults) -> tuple[Param, ...]:
    """The shared declarations named in ``names`` (all of them when none is named), in their
    usual order, with the defaults given as keywords replaced: ``training_params(patience=50)``
    for a method whose official setting differs from the shared one."""
    by_name = {param.name: param for param in TRAINING_PARAMS}
    unknown = sorted((set(names) | set(defaults)) - set(by_name))
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not a shared training parameter ({suggest(unknown[0], list(by_name))})")
    chosen = [param for param in TRAINING_PARAMS if not names or param.name in names]
    missing = sorted(set(defaults) - {param.name for param in chosen})
    if missing:
        raise ValueError(f"defaults given for parameters not chosen: {missing}")
    for param in chosen:
        problem = param.problem(defaults[param.name]) if param.name in defaults else None
        if problem:
            raise ValueError(f"default of {param.name}: {problem}")
    return tuple(dataclasses.replace(param, default=defaults[param.name]) if param.name in defaults else param for param in chosen)


@dataclasses.dataclass(frozen=True)
class TrainingSettings:
    """The values of the shared parameters for one cell (a method builds it from its keyword
    arguments: ``TrainingSettings(epochs=..., lr=..., ...)``). ``fanout`` is kept as a tuple so
    the settings hash and compare by value."""

    epochs: int
    lr: float
    weight_decay: float
    patience: int
    batch_size: int
    fanout: tuple

    def __post_init__(self):
        object.__setattr__(self, "fanout", tuple(self.fanout))
