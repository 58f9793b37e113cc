"""``joint``: node encoder and GNN trained end to end on sampled subgraphs, gradients through
both: the costly reference the staged methods avoid (Label Deconvolution's memory argument is
measured against it: here the encoder embeds every node of each sampled subgraph, so its memory
grows with the subgraph, not with the batch of target nodes).

Each step: a batch of training nodes, their sampled neighbourhood (``fanout`` per layer,
neighbour sampling as in the GNN stage), the encoder's pooled output of every node in it, the
backbone on that subgraph, cross-entropy (BCE for multi-label) on the batch nodes. After every
epoch all nodes are re-encoded without gradients and the backbone predicts on the full graph;
the epoch with the best validation score gives the predictions. Baseline of Shi et al.
(TPAMI 2024, github.com/MIRALab-USTC/LD), where joint training is the objective LD's encoder
stage approximates. What differs from a tuned joint trainer: no gradient checkpointing, no
mixed precision, the encoder's batch is the whole sampled subgraph at once.
"""

from harness import Param, hookimpl
from harness_ne.params import ENCODER_PARAMS, ne_method

PARAMS = (
    Param("epochs", "int", 2, "passes over the training nodes", minimum=1),
    Param("encoder_lr", "float", 2e-5, "AdamW learning rate of the encoder", minimum=0),
    Param("lr", "float", 1e-3, "AdamW learning rate of the GNN", minimum=0),
    Param("weight_decay", "float", 0.0, "AdamW weight decay", minimum=0),
    Param("batch_size", "int", 8, "training nodes per step (their sampled neighbourhoods are encoded too)", minimum=1),
    Param("fanout", "list", [5, 5], "neighbours sampled per layer; -1 keeps all", items="int", minimum=-1, excluded=(0,), min_items=1),
    *(p for p in ENCODER_PARAMS if p.name in ("trainable_layers", "precision")),
)


@hookimpl
def harness_methods():
    return [ne_method("joint", "harness_ne.joint.method:Joint", "Encoder and GNN trained end to end on neighbour-sampled subgraphs (the costly reference).", PARAMS)]
