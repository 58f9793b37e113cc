"""``appnp``: predict with an MLP, then propagate the predictions by personalised PageRank
(Gasteiger, published as Klicpera, Bojchevski and Günnemann, "Predict then Propagate: Graph Neural
Networks meet Personalized PageRank", ICLR 2019; official code github.com/gasteigerjo/ppnp).

An MLP (``num_layers`` linear layers with the usual ``hidden``, ``dropout``, ``activation``,
``norm`` and ``residual`` knobs, :func:`.stack.linear_stack`) maps each node's features to
``H``; PyG's :class:`~torch_geometric.nn.APPNP` then runs ``K`` power-iteration steps
``Z <- (1 - alpha) Â Z + alpha H`` from ``Z = H``, with ``Â = D^-1/2 (A + I) D^-1/2`` (PyG's
``gcn_norm``: self-loops added where missing). ``hops`` is ``K``; the forward without
propagation (Label Deconvolution's encoder head) is the MLP alone, which is the same network
with ``Â`` replaced by the identity (every step then gives ``(1 - alpha) H + alpha H = H``).
Sparse features: the MLP's first layer takes a CSR input as the ``mlp`` backbone does, and the
propagation only ever sees the MLP's dense ``out_dim``-wide output.

Defaults: the paper's setting for its citation graphs, 2 layers of 64, dropout 0.5, K = 10,
alpha = 0.1. The paper trains with Adam at lr 0.01, L2 regularisation 5e-3 on the first layer's
weights only and early stopping with patience 100 (up to 10,000 epochs); those are the method's
settings, and the harness's ``supervised`` method uses lr 0.01 and one weight decay for every
parameter (5e-4 by default), 200 epochs, patience 100.

What differs from the paper and the official code:

- edge dropout (``edge_dropout``, default 0, off): the paper uses "dropout with dropout rate
  d = 0.5 on both layers and the adjacency matrix", and the official TensorFlow code drops
  entries of ``(1 - alpha) Â`` afresh at every step at the feature dropout rate (its PyTorch
  code makes it optional, ``drop_prob``, off by default). PyG's ``dropout`` argument drops the
  normalised edge weights (self-loops included) during training, but up to PyG 2.8 (checked
  with 2.8.1) each step drops from the previous step's already dropped and rescaled weights
  (pyg-team/pytorch_geometric#10783): at step k an edge survives with probability ``(1 - p)^k``
  and is scaled by ``(1 - p)^-k``, so with K = 10 and p = 0.5 about one edge in a thousand is
  left, weighted 1024 times. It is therefore off by default; ``tests/test_appnp_sgc.py`` pins
  that behaviour so that a PyG release that fixes it is noticed;
- the linear layers have biases (the official code has none), dropout comes before every
  linear layer (the official code: before the first and the last only, the same for 2 layers),
  and ``activation``, ``norm`` and ``residual`` exist (the paper: ReLU, none, none);
- PyG normalises by in-degrees (the paper's symmetric ``Â`` on undirected graphs); the official
  code row-normalises the features, which here is the dataset's business.
"""

from __future__ import annotations

from torch import nn
from torch_geometric import nn as pyg

from harness_pyg_backbones.categorical import CategoricalInputs
from harness_pyg_backbones.stack import linear_stack


class PredictThenPropagate(nn.Module):
    """The MLP's predictions ``H``, propagated ``K`` steps by PyG's APPNP."""

    def __init__(self, in_dim, out_dim, K, alpha, edge_dropout, **common):
        super().__init__()
        if K < 0 or not 0 <= alpha <= 1:
            raise ValueError(f"appnp needs K >= 0 and 0 <= alpha <= 1, got K={K}, alpha={alpha}")
        self.mlp = linear_stack(in_dim, out_dim, **common)
        # not cached: the normalised adjacency (O(edges), little next to K products) is rebuilt
        # at every call, so a mini-batch or another graph is always propagated on its own edges
        self.propagation = pyg.APPNP(K, alpha, dropout=edge_dropout, cached=False)
        self.hops = K
        self.has_forward_without_propagation = True

    def forward(self, x, edge_index=None, edge_attr=None):
        return self.propagation(self.mlp(x), edge_index)

    def forward_without_propagation(self, x):
        return self.mlp(x)

    def reset_parameters(self):
        self.mlp.reset_parameters()
        self.propagation.reset_parameters()


def appnp(in_dim, out_dim, task_type, K=10, alpha=0.1, edge_dropout=0.0, categorical=None, **common):
    inputs = CategoricalInputs(categorical, in_dim, common["hidden"])
    return inputs.wrap(PredictThenPropagate(inputs.width, out_dim, K, alpha, edge_dropout, **common))
