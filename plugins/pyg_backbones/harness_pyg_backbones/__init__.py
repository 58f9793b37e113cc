"""GNN backbones from PyTorch Geometric layers: GCN, GraphSAGE, GAT, GIN, an MLP, the
decoupled SIGN (:mod:`.sign`), APPNP (:mod:`.appnp`) and SGC (:mod:`.sgc`), and the reversible
RevGAT (:mod:`.revgat`).

Each is a stack of PyG layers with the knobs users expect (layers, hidden width, dropout,
activation, normalisation, residual connections); :mod:`.stack` holds the one stack they share.
SGC, a single linear map, has no such knob: only its number of propagations.
A backbone maps node features to one row per node; methods add pooling and heads. GCN,
GraphSAGE, GAT, the MLP, SIGN, APPNP, SGC and RevGAT have the capability ``no-propagation``: they
expose ``hops`` and ``forward_without_propagation(x)`` (:mod:`.no_propagation`), which Label
Deconvolution needs.
Every one has the capability ``categorical-features``: integer-coded features a task declares are
embedded (a sum of one embedding per column) before the first layer (:mod:`.categorical`).

GCN, GraphSAGE, GAT, GIN, the MLP and APPNP have the capability ``sparse-features``
(:mod:`harness.sparse_features`): bag-of-words inputs arrive as CSR tensors, input dropout
touches their stored values and the first layer is a sparse product (for APPNP, its MLP's: the
propagation reads the MLP's dense output). GCN, GraphSAGE (mean, sum) and GIN aggregate by
products with the graph's operators, built once per graph (:mod:`.adjacency`), projecting wide
inputs before aggregating (:mod:`.sparse_propagation`); GraphSAGE with max aggregation makes a
sparse input dense first. SIGN, SGC and RevGAT take dense features (the harness densifies them
for a cell that uses one of them).
"""

from dataclasses import replace

from harness import Component, Param, hookimpl
from harness.backbone_params import STACK_PARAMS as _COMMON
from harness.features import CAPABILITY as CATEGORICAL
from harness.sparse_features import CAPABILITY as SPARSE

#: version 2 of the stacks: CSR inputs, sparse-product aggregation (a different dropout stream)
SPARSE_VERSION = "2"



#: RevGAT's official ogbn-arxiv shape (LD, GLEM); its hidden layers are residual by construction
_REVGAT = tuple(replace(p, default={"num_layers": 3, "hidden": 256, "norm": "batch"}.get(p.name, p.default)) for p in _COMMON if p.name != "residual") + (
    Param("heads", "int", 3, "attention heads of the first and hidden layers (concatenated)", minimum=1),
    Param("groups", "int", 2, "channel groups of each reversible layer (hidden must be a multiple)", minimum=2),
    Param("attention_dropout", "float", 0.0, "dropout on attention coefficients", minimum=0, maximum=1),
    Param("edge_dim", "int", 0, "edge feature width used by attention; 0 ignores edge features", minimum=0),
)

#: APPNP's MLP, then its propagation; _COMMON's defaults are the paper's (2 layers of 64, dropout 0.5)
_APPNP = tuple(replace(p, doc="linear layers of the MLP that predicts before the propagation") if p.name == "num_layers" else p for p in _COMMON) + (
    Param("K", "int", 10, "propagation (power-iteration) steps", minimum=0),
    Param("alpha", "float", 0.1, "teleport probability: the share of the MLP's predictions restored at every step", minimum=0, maximum=1),
    Param("edge_dropout", "float", 0.0, "PyG APPNP's dropout of the normalised edge weights in training; in PyG <= 2.8 it compounds over the K steps"
          " (pyg-team/pytorch_geometric#10783), unlike the paper's fresh draw per step", minimum=0, maximum=1),
)

#: SGC has no hidden layer and no dropout: K is all there is
_SGC = (Param("K", "int", 2, "propagations before the linear map", minimum=0),)


def _backbone(name, doc, extra=(), capabilities=(), module="stack", params=_COMMON, version="1"):
    return Component(
        kind="backbone",
        name=name,
        factory=f"harness_pyg_backbones.{module}:{name}",
        doc=doc,
        params=params + tuple(extra),
        version=version,
        capabilities=frozenset({*capabilities, CATEGORICAL}),
    )


@hookimpl
def harness_backbones():
    return [
        _backbone("gcn", "Graph convolutional network (Kipf and Welling, ICLR 2017), PyG GCNConv.",
                  capabilities={"no-propagation", SPARSE}, version=SPARSE_VERSION),
        _backbone("sage", "GraphSAGE (Hamilton et al., NeurIPS 2017), PyG SAGEConv.",
                  [Param("aggregation", "str", "mean", "neighbour aggregation (max: sparse inputs are made dense first)", choices=("mean", "max", "sum"))],
                  capabilities={"no-propagation", SPARSE}, version=SPARSE_VERSION),
        _backbone("gat", "Graph attention network (Velickovic et al., ICLR 2018), PyG GATConv.",
                  [Param("heads", "int", 8, "attention heads of hidden layers (concatenated)", minimum=1),
                   Param("out_heads", "int", 1, "attention heads of the output layer (averaged)", minimum=1),
                   Param("attention_dropout", "float", 0.6, "dropout on attention coefficients", minimum=0, maximum=1),
                   Param("edge_dim", "int", 0, "edge feature width used by attention; 0 ignores edge features", minimum=0)],
                  capabilities={"no-propagation", SPARSE}, version=SPARSE_VERSION),
        _backbone("gin", "Graph isomorphism network (Xu et al., ICLR 2019), PyG GINConv with 2-layer MLPs.",
                  [Param("train_eps", "bool", False, "learn the self-loop weight epsilon")],
                  capabilities={SPARSE}, version=SPARSE_VERSION),
        _backbone("mlp", "Multi-layer perceptron on node features alone (ignores the graph).",
                  capabilities={"no-propagation", SPARSE}, version=SPARSE_VERSION),
        _backbone("sign", "SIGN (Frasca et al., 2020): parameter-free propagation [X, PX, ..., P^K X], one linear map per hop, an MLP on their concatenation (num_layers counts the MLP's layers).",
                  [Param("hops", "int", 3, "K, the number of propagations", minimum=0),
                   Param("operator", "str", "sym", "P: GCN's symmetric normalisation or the mean over in-neighbours and self", choices=("sym", "mean"))],
                  capabilities={"no-propagation"}, module="sign"),
        _backbone("revgat", "RevGAT (Li et al., ICML 2021): GAT with grouped reversible hidden layers (PyG GroupAddRev), memory independent of depth.",
                  capabilities={"no-propagation"}, module="revgat", params=_REVGAT),
        _backbone("appnp", "APPNP (Gasteiger et al., 'Predict then Propagate', ICLR 2019; github.com/gasteigerjo/ppnp): an MLP predicts per node,"
                  " PyG APPNP propagates its predictions K steps of personalised PageRank (num_layers counts the MLP's layers).",
                  capabilities={"no-propagation", SPARSE}, module="appnp", params=_APPNP),
        _backbone("sgc", "SGC (Wu et al., 'Simplifying Graph Convolutional Networks', ICML 2019; github.com/Tiiiger/SGC): PyG SGConv,"
                  " one linear map of features propagated K times by GCN's normalised adjacency (computed once while the inputs stay the same).",
                  capabilities={"no-propagation"}, module="sgc", params=_SGC),
    ]
