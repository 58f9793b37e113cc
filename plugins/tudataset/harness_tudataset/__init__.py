"""TU graph-classification datasets MUTAG, PROTEINS (``proteins-tu``, not to be confused with
ogbn-proteins) and ENZYMES, from the TUDataset collection (Morris, Kriege, Bause, Kersting,
Mutzel and Neumann, "TUDataset: A collection of benchmark datasets for learning with graphs",
GRL+ workshop, ICML 2020), read in place from their raw txt files. MUTAG: Debnath et al. (1991);
PROTEINS: Borgwardt et al. (2005); ENZYMES: Schomburg et al. (2004), Borgwardt et al. (2005).

Task: graph classification scored by accuracy (the number TU papers report), one output per
class and class ids as labels (the ``supervised`` method trains such tasks with cross-entropy).
Split: 10-fold stratified cross-validation from ``split_seed``; a cell is one ``fold``: test = the
fold, valid = a stratified 10% of the remaining graphs, train = the rest (:mod:`.loader`). Split
protocols: ``fixed`` (the ``fold`` parameter) and ``folds`` (a grid's ``split: {protocol: folds,
folds: K}``: every fold of a K-fold split, one cell each).
What differs from the literature: fold assignments are drawn by our own generator, so they are
not those of any paper (Errica et al. 2020 publish theirs); node features are the one-hot node
labels, with the node attributes (unscaled) only when ``use_node_attributes`` is true (PyG's
default leaves them out too). Published statistics (graphs, classes, average nodes and
undirected edges per graph) are in ``datasets.csv`` and were checked against the files.
"""

from dataclasses import replace

from harness import Param, hookimpl
from harness.cell import FIXED, FOLDS
from harness.metadata import dataset_components, download_param, read_table


def _params(row):
    params = [
        Param("split_seed", "int", 0, "seed of the stratified 10-fold assignment (and of the validation draw)", minimum=0),
        Param("fold", "int", 0, "the cross-validation fold used as test set, 0..9", choices=tuple(range(10))),
    ]
    if int(row["node_attributes"]):
        params.append(Param("use_node_attributes", "bool", False, f"add the {row['node_attributes']} continuous node attribute(s) (unscaled) to the one-hot node labels"))
    params.append(download_param(row["url"], f"<data root>/tudataset/{row['prefix']}/raw"))
    return params


@hookimpl
def harness_datasets():
    components = dataset_components(read_table("harness_tudataset"), _params, preflight="harness_tudataset.files:check", arguments=lambda row: {"name": row["name"]})
    return [replace(c, splits=(FIXED, FOLDS), split_params=("fold",)) for c in components]
