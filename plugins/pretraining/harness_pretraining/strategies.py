"""Hu et al.'s node-level self-supervised strategies as objectives of :mod:`harness.objectives`
built for one GNN: each gives the objective's module (its heads, trained beside the GNN and
dropped afterwards) and its parameters that enter the stage key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import nn

#: the node-level strategies, in the order of Hu et al.'s Table 1
NODE_LEVEL = ("infomax", "edgepred", "attrmasking", "contextpred")


@dataclass(frozen=True)
class StrategySettings:
    """The strategy-specific settings (Hu et al.'s defaults)."""

    mask_rate: float = 0.15
    context_size: int = 3

    def key(self, strategy: str) -> dict[str, Any]:
        """The settings ``strategy`` depends on (the others must not re-key its stage)."""
        if strategy == "attrmasking":
            return {"mask_rate": self.mask_rate}
        if strategy == "contextpred":
            return {"context_size": self.context_size}
        return {}


def objective(strategy: str, settings: StrategySettings, width: int, num_layers: int, categorical, context_gnn) -> nn.Module:
    """The objective of ``strategy`` for a GNN of ``num_layers`` layers of width ``width`` on
    inputs coded as ``categorical``; ``context_gnn()`` builds contextpred's context GNN."""
    if strategy == "attrmasking":
        from harness.objectives.attribute_masking import AttributeMasking

        if categorical is None or not categorical.node_mask:
            coding = "numbers" if categorical is None else f"the {categorical.vocabulary or 'unnamed'} coding"
            raise ValueError(f"attrmasking needs atom codes with a reserved mask token (featurization 'hu'); these inputs are {coding}")
        return AttributeMasking(width, categorical.node[0], categorical.node_mask, rate=settings.mask_rate)
    if strategy == "contextpred":
        from harness.objectives.context_prediction import ContextPrediction

        return ContextPrediction(width, num_layers, context_gnn(), r1=num_layers - 1, r2=num_layers - 1 + settings.context_size)
    if strategy == "edgepred":
        from harness.objectives.edge_prediction import EdgePrediction

        return EdgePrediction()
    if strategy == "infomax":
        from harness.objectives.infomax import Infomax

        return Infomax(width)
    raise ValueError(f"unknown node-level strategy {strategy!r}; valid: {', '.join(NODE_LEVEL)}")
