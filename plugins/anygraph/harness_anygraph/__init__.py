"""AnyGraph: one graph foundation model trained on a group of graphs and evaluated zero-shot on
graphs it never saw.

Paper and official code: Xia and Huang, "AnyGraph: Graph Foundation Model in the Wild", 2024
(arXiv:2408.10700); github.com/HKUDS/AnyGraph (``model.py``, ``data_handler.py``, ``main.py``,
``params.py``; node classification in ``node_classification/``).

What it does here, as in the official code:
- unified input, whatever the dataset's features: randomised low-rank SVD of the normalised
  adjacency of the known edges (and of the node features when they are informative), zero-padded
  to ``dim`` and summed, then a LayerNorm without affine parameters and 3 hops of
  parameter-free propagation (:mod:`harness.unified_input`, which the ``svd`` encoder also
  uses);
- a mixture of ``experts`` residual MLPs (the ``anygraph-expert`` backbone: ``layers`` layers of
  width ``dim``, ReLU, dropout, affine LayerNorm), each with its own Adam; every graph is routed
  each epoch to its top-1 expert by the experts' link scores on its known edges, times a
  frequency factor in [0.9, 1.1] favouring the less trained experts; only the routed expert is
  updated (:mod:`.experts`, :mod:`.training`);
- batches of ``batch`` known edges from one graph at a time, sampled-softmax loss against the
  batch's random nodes, L2 regularisation ``reg``; the SVD input is re-drawn after every epoch
  (augmentation);
- zero-shot: the target's training edges are its input and its routing sample (no frequency
  factor); no gradient step, no parameter change; scores are dot products (:mod:`.zero_shot`);
- node classification: one class node per class linked from every labelled training node,
  prediction by dot product with the class nodes (:mod:`.graph_input`).

Methods:
- ``anygraph``: trained on ``train_on`` (a dataset group; a stage shared by every cell of one
  group, settings and seed), zero-shot on the cell's dataset. A grid that puts a graph both in
  ``train_on`` and on its dataset axis is refused unless ``zero_shot: false``. Ablations are
  parameters: ``experts: 1`` (no mixture), ``frequency_correction: false``,
  ``recompute_svd: false``, ``use_features: false``;
- ``anygraph-untrained``: one expert as initialised, on the same input (baseline);
- ``anygraph-features``: the SVD + propagation input alone, dot products (baseline).
The in-domain reference (a GNN trained on the target graph itself) is the ``supervised``
method with a GNN backbone on the same dataset.

What differs from the official code:
- the official run evaluates the test split of each dataset, with the others' training edges
  as input; here the datasets' own seeded splits are used (training edges are the input,
  validation and test edges the targets), ranking over all nodes of a square graph; user-item
  graphs are not special-cased (none is in the data root);
- the official code re-draws the SVD input with an unseeded generator and averages 5 test
  repetitions; here every draw has a seed (the cell's seed at evaluation), one evaluation per
  seed;
- routing scores use the experts in eval mode (no dropout); the official ``attempt`` runs them
  in whatever mode they are in;
- the node-classification datasets of the paper carry their class nodes' features from text;
  here class nodes have zero features;
- the graph-transformer expert (``--nn`` other than ``mlp``) is not implemented; the MLP
  expert is the official default.
"""

from harness import Component, Param, TaskType, hookimpl

_VERSION = "1"
_TASKS = frozenset({TaskType.LINK_PREDICTION, TaskType.LINK_RANKING, TaskType.NODE_CLASSIFICATION})
#: the backbone capability the methods need: experts mapping the unified input to embeddings
EXPERT = "anygraph-expert"

#: the two groups of ``grids/anygraph.yaml``, each mixing domains (transport or infrastructure,
#: biology, social, Internet or communication, science or pharmacology); ``link1`` is the
#: default training group
LINK1 = ["usair", "ns", "yeast", "celegans", "router", "facebook", "chch-miner"]
LINK2 = ["pb", "ecoli", "shs27k", "power", "road-minnesota", "email-eu-core", "wiki-vote"]

