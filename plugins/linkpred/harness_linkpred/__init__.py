"""Link prediction on real graphs read in place from the data root, and SHS27k protein pairs.

Datasets (one row each in ``datasets.csv``, with the published and the file statistics):

- SEAL's benchmark set, files from the SEAL repository (muhanzhang/SEAL): USAir, NS, PB, Yeast,
  C.elegans, Power, Router, E.coli. Zhang & Chen, "Link Prediction Based on Graph Neural
  Networks", NeurIPS 2018 (and "Weisfeiler-Lehman Neural Machine for Link Prediction", KDD 2017);
  the networks were collected by Lü & Zhou, "Link prediction in complex networks: A survey",
  Physica A 2011. The same repository's copy of SNAP ego-Facebook gives ``facebook``.
- SNAP (Leskovec & Krevl, "SNAP Datasets: Stanford Large Network Dataset Collection", 2014):
  email-Eu-core (Leskovec, Kleinberg & Faloutsos, TKDD 2007; Yin, Benson, Leskovec & Gleich,
  KDD 2017), wiki-Vote (Leskovec, Huttenlocher & Kleinberg, CHI 2010 / WWW 2010),
  p2p-Gnutella25 (Leskovec, Kleinberg & Faloutsos, TKDD 2007; Ripeanu, Foster & Iamnitchi 2002).
- BioSNAP (Zitnik, Sosič, Maheshwari & Leskovec, "BioSNAP Datasets: Stanford Biomedical Network
  Dataset Collection", 2018): ChCh-Miner drug-drug interactions from DrugBank (non-commercial).
- road-minnesota: D. Gleich's MatlabBGL road network (as shipped by PyGSP; Network Repository,
  Rossi & Ahmed, AAAI 2015).
- SHS27k: Chen et al., "Multifaceted protein-protein interaction prediction based on Siamese
  residual RCNN" (PIPR), Bioinformatics 2019, from STRING (Szklarczyk et al.); files as used by
  Lv et al., "Learning Unknown from Correlations: Graph Neural Network for Inter-novel-protein
  Interaction Prediction" (GNN-PPI), IJCAI 2021. ``shs27k`` is link prediction over all
  interacting pairs, each node carrying its amino-acid sequence in ``task.raw['sequence']``;
  ``shs27k-types`` (same files) is multi-label edge classification (``edge-multilabel``) of the
  7 interaction types of every interacting pair.

What every graph gets: made undirected and simple (self-loops dropped, repeated and reverse
pairs merged; the counts are in ``task.info['cleaning']`` and in the table's notes). The files
have no node features, so the ``features`` parameter gives a documented default: one constant
column (``ones``, the default), log(1 + training degree) (``degree``), or seeded Gaussian noise
(``random``). Split: a seeded random 85/5/10 edge split (``valid_fraction``, ``test_fraction``,
``split_seed``) with one uniformly drawn non-edge per held-out positive for validation and test
(:mod:`harness.data.edge_splits`); messages pass over the training edges only. Metric: ROC-AUC by default, AP or
OGB-style Hits@K through ``metric``.

``shs27k-types`` differs: its items are the interacting pairs themselves (no negatives), split
at random 70/10/20 (``valid_fraction``, ``test_fraction``, ``split_seed``), each labelled with
a ``(7,)`` 0/1 float vector over the interaction types (``task.info['label_names']``); messages
pass over the training pairs only. Metric: ROC-AUC averaged over the 7 types (no ``metric``
parameter).

What differs from the papers: SEAL reports a 90/10 train/test split (and 50/50 for some
experiments) without a validation part, and resamples splits per run; here validation is
carved out as well and the split is fixed by ``split_seed`` across training seeds. SEAL and
the survey use no node features on these graphs (SEAL may add node2vec embeddings); the
``ones`` default keeps a model structure-only. SNAP's directed graphs (email-Eu-core,
wiki-Vote, p2p-Gnutella25) are made undirected, so their edge counts differ from SNAP's (see
the table). GNN-PPI studies SHS27k as multi-label classification of the 7 interaction types
with BFS/DFS/random splits and micro-F1; ``shs27k`` instead predicts whether a pair interacts
at all, and ``shs27k-types`` reports ROC-AUC on a random split only (BFS and DFS splits are not
implemented; the harness's evaluators have no F1).

``<name>-ranking`` (:mod:`.ranking`; every link graph but p2p-Gnutella25) evaluates the same
graph with the link-ranking protocol: every node ranked for each endpoint of a held-out edge,
known edges masked; MRR, Recall@20 and NDCG@20.
"""

