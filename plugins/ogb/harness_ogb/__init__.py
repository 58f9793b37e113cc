"""OGB node property prediction (Hu et al., NeurIPS 2020; github.com/snap-stanford/ogb):
ogbn-proteins, ogbn-arxiv and ogbn-products through OGB's own ``PygNodePropPredDataset``,
official splits and OGB's ``Evaluator``.

The dataset folder (``<data root>/ogbn_proteins`` ...) must already hold OGB's extracted
download; a missing one is reported before any cell runs, naming the files to place
(:mod:`.files`). ogbn-proteins has no node features: as in OGB's examples, each node gets the
mean of its incident edges' 8 features.
"""

from harness import Component, Param, TaskType, hookimpl

from harness_ogb.files import DATASETS


@hookimpl
def harness_datasets():
    components = []
    for name, meta in DATASETS.items():
        task_type = TaskType.NODE_MULTILABEL if meta["metric"] == "rocauc" else TaskType.NODE_CLASSIFICATION
        params = ()
        if name == "ogbn-proteins":
            params = (Param("node_features", "str", "edge-mean", "node features from the 8-d edge features", choices=("edge-mean", "edge-sum")),)
        components.append(
            Component(
                kind="dataset",
                name=name,
                factory=f"harness_ogb.loader:{meta['loader']}",
                doc=meta["doc"],
                params=params,
                version="1",
                task_types={task_type},
                provides=frozenset({"edge-features"}) if name == "ogbn-proteins" else frozenset(),
                metadata={"metric": meta["metric"], "split": meta["split"], "nodes": meta["nodes"], "source": "OGB"},
                preflight="harness_ogb.files:check",
            )
        )
    return components
