"""Seeded synthetic tasks: the embedded defaults that run with no download.

One task per family, each generated in code from its own ``seed`` parameter (the data seed,
fixed across a grid's training seeds), plus ``synthetic-categorical``, a graph task whose node and
edge features are integer codes declared categorical (:mod:`.codes`). The generative processes
are in :mod:`.generators`. Split protocols (a grid's ``split:``): all but ``synthetic-link`` and
``synthetic-edge-multilabel`` draw their split per seed, and the node and graph classification
and regression sets also offer stratified k-fold (:mod:`.datasets`).
"""

from harness import Component, Param, TaskType, hookimpl
from harness.cell import FIXED, FOLDS, PER_SEED
from harness.features import metadata_entry

from harness_synthetic.codes import TYPED_CODES

_VERSION = "1"
_SEED = Param("seed", "int", 0, "seed of the generative process (the data, not the training run)", minimum=0)
_NODES = Param("num_nodes", "int", 600, "number of nodes", minimum=20)
_FEATURES = Param("num_features", "int", 32, "node feature dimension", minimum=1)
_NOISE = Param("feature_noise", "float", 1.0, "standard deviation of the Gaussian feature noise", minimum=0)
_GRAPHS = Param("num_graphs", "int", 400, "number of graphs", minimum=20)
#: refuses node classification sizes that leave a split empty
_NODE_SIZES = "harness_synthetic.sizes:check"
#: what the ranking task reports beside its MRR
RANKING_METRICS = ("recall@20", "ndcg@20")


_ALL_SPLITS = (FIXED, PER_SEED, FOLDS)


def _dataset(name, factory, doc, task_type, metric, params, version=_VERSION, provides=(), splits=_ALL_SPLITS, metadata=None, extra_metrics=(), preflight=None):
    return Component(
        kind="dataset",
        name=name,
        factory=f"harness_synthetic.datasets:{factory}",
        doc=doc,
        params=params,
        version=version,
        task_types={task_type},
        metadata={"metric": metric, **({"extra_metrics": extra_metrics} if extra_metrics else {}), "source": "generated in code (harness_synthetic.generators)", **(metadata or {})},
        provides=frozenset(provides),
        splits=splits,
        preflight=preflight,
    )


@hookimpl
def harness_datasets():
    return [
        _dataset(
            "synthetic-node",
            "node_classification",
            "Contextual stochastic block model: homophilous communities, noisy class-mean features.",
            TaskType.NODE_CLASSIFICATION,
            "acc",
            (_SEED, _NODES, Param("num_classes", "int", 4, "number of classes", minimum=2), _FEATURES, _NOISE),
            preflight=_NODE_SIZES,
        ),
        _dataset(
            "synthetic-text",
            "text_classification",
            "Text-attributed block graph: each node has a short text drawn from its class topic and shared filler words, no features (pair it with a text encoder).",
            TaskType.NODE_CLASSIFICATION,
            "acc",
            (_SEED, Param("num_nodes", "int", 300, "number of nodes", minimum=20),
             Param("num_classes", "int", 4, "number of classes (topics)", choices=(2, 3, 4, 5, 6)),
             Param("words", "int", 6, "words per text", minimum=1),
             Param("topic_share", "float", 0.12, "probability that a word comes from the node's topic rather than the filler words", minimum=0, maximum=1)),
            provides={"text"},
            preflight=_NODE_SIZES,
        ),
        _dataset(
            "synthetic-multilabel",
            "node_multilabel",
            "Graph-smoothed latent factors thresholded into several binary labels per node.",
            TaskType.NODE_MULTILABEL,
            "rocauc",
            (_SEED, _NODES, Param("num_labels", "int", 6, "number of binary labels per node", minimum=1), _FEATURES, _NOISE),
            splits=(FIXED, PER_SEED),
        ),
        _dataset(
            "synthetic-graph",
            "graph_classification",
            "Random graphs, half with a planted clique: predict whether the clique is there.",
            TaskType.GRAPH_CLASSIFICATION,
            "rocauc",
            (_SEED, _GRAPHS, Param("clique_size", "int", 5, "size of the planted clique", minimum=3)),
        ),
        _dataset(
            "synthetic-graph-regression",
            "graph_regression",
            "Random graphs of varying density: regress the number of triangles per node.",
            TaskType.GRAPH_REGRESSION,
            "rmse",
            (_SEED, _GRAPHS),
        ),
        _dataset(
            "synthetic-categorical",
            "typed_graph_classification",
            "Random graphs with integer-coded node types and bond types (declared categorical): predict whether a type-2 bond joins two type-0 nodes.",
            TaskType.GRAPH_CLASSIFICATION,
            "rocauc",
            (_SEED, _GRAPHS),
            metadata=metadata_entry((TYPED_CODES, {})),
        ),
        _dataset(
            "synthetic-edge-multilabel",
            "edge_multilabel",
            "Contextual block graph whose edges are the items: each pair is labelled with the communities of its two nodes (one binary label per community).",
            TaskType.EDGE_MULTILABEL,
            "rocauc",
            (_SEED, _NODES, Param("num_labels", "int", 4, "number of communities, one binary label each", minimum=2), _FEATURES, _NOISE),
            splits=(FIXED,),
        ),
        _dataset(
            "synthetic-link",
            "link_prediction",
            "Stochastic block model with community features: predict held-out edges.",
            TaskType.LINK_PREDICTION,
            "rocauc",
            (_SEED, Param("num_nodes", "int", 500, "number of nodes", minimum=20), _FEATURES, _NOISE),
            version="2",  # v2: validation and test pairs shuffled
            splits=(FIXED,),
        ),
        _dataset(
            "synthetic-ranking",
            "link_ranking",
            "Stochastic block model with community features: rank every node for each query node to find its held-out edges (training edges masked).",
            TaskType.LINK_RANKING,
            "mrr",
            (_SEED, Param("num_nodes", "int", 300, "number of nodes", minimum=20), _FEATURES, _NOISE),
            extra_metrics=RANKING_METRICS,
            splits=(FIXED,),
        ),
    ]
