"""GNN backbones from DGL layers (https://www.dgl.ai): GCN (``dgl.nn.GraphConv``), GraphSAGE
(``dgl.nn.SAGEConv``), GAT (``dgl.nn.GATConv``; with edge features, a GAT layer written with
DGL's edge softmax and message passing, as the ogbn-proteins models do) and GIN
(``dgl.nn.GINConv``), behind the same backbone contract as the PyG ones: the same parameters,
``hops``, and for GCN, GraphSAGE and GAT the forward without propagation (capability
``no-propagation``), so every method runs on them.

They mirror the PyG stacks of ``harness-pyg-backbones`` layer for layer (self-loops as PyG's
GCNConv and GATConv add them, the same weights in the same places), so that the same weights
give the same outputs on undirected graphs. On a directed graph GCN differs: DGL's
``norm="both"`` scales each message by the source's out-degree and the target's in-degree,
PyG's GCNConv by the target's in-degree on both sides.

Not the PyG plugin's extras: no categorical-feature embeddings and no CSR inputs (the harness
densifies them; a grid with categorical features drops these backbones with the reason).

DGL is not installed by the main set-up (its newest release supports torch up to 2.2.1); these
components declare ``requires=("dgl",)``, so where DGL is absent they are listed as unavailable
and grids drop their cells with that reason. ``tools/setup.sh --dgl`` builds the DGL lane's own
environment.
"""

from harness import Component, Param, hookimpl
from harness.backbone_params import STACK_PARAMS


def _backbone(name, doc, extra=(), capabilities=()):
    return Component(
        kind="backbone",
        name=f"dgl-{name}",
        factory=f"harness_dgl.stack:{name}",
        doc=doc,
        params=STACK_PARAMS + tuple(extra),
        capabilities=frozenset(capabilities),
        requires=("dgl",),
    )


@hookimpl
def harness_backbones():
    return [
        _backbone("gcn", "GCN (Kipf and Welling, ICLR 2017), DGL GraphConv with self-loops.", capabilities={"no-propagation"}),
        _backbone("sage", "GraphSAGE (Hamilton et al., NeurIPS 2017), DGL SAGEConv.",
                  [Param("aggregation", "str", "mean", "neighbour aggregation", choices=("mean", "pool", "gcn"))],
                  capabilities={"no-propagation"}),
        _backbone("gat", "GAT (Velickovic et al., ICLR 2018), DGL GATConv; with edge_dim, edge features in the attention (the ogbn-proteins form).",
                  [Param("heads", "int", 8, "attention heads of hidden layers (concatenated)", minimum=1),
                   Param("out_heads", "int", 1, "attention heads of the output layer (averaged)", minimum=1),
                   Param("attention_dropout", "float", 0.6, "dropout on attention coefficients", minimum=0, maximum=1),
                   Param("edge_dim", "int", 0, "edge feature width used by attention; 0 ignores edge features", minimum=0)],
                  capabilities={"no-propagation"}),
        _backbone("gin", "GIN (Xu et al., ICLR 2019), DGL GINConv (sum) with 2-layer MLPs.",
                  [Param("train_eps", "bool", False, "learn the self-loop weight epsilon")]),
    ]
