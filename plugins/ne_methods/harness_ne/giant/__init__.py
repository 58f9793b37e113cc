"""``giant``: self-supervised neighbourhood prediction to fine-tune the node encoder, then frozen
features + GNN (Chien, Chang, Hsieh, Yu, Zhang, Milenkovic and Dhillon, "Node Feature
Extraction by Self-Supervised Multi-scale Neighborhood Prediction", ICLR 2022; official code
github.com/amzn/pecos, examples/giant-xrt). Label-free: it reads the graph and the node text,
never a label.

1. Each node's label set is its neighbour set in the undirected graph (extreme multi-label
   classification with one label per node); nodes of degree >= ``max_degree`` are left out of
   training (every node is still encoded).
2. A label hierarchy by recursive spherical k-means (``branching`` children per cluster until
   clusters hold at most ``leaf_size`` labels) over PIFA label embeddings: a label's embedding is
   the normalised sum of the TF-IDF vectors of the nodes that have it, as the official code does
   (word TF-IDF of the text; character 3-grams for ``plm`` sequences), here reduced to 256
   dimensions by a seeded truncated SVD before clustering.
3. Coarse-to-fine fine-tuning: for each level of the hierarchy, from the top, the encoder and a
   linear ranker of that level's clusters learn to score the clusters holding a node's
   neighbours above the other children of the same parents (teacher-forced negatives; all
   clusters at the top level) with XR-Transformer's squared hinge loss, ``epochs_per_level``
   passes per level; each level's ranker starts from its parent level's (a cluster from its
   parent's row). 4. Every node is re-encoded; the GNN stage trains the backbone.

The fine-tuned features depend on the dataset, encoder, these parameters and the seed only, so
they are cached and shared by every backbone. What differs from GIANT-XRT (XR-Transformer in
PECOS): the hierarchy is built here in torch; the negatives are the teacher-forced ones only
(XR-Transformer adds matcher-aware negatives, the clusters its previous level ranks highest); no
learning-rate warm-up; and the curriculum stops at the leaf clusters (XR-Transformer's last level
ranks individual labels with a linear model and concatenates its own TF-IDF-based features to
the encoder's).
"""

from harness import Param, hookimpl
from harness_ne.params import ENCODER_PARAMS, GNN_PARAMS, ne_method

PARAMS = GNN_PARAMS + tuple(p for p in ENCODER_PARAMS if p.name != "encoder_epochs") + (
    Param("epochs_per_level", "int", 1, "encoder passes over the nodes per hierarchy level", minimum=1),
    Param("branching", "int", 8, "children per cluster of the label hierarchy (official: 4-16)", minimum=2),
    Param("leaf_size", "int", 100, "largest cluster that is not split further", minimum=1),
    Param("max_degree", "int", 1000, "nodes of this degree or more are left out of the neighbourhood prediction", minimum=1),
)


@hookimpl
def harness_methods():
    return [ne_method("giant", "harness_ne.giant.method:GIANT", "GIANT (Chien et al., ICLR 2022): label-free coarse-to-fine neighbourhood prediction fine-tunes the encoder; frozen features + GNN.",
                      PARAMS, version="3")]  # 2: frozen blocks in eval mode; 3: squared hinge, teacher-forced negatives, bootstrapped heads
