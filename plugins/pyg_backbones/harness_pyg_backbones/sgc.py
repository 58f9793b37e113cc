"""``sgc``: Simple Graph Convolution, a linear map of features propagated ``K`` times (Wu, Zhang,
Souza, Fifty, Yu and Weinberger, "Simplifying Graph Convolutional Networks", ICML 2019;
official code github.com/Tiiiger/SGC).

PyG's :class:`~torch_geometric.nn.SGConv` computes ``(Â^K X) W + b`` with
``Â = D^-1/2 (A + I) D^-1/2`` (PyG's ``gcn_norm``: self-loops added where missing): a GCN of K
layers without its non-linearities, which collapses into one weight matrix. ``hops`` is ``K``;
the forward without propagation (Label Deconvolution's encoder head) is the linear map alone,
``X W + b``. Integer-coded features are embedded into ``out_dim`` channels first: an embedding
followed by the propagation and the linear map is still linear in the one-hot codes, and
``out_dim`` channels are as many as that map can use.

The propagated features ``Â^K X`` have no parameter, so, as the official code precomputes
them, they are computed once while the backbone is handed the same feature and edge tensors,
unmodified and without gradient (full-batch training, :mod:`.same_inputs`). PyG's own
``cached=True`` alone would be wrong here: it keeps the first call's ``Â^K X`` for every later
call whatever graph comes (graph-level tasks call the backbone on one mini-batch after another,
a method may predict on another graph), and it detaches it, cutting a trainable encoder's
gradient. So the layer caches, and the backbone empties PyG's cache whenever the inputs are not
the ones it was filled from and after every call on a trainable input.

What differs from the paper and the official code: the model is the same (with the bias of
the official ``nn.Linear``); integer-coded features get the embedding above. Training is the
method's: the official code trains 100 epochs of Adam at lr 0.2 with a weight decay tuned per
dataset, on row-normalised features, without early stopping (Cora: K = 2, 81.0% test accuracy
in its README); the harness's ``supervised`` method defaults to lr 0.01, weight decay 5e-4, 200
epochs with patience 100. SGC has no dropout (the official code's ``--dropout`` is unused by
SGC) and neither has this backbone, so a grid's default ``dropout`` for its other backbones
(0.5 in the sanity grids) does not reach it.
"""

from __future__ import annotations

from torch import nn
from torch_geometric import nn as pyg

from harness_pyg_backbones.categorical import CategoricalInputs
from harness_pyg_backbones.same_inputs import LastInputs


class SimpleGraphConvolution(nn.Module):
    """PyG's SGConv, its cache of ``Â^K X`` kept only for the inputs it was computed from."""

    def __init__(self, in_dim, out_dim, K):
        super().__init__()
        if K < 0:
            raise ValueError(f"sgc needs K >= 0, got {K}")
        self.conv = pyg.SGConv(in_dim, out_dim, K=K, cached=True)
        if not hasattr(self.conv, "_cached_x"):  # a PyG whose cache we could not empty: refuse, never serve stale features
            raise RuntimeError("this PyG's SGConv keeps its cache elsewhere than _cached_x; sgc cannot empty it")
        self.hops = K
        self.has_forward_without_propagation = True
        self._inputs = LastInputs()

    def forward(self, x, edge_index=None, edge_attr=None):
        if not self._inputs.same(x, edge_index):
            self._empty_cache()
        out = self.conv(x, edge_index)
        if not self._inputs.remember(x, edge_index):
            self._empty_cache()  # a trainable input's propagation carries its gradient: never kept
        return out

    def _empty_cache(self):
        # SGConv keeps its propagated features in ``_cached_x`` and propagates again when it is None
        self.conv._cached_x = None

    def forward_without_propagation(self, x):
        return self.conv.lin(x)

    def reset_parameters(self):
        self.conv.reset_parameters()  # empties PyG's cache too
        self._inputs.forget()


def sgc(in_dim, out_dim, task_type, K=2, categorical=None):
    inputs = CategoricalInputs(categorical, in_dim, out_dim)
    return inputs.wrap(SimpleGraphConvolution(inputs.width, out_dim, K))
