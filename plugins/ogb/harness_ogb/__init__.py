"""Open Graph Benchmark datasets (Hu, Fey, Zitnik, Dong, Ren, Liu, Catasta, Leskovec: "Open
Graph Benchmark: Datasets for Machine Learning on Graphs", NeurIPS 2020;
github.com/snap-stanford/ogb) through OGB's own loaders, official splits and Evaluators:

- nodes: ogbn-proteins, ogbn-arxiv, ogbn-products (:mod:`harness_ogb.loader`);
- graphs: ogbg-molhiv, ogbg-molpcba (:mod:`harness_ogb.graph`);
- links: ogbl-ddi, ogbl-collab (:mod:`harness_ogb.link`).

The datasets' facts (task, metric, split, the published node, edge and graph counts, OGB's
download URL) are the table ``datasets.csv``, read through :mod:`harness.metadata`. A missing
dataset stops the run before any cell, naming the files to place and the folder; with the
dataset parameter ``download: true`` it is first fetched from OGB's URL with a bounded timeout
into a writable data root (never with ``HARNESS_OFFLINE=1``; :mod:`harness_ogb.files`,
:mod:`harness_ogb.fetch`).

What differs from OGB's examples is said in each loader's module: ogbn-proteins' node features
from its edges, arxiv's edges both ways, one-hot molecule features and ddi node ids in place of
learned embeddings, collab's test-time graph without validation edges, and raw text and protein
sequences (``text``, ``sequences``: data beyond OGB's features, flagged as external data).
"""

from dataclasses import replace

from harness import Param, hookimpl
from harness.features import OGB_MOLECULE, metadata_entry
from harness.metadata import dataset_components

from harness_ogb.files import DEFAULT_FASTA, LAYOUT_COLUMNS, TABLE

PARAMS = {
    "ogbn-proteins": (
        Param("node_features", "str", "edge-mean", "node features from the 8-d edge features", choices=("edge-mean", "edge-sum")),
        Param("sequences", "str", "none", "amino-acid sequences in raw['sequence']: 'require' reads mapping/nodeidx2proteinid.csv.gz and a STRING FASTA (preflight reports them missing); 'none' reads nothing", choices=("none", "require")),
        Param("fasta", "str", DEFAULT_FASTA, "file name of STRING's protein FASTA (v11.5 in LD's official code), looked up in the dataset folder, then the data root; plain or .gz"),
        Param("missing_sequences", "str", "empty", "protein ids absent from the FASTA: 'empty' gives them an empty sequence (counted in task.info['sequences_missing']), 'fail' stops with their ids", choices=("empty", "fail")),
        Param("clean_sequences", "bool", True, "as LD's preprocessing: ambiguous residue J becomes X and '*' is removed (truncation to 512 tokens is the tokenizer's)"),
    ),
    "ogbn-arxiv": (
        Param("text", "str", "auto", "title and abstract in raw['text'] from mapping/nodeidx2paperid.csv.gz and OGB's titleabs.tsv.gz (dataset folder or data root): 'auto' where both exist, 'require' reports them missing (and fetches titleabs.tsv.gz with download: true), 'none' never; text sets the external-data flag", choices=("auto", "require", "none")),
    ),
    "ogbn-products": (
        Param("text", "str", "auto", "title and description in raw['text'] from mapping/nodeidx2asin.csv.gz and Amazon-3M's raw trn.json.gz and tst.json.gz (dataset folder or data root; never fetched): 'auto' where they exist, 'require' reports them missing, 'none' never; text sets the external-data flag", choices=("auto", "require", "none")),
    ),
    "ogbg-molhiv": (Param("features", "str", "one-hot", "OGB's 9 atom / 3 bond integer features as one-hot columns (a linear layer over them equals OGB's AtomEncoder/BondEncoder) or as the integers, declared categorical so that backbones embed them with OGB's encoders", choices=("one-hot", "integer")),),
    "ogbg-molpcba": (Param("features", "str", "one-hot", "OGB's 9 atom / 3 bond integer features as one-hot columns (about 8 GB for molpcba) or as the integers, declared categorical so that backbones embed them with OGB's encoders", choices=("one-hot", "integer")),),
    "ogbl-ddi": (Param("node_features", "str", "one-hot", "ddi has no node features: one 0/1 column per node (a linear layer over it is a learned node embedding, as in OGB's examples) or a constant 1", choices=("one-hot", "constant")),),
}


DOWNLOAD = Param("download", "bool", False, "fetch a missing dataset from OGB's URL (master.csv) into <data root>/<name>, with bounded time, before any cell runs (needs a writable data root and HARNESS_OFFLINE unset)", affects_results=False)


def _params(row):
    return (*PARAMS.get(row["name"], ()), DOWNLOAD)


def _rows():
    return [{key: value for key, value in row.items() if key not in LAYOUT_COLUMNS} for row in TABLE.values()]


#: the molecule sets' integer features (``features: integer``) are OGB's categorical codes
_CATEGORICAL = {name: metadata_entry((OGB_MOLECULE, {"features": "integer"})) for name in ("ogbg-molhiv", "ogbg-molpcba")}


@hookimpl
def harness_datasets():
    components = dataset_components(_rows(), params=_params, preflight="harness_ogb.files:check")
    return [replace(c, metadata={**c.metadata, **_CATEGORICAL.get(c.name, {})}) for c in components]
