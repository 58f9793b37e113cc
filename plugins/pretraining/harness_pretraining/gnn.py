"""The GNN a method pre-trains and fine-tunes: the cell's backbone (Hu et al.'s GIN, ``gin-mol``)
built as a node encoder of its own width, with the dropout of the phase (0 for node-level
pre-training, 0.2 for supervised pre-training, the cell's, 0.5 by default, for fine-tuning), and
its identity without the dropout, which is what a pre-trained checkpoint depends on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: backbone parameters that do not change which weights a checkpoint holds
PHASE_PARAMS = ("dropout",)


@dataclass
class Gnn:
    backbone: Any  # the cell's BackboneFactory
    identity: dict  # the cell's backbone identity

    @property
    def width(self) -> int:
        return int(self.backbone.params.get("hidden", 300))

    @property
    def num_layers(self) -> int:
        return int(self.backbone.params.get("num_layers", 5))

    def build(self, in_dim: int, categorical, dropout: float | None = None, **overrides):
        """A fresh GNN; ``dropout`` None keeps the cell's."""
        if dropout is not None:
            overrides["dropout"] = dropout
        return self.backbone(in_dim, self.width, categorical=categorical, **overrides)

    def key(self) -> dict:
        """The backbone's identity without the phase's parameters: what a checkpoint fits."""
        params = {name: value for name, value in self.identity["params"].items() if name not in PHASE_PARAMS}
        return {**self.identity, "params": params}


def of(backbone, context) -> Gnn:
    return Gnn(backbone, context.cell.backbone.identity())
