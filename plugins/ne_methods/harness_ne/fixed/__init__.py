"""``fixed``: frozen pretrained node-encoder features + GNN (PNE in the LD paper).

The encoder's pooled output of every node is computed once and cached per (dataset, encoder,
parameters, version); the GNN is trained on those features with the shared GNN stage
(:mod:`harness_ne.gnn_stage`). It is the floor every encoder-training method must beat. Baseline
of Shi et al., "Label Deconvolution for Node Representation Learning on Large-scale Attributed
Graphs against Learning Bias" (TPAMI 2024; github.com/MIRALab-USTC/LD). With a non-trainable
encoder (``identity``, ``bow``) it is the dataset-features baseline.
"""

from harness import hookimpl
from harness_ne.params import GNN_PARAMS, ne_method


@hookimpl
def harness_methods():
    return [ne_method("fixed", "harness_ne.fixed.method:Fixed", "Frozen encoder features (cached) + GNN trained on the training labels; best validation epoch.", GNN_PARAMS, needs=())]
