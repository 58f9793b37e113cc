"""Amazon Computers, Amazon Photo and Coauthor CS, the node-classification datasets introduced by
Shchur, Mumme, Bojchevski and Günnemann, "Pitfalls of Graph Neural Network Evaluation"
(Relational Representation Learning workshop, NeurIPS 2018), read from the ``.npz`` files of
``shchur/gnn-benchmark`` (or their ``.npz.xz``, as in the shared data). Amazon graphs: McAuley
et al. (2015) co-purchases, bag-of-words review features, product categories; Coauthor CS:
Microsoft Academic Graph co-authorship, paper keywords, fields of study.

What differs from the paper: the graph is the whole file, as PyG's ``Amazon`` and ``Coauthor``
load it (undirected, self-loops removed, features binarised), not its largest connected
component, on which the paper's Table 1 and results are computed. ``datasets.csv`` holds both:
``nodes``/``edges`` as PyG documents them (edges counted in both directions) and
``paper_nodes``/``paper_edges`` of the paper (largest component, undirected edges); both were
checked against the files. The split is the paper's protocol (20 training and 30 validation
nodes per class, the rest for test) drawn with our own generator from ``split_seed``, or from
each cell's seed under a grid's ``split: per-seed`` (the paper's 100 random splits), so
particular splits are not the paper's. ``split: ltd`` is LTD's protocol instead (Guo et al.,
WSDM 2023): the largest connected component, per class 20 training, 20 ``meta`` and 10
validation nodes, the rest for test. See :mod:`.loader`.
"""

from dataclasses import replace

from harness import Param, hookimpl
from harness.cell import FIXED, PER_SEED
from harness.metadata import dataset_components, download_param, read_table


def _params(row):
    return (
        Param("split", "str", "shchur", "'shchur': per class 20 training and 30 validation nodes of the whole graph (Shchur et al. 2018); 'ltd': LTD's protocol (Guo et al. 2023) on the largest connected component, per class 20 training, 20 'meta' (for learning how to distil) and 10 validation nodes; the rest is test", choices=("shchur", "ltd")),
        Param("split_seed", "int", 0, "seed of the per-class draw", minimum=0),
        Param("binary_features", "bool", True, "binarise the features as PyG does (every positive entry becomes 1); false keeps Coauthor CS's keyword counts"),
        download_param("github.com/shchur/gnn-benchmark (pinned commit, sha256 checked)", "<data root>/gnn_benchmark_npz"),
    )


@hookimpl
def harness_datasets():
    components = dataset_components(read_table("harness_gnn_benchmark"), _params, preflight="harness_gnn_benchmark.files:check", arguments=lambda row: {"name": row["name"]})
    return [replace(c, splits=(FIXED, PER_SEED), split_params=("split", "split_seed")) for c in components]