_INPUT = (
    Param("dim", "int", 512, "width of the unified input and of the experts (AnyGraph: 512)", minimum=1),
    Param("hops", "int", 3, "hops of parameter-free propagation after the LayerNorm (AnyGraph: 3)", minimum=0),
    Param("niter", "int", 2, "subspace iterations of torch.svd_lowrank (AnyGraph: 2)", minimum=0),
    Param("use_features", "bool", True, "add the SVD of the node features when they are informative; false is the 'without features' ablation"),
)
_TRAINING = (
    Param("train_on", "datasets", LINK1, "the training group: datasets (or a group name) the experts are trained on; default: the link graphs of grids/anygraph.yaml's link1", disjoint_from_cell="zero_shot"),
    Param("zero_shot", "bool", True, "true: the cell's dataset must not be in train_on (the grid refuses it); false states the run is not zero-shot"),
    Param("experts", "int", 8, "number of experts (AnyGraph: 8); 1 is the 'without MoE' ablation", minimum=1),
    Param("epochs", "int", 100, "training epochs; the experts are routed again at each", minimum=1),
    Param("batch", "int", 4096, "known edges per training batch, all from one graph (AnyGraph: 4096)", minimum=1),
    Param("max_steps", "int", 500, "at most this many batches per graph and epoch (AnyGraph: about 500)", minimum=1),
    Param("lr", "float", 1e-4, "each expert's Adam learning rate (AnyGraph: 1e-4)", minimum=0, exclusive_minimum=True),
    Param("reg", "float", 1e-7, "weight of the squared L2 norm of the trained expert's parameters (AnyGraph: 1e-7)", minimum=0),
    Param("frequency_correction", "bool", True, "multiply routing scores by the frequency factors in training; false is an ablation"),
    Param("correction_range", "float", 0.2, "width r of the frequency factors' range [1 - r/2, 1 + r/2] (AnyGraph: 0.2)", minimum=0, maximum=2),
    Param("recompute_svd", "bool", True, "re-draw every training graph's SVD input after each epoch (augmentation); false is an ablation"),
    Param("routing_edges", "int", 0, "known edges sampled to score the experts on a graph; 0: all of them", minimum=0),
)


def _method(name, factory, doc, params):
    return Component(kind="method", name=name, factory=f"harness_anygraph.methods:{factory}", doc=doc, version=_VERSION,
                     task_types=_TASKS, params=params, needs=frozenset({EXPERT}))


@hookimpl
def harness_methods():
    return [
        _method("anygraph", "AnyGraph", "AnyGraph (Xia and Huang 2024): a mixture of experts trained on a group of graphs, evaluated zero-shot on the cell's dataset.",
                _TRAINING[:2] + _INPUT + _TRAINING[2:]),
        _method("anygraph-untrained", "UntrainedExpert", "Baseline: one AnyGraph expert as initialised (no training) on the SVD + propagation input, dot-product scores.", _INPUT),
        _method("anygraph-features", "PropagatedFeatures", "Baseline: AnyGraph's SVD + propagation input alone as embeddings, dot-product scores (no parameters).", _INPUT),
    ]


@hookimpl
def harness_backbones():
    return [
        Component(kind="backbone", name="anygraph-expert", factory="harness_anygraph.experts:expert", version=_VERSION,
                  doc="AnyGraph's expert: a residual MLP of width dim (ReLU, dropout, affine LayerNorm per layer) that ignores the graph; for another output width a linear map comes first.",
                  params=(Param("layers", "int", 8, "residual layers (AnyGraph: 8)", minimum=1),
                          Param("dropout", "float", 0.1, "dropout in every layer (AnyGraph: 0.1)", minimum=0, maximum=1)),
                  task_types=_TASKS, capabilities=frozenset({EXPERT})),
    ]
