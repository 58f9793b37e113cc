"""Planetoid citation graphs Cora, CiteSeer and PubMed (Yang, Cohen and Salakhutdinov,
"Revisiting Semi-Supervised Learning with Graph Embeddings", ICML 2016), read in place by PyG's
raw reader from the data root.

The published statistics (nodes, edges as PyG counts them, that is both directions of each
undirected edge after removing duplicates and self-loops, classes, features) are in
``datasets.csv``. Splits: the public split of the paper (20 labelled nodes per class, 500
validation, 1000 test) by default, or a random one drawn from ``split_seed`` as PyG's
``Planetoid(split="random")`` does (``train_per_class`` labelled nodes per class), or LTD's
protocol (``split: ltd``: the largest connected component, 20 training, 20 ``meta`` and 10
validation nodes per class), or one random split per cell seed under a grid's
``split: per-seed`` (see :mod:`.loader` for the one difference: CiteSeer's 15
unlabelled nodes are never drawn). Features are row-normalised by default, as Kipf and Welling
do. No download unless a dataset is given ``download: true`` (:mod:`.files`): the shared data
carries Cora and CiteSeer whole, but its PubMed lacks ``ind.pubmed.allx``, which the preflight
and the loader say.
"""

from dataclasses import replace

from harness import Param, hookimpl
from harness.cell import FIXED, PER_SEED
from harness.metadata import dataset_components, read_table


def _params(row):
    return (
        Param("normalize_features", "bool", True, "row-normalise the bag-of-words features (as Kipf and Welling do)"),
        Param("split", "str", "public", "'public': the split of Yang et al. (2016); 'random': train_per_class training nodes per class, 500 validation and 1000 test nodes drawn from split_seed (as PyG's split='random'); 'ltd': LTD's protocol (Guo et al. 2023) on the largest connected component, per class 20 training, 20 'meta' (for learning how to distil) and 10 validation nodes, the rest for test", choices=("public", "random", "ltd")),
        Param("split_seed", "int", 0, "seed of the random and ltd splits (ignored by the public split)", minimum=0),
        Param("train_per_class", "int", 20, "training nodes per class of the random split (5 for a few-label setting)", minimum=1),
        Param("download", "bool", False, "fetch missing raw files from github.com/kimiyoung/planetoid into <data root>/<PyG name>/raw (needs a writable data root and HARNESS_OFFLINE unset)", affects_results=False),
    )


@hookimpl
def harness_datasets():
    components = dataset_components(read_table("harness_planetoid"), _params, preflight="harness_planetoid.files:check", arguments=lambda row: {"name": row["name"]})
    return [replace(c, splits=(FIXED, PER_SEED), split_params=("split", "split_seed", "train_per_class")) for c in components]
