"""The deliberately harmful auxiliary task ``random-labels``: a classification head trained on
labels drawn uniformly at random, once per node (or molecule) from the cell's seed, so that they
carry nothing about the target.

It exists for tests and for the acceptance toy of AUX-TS (Han et al., KDD 2021: an adaptive
weighting should give a harmful auxiliary task the lower weight); no paper uses it as a real
auxiliary task. It reads no label of the task.

Which head (the method's ``random_labels_head``):

- ``target`` (the default): the target task's own classifier predicts the random labels of every
  node (molecule): label noise on all items. It is clearly harmful (it pulls the classifier the
  target trains away from the true labels) and a one-step look-ahead sees the conflict;
- ``own``: a head of its own; the random labels then reach the target only through the shared
  encoder. On Cora with 5 labels per class this was found nearly harmless (about a point of
  accuracy, within the spread over seeds) and its gradient about orthogonal to the target's
  (mean cosine near 0), so it tests little.

A borrowed head is held outside the module tree (not a submodule): the model's parameters list
it once, under the target, and the look-ahead's ``functional_call`` never sees a tied module.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

#: classes of a molecule's random label with a head of its own (the downstream sets are binary)
GRAPH_CLASSES = 2
#: the choices of ``random_labels_head``
HEADS = ("target", "own")


def draw(count: int, classes: int, seed: int) -> Tensor:
    """``count`` labels uniform over ``classes``, from a generator of their own seeded with
    ``seed`` (the same labels whatever else the cell draws)."""
    return torch.randint(classes, (count,), generator=torch.Generator().manual_seed(seed))


def draw_binary(count: int, tasks: int, seed: int) -> Tensor:
    """``count`` rows of ``tasks`` labels uniform over {0, 1} (floats, as binary task labels)."""
    return torch.randint(2, (count, tasks), generator=torch.Generator().manual_seed(seed)).float()


class _Head(nn.Module):
    """A linear head of its own, or the target's classifier borrowed (kept out of the module tree)."""

    def __init__(self, width: int, classes: int, borrowed: nn.Module | None):
        super().__init__()
        if borrowed is None:
            self.head = nn.Linear(width, classes)
        else:
            self._borrowed = (borrowed,)  # a tuple: not registered as a submodule

    def classify(self, embeddings: Tensor) -> Tensor:
        head = self.head if "head" in self._modules else self._borrowed[0]
        return head(embeddings)


class RandomNodeLabels(_Head):
    """Every node's random class (cross-entropy per node)."""

    def __init__(self, width: int, labels: Tensor, classes: int, borrowed: nn.Module | None = None):
        super().__init__(width, classes, borrowed)
        self.register_buffer("labels", labels.clone(), persistent=False)

    def per_example(self, encoder: nn.Module, data, generator=None) -> Tensor:
        embeddings = encoder(data.x, data.edge_index, data.edge_attr)
        return F.cross_entropy(self.classify(embeddings), self.labels, reduction="none")


class RandomGraphLabels(_Head):
    """Each molecule's random label, which the batch carries as ``random_label``: class ids
    (cross-entropy per molecule) or a row of binary task labels (BCE averaged over the tasks, as
    the target's per-molecule loss), from the mean-pooled embedding."""

    def per_example(self, encoder: nn.Module, batch, generator=None) -> Tensor:
        from torch_geometric.nn import global_mean_pool

        nodes = encoder(batch.x, batch.edge_index, batch.edge_attr)
        logits = self.classify(global_mean_pool(nodes, batch.batch, size=batch.num_graphs))
        labels = batch.random_label
        if labels.is_floating_point():
            return F.binary_cross_entropy_with_logits(logits, labels, reduction="none").mean(dim=1)
        return F.cross_entropy(logits, labels.view(-1), reduction="none")
