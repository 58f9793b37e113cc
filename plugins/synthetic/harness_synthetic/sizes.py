"""The preflight of the synthetic node classification sets: sizes that leave every split
non-empty. Torch-free, so that a grid asking for too few nodes is refused before any cell runs.

The fixed and per-seed splits take :data:`TRAIN_PER_CLASS` training nodes from each class and
halve the rest into validation and test; the block model gives every class ``num_nodes //
num_classes`` nodes or one more. Stratified k-fold needs at least k nodes in every class.
"""

from __future__ import annotations

from harness.cell import FOLDS

#: training nodes drawn from each class (Planetoid style, see :mod:`.datasets`)
TRAIN_PER_CLASS = 20
#: nodes each class keeps beyond its training nodes, so that validation and test hold some
SPARE_PER_CLASS = 2


def check(name: str, root: str, params: dict) -> list[str]:
    """Problems with the sizes ``params`` ask for (an empty list when the splits are sound)."""
    num_nodes, num_classes = params["num_nodes"], params["num_classes"]
    smallest = num_nodes // num_classes
    choice = params.get("split_choice")
    if choice is not None and choice.protocol == FOLDS:
        if smallest < choice.count:
            return [f"{choice.count}-fold cross-validation needs at least {choice.count} nodes per class; num_nodes {num_nodes} over {num_classes} classes gives {smallest}"]
        return []
    needed = (TRAIN_PER_CLASS + SPARE_PER_CLASS) * num_classes
    if num_nodes < needed:
        return [
            f"num_nodes {num_nodes} leaves no validation or test nodes: the split takes {TRAIN_PER_CLASS} training nodes per class;"
            f" with {num_classes} classes give num_nodes of at least {needed}"
        ]
    return []
