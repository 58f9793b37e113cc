"""Sparse node features: bag-of-words and TF-IDF matrices kept as CSR tensors from the dataset
(or encoder) to the backbone's first layer.

Most of a bag-of-words feature matrix is zeros (Cora: 1.3% non-zero; Coauthor CS: 18,333 x
6,805 at 0.9%). Stored dense, every epoch drops out and multiplies the zeros too; stored as a CSR
tensor, input dropout touches the stored values only and the first layer is one sparse-dense
product (Cora, 200 epochs: 9.0 s against 0.37 s).

Who produces them: a dataset or encoder whose features are mostly zeros stores them with
:func:`compress` (a CSR tensor where the matrix is sparse enough, else the dense tensor
unchanged). Who consumes them: a method and a backbone that both declare the capability
:data:`CAPABILITY` receive features as stored; for any other cell the harness hands over the
dense matrix instead (:func:`dense_unless`), so a plugin that never heard of sparse tensors
never sees one. A backbone with the capability takes dense and CSR ``x`` alike and applies input
dropout with :func:`dropout`; a method with it passes ``x`` through without dense operations
(indexing rows, concatenating, ...). Graph-level tasks (a list of graphs) keep dense features.

This module imports torch only inside its functions (listing plugins stays torch-free).
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

#: method and backbone capability: takes node features as a CSR tensor (see the module docstring)
CAPABILITY = "sparse-features"
#: the largest fraction of non-zeros :func:`compress` stores sparse (Cora's 1.3% and Coauthor
#: CS's 0.9% are far below it, Amazon's 35% far above); a CSR value costs about three times a
#: dense one to store and read (value plus column index), so much denser matrices gain nothing
MAX_DENSITY = 0.1

# torch warns once per process that CSR support is "beta"; the operations used here (CSR-dense
# products with gradients for the dense side, pickling, weights-only loading) are tested.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")


def is_sparse(x: Any) -> bool:
    """Whether ``x`` is a sparse (CSR or COO) tensor."""
    import torch

    return isinstance(x, torch.Tensor) and x.layout in (torch.sparse_csr, torch.sparse_coo)


def density(x) -> float:
    """The fraction of non-zero entries of a 2-D tensor, dense or sparse."""
    size = x.size(0) * x.size(1)
    if size == 0:
        return 0.0
    nonzero = x._nnz() if is_sparse(x) else int((x != 0).sum())
    return nonzero / size


def compress(x, max_density: float = MAX_DENSITY):
    """``x`` as a CSR tensor when it is a 2-D floating-point matrix with at most
    ``max_density`` non-zeros; otherwise ``x`` unchanged."""
    if is_sparse(x):
        return x.to_sparse_csr()
    if x.dim() != 2 or not x.is_floating_point() or density(x) > max_density:
        return x
    return x.to_sparse_csr()


def from_scipy(matrix, max_density: float = MAX_DENSITY):
    """A scipy sparse matrix as a float32 CSR tensor when it has at most ``max_density``
    non-zeros, else as a dense float32 tensor (the dense matrix is never built on the way)."""
    import numpy as np
    import torch

    matrix = matrix.tocsr().astype(np.float32)
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    rows, columns = matrix.shape
    if rows * columns and matrix.nnz / (rows * columns) > max_density:
        return torch.from_numpy(matrix.toarray())
    return torch.sparse_csr_tensor(torch.from_numpy(matrix.indptr.astype(np.int64)), torch.from_numpy(matrix.indices.astype(np.int64)),
                                   torch.from_numpy(matrix.data), size=matrix.shape, check_invariants=True)  # read from a file


def densify(x):
    """``x`` as a dense tensor (unchanged when it is dense already)."""
    return x.to_dense() if is_sparse(x) else x


def dropout(x, p: float, training: bool):
    """Input dropout for dense or CSR ``x``: a CSR matrix drops and rescales its stored values
    only, which is what dense dropout does to a matrix whose other entries are zero."""
    import torch
    from torch.nn import functional as F

    if not is_sparse(x):
        return F.dropout(x, p=p, training=training)
    if not training or p == 0:
        return x
    x = x.to_sparse_csr()
    values = F.dropout(x.values(), p=p, training=True)
    return torch.sparse_csr_tensor(x.crow_indices(), x.col_indices(), values, x.size(), check_invariants=False)  # x's own pattern


def product(matrix, dense, transposed):
    """``matrix @ dense`` for a CSR ``matrix`` that takes no gradient; the gradient for
    ``dense`` is ``transposed @ grad`` (``transposed``: ``matrix`` transposed as a CSR tensor,
    see :func:`transpose`). torch's own backward transposes ``matrix`` at every call, which
    costs 7x the product itself on Cora's graph; a caller that multiplies by the same matrix
    every epoch keeps its transposition."""
    return _product_class().apply(matrix, transposed, dense)


def transpose(matrix):
    """A CSR ``matrix`` transposed, as a CSR tensor."""
    return matrix.t().to_sparse_csr()


def linear(x, weight, bias=None):
    """``x @ weight.T + bias``, as ``torch.nn.functional.linear``; a CSR ``x`` (which takes no
    gradient) is multiplied sparse, and the weight's gradient reuses the transposition of the
    sparsity pattern, computed once per stored feature matrix (:func:`dropout` keeps the
    pattern)."""
    from torch.nn import functional as F

    if not is_sparse(x):
        return F.linear(x, weight, bias)
    x = x.to_sparse_csr()
    out = product(x, weight.t(), _transposition(x))
    return out if bias is None else out + bias


def _transposition(x):
    """``x`` transposed, its values permuted by the pattern's cached transposition."""
    import torch

    pattern = _PATTERNS.get(x)
    return torch.sparse_csr_tensor(pattern.crow, pattern.col, x.values()[pattern.order], (x.size(1), x.size(0)), check_invariants=False)


