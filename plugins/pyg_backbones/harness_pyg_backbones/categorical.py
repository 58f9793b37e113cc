"""Integer-coded inputs for every backbone of this plugin: where a task declares categorical node
features (``categorical``, a :class:`harness.features.CategoricalFeatures`), the backbone embeds
them into ``hidden`` channels (a sum of one embedding per column: OGB's ``AtomEncoder`` for
OGB's molecule features, :class:`harness.embedding.CategoricalEmbedding` otherwise) and runs on
the embeddings, as OGB's molecule examples do; categorical edge features are embedded into
``edge_dim`` channels for the backbones that read them (``edge_dim`` > 0), and ignored by the
others.
"""

from __future__ import annotations

from torch import nn

from harness.embedding import edge_embedding, node_embedding
from harness.features import CategoricalFeatures


class CategoricalInputs:
    """What a backbone factory needs to know about its inputs: the width its first layer takes
    (``width``) and :meth:`wrap`, which puts the embeddings in front of the built backbone."""

    def __init__(self, categorical: CategoricalFeatures | None, in_dim: int, hidden: int, edge_dim: int = 0):
        self.node = self.edge = None
        if categorical is not None and categorical.node:
            if in_dim != len(categorical.node):
                raise ValueError(
                    f"the inputs are declared as {len(categorical.node)} categorical columns but in_dim is {in_dim};"
                    " a method building this backbone over other features passes categorical=None"
                )
            self.node = node_embedding(categorical, hidden)
        if categorical is not None and categorical.edge and edge_dim:
            self.edge = edge_embedding(categorical, edge_dim)
        self.width = hidden if self.node is not None else in_dim

    def wrap(self, body: nn.Module) -> nn.Module:
        if self.node is None and self.edge is None:
            return body
        return EmbeddedInputs(body, self.node, self.edge)


class EmbeddedInputs(nn.Module):
    """``body`` run on the embeddings of integer-coded node (and edge) features. It keeps the
    body's ``hops`` and its forward without propagation (on the embedded features)."""

    def __init__(self, body: nn.Module, node: nn.Module | None, edge: nn.Module | None):
        super().__init__()
        self.body, self.node, self.edge = body, node, edge

    @property
    def hops(self) -> int:
        return self.body.hops

    @property
    def has_forward_without_propagation(self) -> bool:
        return bool(getattr(self.body, "has_forward_without_propagation", False))

    def _nodes(self, x):
        return x if self.node is None else self.node(x)

    def forward(self, x, edge_index=None, edge_attr=None):
        if self.edge is not None and edge_attr is not None:
            edge_attr = self.edge(edge_attr)
        return self.body(self._nodes(x), edge_index, edge_attr)

    def forward_without_propagation(self, x):
        return self.body.forward_without_propagation(self._nodes(x))

    def reset_parameters(self):
        for module in (self.node, self.edge, self.body):
            if module is not None and hasattr(module, "reset_parameters"):
                module.reset_parameters()
