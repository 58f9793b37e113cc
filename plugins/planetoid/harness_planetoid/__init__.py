"""Planetoid Cora and CiteSeer (Yang et al., ICML 2016) with the public split, read by PyG's
own raw reader from the data root. No download: the files are small and shipped in the shared
data; :mod:`.files` says where they are looked for."""

from harness import Component, Param, TaskType, hookimpl

_STATS = {"cora": (2708, 7, 1433), "citeseer": (3327, 6, 3703)}


@hookimpl
def harness_datasets():
    return [
        Component(
            kind="dataset",
            name=name,
            factory=f"harness_planetoid.loader:{name}",
            doc=f"Planetoid {name.capitalize() if name == 'cora' else 'CiteSeer'} citation graph, public split (20 labels per class, 500 valid, 1000 test).",
            version="1",
            params=(Param("normalize_features", "bool", True, "row-normalise the bag-of-words features (as Kipf and Welling do)"),),
            task_types={TaskType.NODE_CLASSIFICATION},
            metadata={"metric": "acc", "nodes": nodes, "classes": classes, "features": features, "split": "public"},
            preflight="harness_planetoid.files:check",
        )
        for name, (nodes, classes, features) in _STATS.items()
    ]