class _Pattern:
    """The transposition of one CSR sparsity pattern: the transposed index tensors and the
    order of the original values in it."""

    def __init__(self, x):
        import torch

        positions = torch.arange(x._nnz(), device=x.device, dtype=torch.float64)  # exact up to 2^53 entries
        numbered = torch.sparse_csr_tensor(x.crow_indices(), x.col_indices(), positions, x.size(), check_invariants=False)
        transposed = transpose(numbered)
        self.crow, self.col = transposed.crow_indices(), transposed.col_indices()
        self.order = transposed.values().long()


class _Patterns:
    """Patterns by the storage of their column indices: :func:`dropout` makes a new tensor each
    epoch over the same index tensors, so the pattern is found again. An entry goes with the
    index storage it is keyed on (no later tensor can be mistaken for it)."""

    def __init__(self):
        self.entries: dict = {}

    def get(self, x) -> _Pattern:
        import weakref

        columns = x.col_indices()
        key = (columns.untyped_storage().data_ptr(), columns.storage_offset(), x._nnz(), tuple(x.size()))
        found = self.entries.get(key)
        if found is None:
            found = self.entries[key] = _Pattern(x)
            weakref.finalize(columns.untyped_storage(), self.entries.pop, key, None)
        return found


_PATTERNS = _Patterns()


@functools.cache
def _product_class():
    """The autograd function of :func:`product` (made on first use: torch is imported then)."""
    import torch

    class Product(torch.autograd.Function):
        @staticmethod
        def forward(ctx, matrix, transposed, dense):
            ctx.transposed = transposed
            return torch.sparse.mm(matrix, dense)

        @staticmethod
        def backward(ctx, grad):
            return None, None, torch.sparse.mm(ctx.transposed, grad)

    return Product


def dense_unless(accepted: bool, task):
    """``task`` (a task view) as a cell may receive it: with its features as
    :func:`as_received` gives them."""
    data = getattr(task, "data", None)
    x = getattr(data, "x", None)
    received = as_received(accepted, x, task)
    return task if received is x else task.with_features(received)


def as_received(accepted: bool, features, task):
    """Features of ``task`` (its own or an encoder's output) as the cell may receive them:
    unchanged when dense, or when the method and backbone take sparse features (``accepted``)
    and the task is one graph; otherwise made dense."""
    if features is None or not is_sparse(features):
        return features
    return features if accepted and getattr(task, "graphs", None) is None else densify(features)
