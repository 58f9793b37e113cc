"""The largest connected component of a graph, for datasets whose protocol keeps only it (LTD's
split, Shchur et al.'s statistics).

PyG's :class:`~torch_geometric.transforms.LargestConnectedComponents` finds it (weakly connected:
edge directions ignored); this adds what a dataset loader also needs, which nodes of the original
graph were kept, and accepts CSR node features (:mod:`harness.sparse_features`), which PyG's
subgraph cannot index.
"""

from __future__ import annotations

import torch

from harness import sparse_features


def largest_component(data):
    """``(component, kept)``: the subgraph of ``data`` induced by its largest connected
    component, nodes renumbered in their original order, and the original ids of its nodes
    (sorted). Node-level attributes (features, labels) follow their nodes; CSR features stay CSR."""
    from torch_geometric.transforms import LargestConnectedComponents

    data = data.clone()
    sparse = sparse_features.is_sparse(data.x)
    if sparse:
        data.x = sparse_features.densify(data.x)
    data.original_node = torch.arange(data.num_nodes)
    component = LargestConnectedComponents(num_components=1, connection="weak")(data)
    kept = component.original_node
    del component.original_node
    if sparse:
        component.x = sparse_features.compress(component.x)
    return component, kept


def ltd_split(data, seed: int, exclude=()):
    """LTD's protocol on a node-classification graph ``data`` (with labels ``y``): ``(component,
    items)``, the largest connected component and, per class, the parts of
    :data:`harness.data.splits.LTD_PER_CLASS` drawn from ``seed`` (``train``, ``meta``,
    ``valid``), every other node of the component in ``test``. ``exclude``: original ids of
    unlabelled nodes, in no part."""
    import numpy as np

    from harness.data.splits import LTD_PER_CLASS, per_class_parts

    component, kept = largest_component(data)
    position = {int(node): index for index, node in enumerate(kept.tolist())}
    excluded = [position[int(node)] for node in exclude if int(node) in position]
    parts = per_class_parts(component.y.numpy(), seed, LTD_PER_CLASS, exclude=np.asarray(excluded, dtype=np.int64))
    return component, {name: torch.from_numpy(index) for name, index in parts.items()}
