"""The pre-training strategies on an unlabelled corpus as objectives built for one GNN: Hu et al.'s
node-level self-supervised tasks (:mod:`harness.objectives`) and L2P-GNN's meta loss
(:mod:`.l2p_gnn`). Each gives the objective's module (its heads, trained beside the GNN and
dropped afterwards) and the settings that enter the stage key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import nn

#: the node-level strategies, in the order of Hu et al.'s Table 1
NODE_LEVEL = ("infomax", "edgepred", "attrmasking", "contextpred")
#: every strategy :func:`objective` builds
STRATEGIES = (*NODE_LEVEL, "l2p-gnn")


@dataclass(frozen=True)
class StrategySettings:
    """The strategy-specific settings (Hu et al.'s defaults)."""

    mask_rate: float = 0.15
    context_size: int = 3
    # L2P-GNN (Lu et al.'s defaults)
    node_step_size: float = 1e-3
    graph_step_size: float = 1e-3
    support_size: int = 10
    query_size: int = 5
    first_order: bool = False

    def key(self, strategy: str) -> dict[str, Any]:
        """The settings ``strategy`` depends on (the others must not re-key its stage)."""
        if strategy == "attrmasking":
            return {"mask_rate": self.mask_rate}
        if strategy == "contextpred":
            return {"context_size": self.context_size}
        if strategy == "l2p-gnn":
            return {name: getattr(self, name) for name in ("node_step_size", "graph_step_size", "support_size", "query_size", "first_order")}
        return {}


class MetaObjective(nn.Module):
    """L2P-GNN's meta loss as an objective: it holds the GNN it adapts, so the pre-training loop
    optimises each parameter once."""

    def __init__(self, gnn: nn.Module, width: int, settings: StrategySettings):
        super().__init__()
        from harness_pretraining.l2p_gnn import L2PGNN

        self.l2p = L2PGNN(gnn, width, node_step_size=settings.node_step_size, graph_step_size=settings.graph_step_size,
                          support_size=settings.support_size, query_size=settings.query_size)
        self.first_order = settings.first_order

    def loss(self, gnn: nn.Module, batch):
        if gnn is not self.l2p.gnn:
            raise ValueError("the L2P-GNN objective adapts the GNN it was built with")
        return self.l2p.meta_loss(batch, first_order=self.first_order)


def objective(strategy: str, settings: StrategySettings, width: int, num_layers: int, categorical, context_gnn, gnn: nn.Module) -> nn.Module:
    """The objective of ``strategy`` for ``gnn``, of ``num_layers`` layers of width ``width`` on
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
    if strategy == "l2p-gnn":
        return MetaObjective(gnn, width, settings)
    raise ValueError(f"unknown pre-training strategy {strategy!r}; valid: {', '.join(STRATEGIES)}")