from dataclasses import replace

from harness import Param, TaskType, hookimpl
from harness.metadata import dataset_components, download_param, read_table
from harness_linkpred import ranking

_VERSION = "1"
FEATURES = ("ones", "degree", "random")
LINK_METRICS = ("rocauc", "ap", "hits@10", "hits@20", "hits@50", "hits@100")

FEATURE_PARAMS = (
    Param("features", "str", "ones", "node features, as the files have none: 'ones' (one constant column), 'degree' (log(1 + degree) in the training graph) or 'random' (seeded Gaussian)", choices=FEATURES),
    Param("feature_dim", "int", 32, "number of columns of the 'random' features (unused by 'ones' and 'degree')", minimum=1),
    Param("feature_seed", "int", 0, "seed of the 'random' features", minimum=0),
    download_param("each dataset's source in datasets.csv (SEAL's repository, SNAP, PyGSP, GNN-PPI; sha256 checked where pinned)", "<data root>/<the dataset's folder>"),
)

LINK_PARAMS = (
    *FEATURE_PARAMS,
    Param("valid_fraction", "float", 0.05, "share of the edges held out for validation (with as many sampled non-edges)", minimum=0, exclusive_minimum=True, maximum=1),
    Param("test_fraction", "float", 0.10, "share of the edges held out for test (with as many sampled non-edges)", minimum=0, exclusive_minimum=True, maximum=1),
    Param("split_seed", "int", 0, "seed of the edge split and of the negative pairs (fixed across training seeds)", minimum=0),
    Param("metric", "str", "rocauc", "ROC-AUC, average precision, or OGB-style Hits@K (share of held-out positives scored above the K-th best negative)", choices=LINK_METRICS),
)

EDGE_TYPE_PARAMS = (
    *FEATURE_PARAMS,
    Param("valid_fraction", "float", 0.1, "share of the labelled pairs held out for validation", minimum=0, exclusive_minimum=True, maximum=1),
    Param("test_fraction", "float", 0.2, "share of the labelled pairs held out for test (GNN-PPI's random split: 0.2)", minimum=0, exclusive_minimum=True, maximum=1),
    Param("split_seed", "int", 0, "seed of the pair split (fixed across training seeds)", minimum=0),
)


def _edge_typed(row) -> bool:
    return row["task_type"] == TaskType.EDGE_MULTILABEL


RANKING_PARAMS = (
    *FEATURE_PARAMS,
    Param("valid_fraction", "float", 0.05, "share of the edges held out for validation (their endpoints are the queries)", minimum=0, exclusive_minimum=True, maximum=1),
    Param("test_fraction", "float", 0.10, "share of the edges held out for test (their endpoints are the queries)", minimum=0, exclusive_minimum=True, maximum=1),
    Param("split_seed", "int", 0, "seed of the edge split (the link dataset's held-out edges for the same seed)", minimum=0),
)


def _ranking_variant(component):
    return replace(
        component,
        name=component.name + ranking.SUFFIX,
        factory="harness_linkpred.ranking:load_ranking_task",
        doc=f"{component.doc} Ranking protocol: every node ranked for each query, known edges masked.",
        params=RANKING_PARAMS,
        task_types={TaskType.LINK_RANKING},
        metadata={**component.metadata, "metric": "mrr", "extra_metrics": ranking.EXTRA_METRICS, "graph": component.name},
        preflight="harness_linkpred.ranking:check",
    )


@hookimpl
def harness_datasets():
    components = dataset_components(
        read_table(__name__),
        params=lambda row: EDGE_TYPE_PARAMS if _edge_typed(row) else LINK_PARAMS,
        preflight="harness_linkpred.files:check",
        version=_VERSION,
        # one loader serves every link dataset by name; shs27k-types has its own factory
        arguments=lambda row: {} if _edge_typed(row) else {"name": row["name"]},
    )
    return components + [_ranking_variant(c) for c in components if c.name in ranking.RANKED]
