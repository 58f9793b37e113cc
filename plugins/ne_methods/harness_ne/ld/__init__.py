"""``ld``: Label Deconvolution (Shi, Zheng, Xu, Wang, Wu, Wu and Liu, "Label Deconvolution for
Node Representation Learning on Large-scale Attributed Graphs against Learning Bias", TPAMI
2024; official code github.com/MIRALab-USTC/LD; first on the ogbn-proteins leaderboard).

Training the node encoder on labels alone ignores the GNN's feature convolution. LD moves an
approximate inverse of that convolution onto the labels and trains the encoder toward these
inverse labels, with the GNN's own weights (message passing removed) as the encoder's head, so
the encoder stage costs memory for the batch of nodes only, never for their neighbourhoods.

Stages, as the official code runs them (:mod:`.method`):

1. GNN stage 0 on the frozen encoder's pooled features (cached per dataset and encoder; the
   stage itself is cached per backbone, GNN settings and seed, so runs that differ only in later
   stages share it).
2. Y_hat: gold labels on the training nodes, ``softmax(logits / tau)`` (``sigmoid`` for
   multi-label) on every other node; no validation or test label is used.
3. Hop stack ``P^k Y_hat`` for k = 0..N with P the mean aggregation over in-neighbours and self
   (N = the backbone's hop count unless ``hops`` is given); inverse labels
   ``Y(gamma) = sum_k gamma_k P^k Y_hat`` with ``gamma = softmax(w)``, w trainable from zero
   (uniform); single-label rows renormalised to sum 1.
4. Encoder stage on mini-batches of all nodes: head = the backbone's
   ``forward_without_propagation``; target ``lam * Y(gamma) + (1 - lam) * Y_hat``; loss
   ``alpha * mean over non-training nodes + (1 - alpha) * mean over training nodes`` (soft
   cross-entropy or BCE); w is learned through the target in the same loss, the head's weights
   with the encoder. gamma after every step is kept in the record (``extra.gamma`` per round,
   and ``extra.traces.gamma`` over all steps, which ``harness plot`` draws).
5. Re-encode every node with the fine-tuned encoder; 6. GNN stage again, warm-started from the
   head's weights. Steps 2-6 repeat ``rounds`` times (the products/SAGN script runs two).

Official settings (lambda / alpha / tau; hops; encoder epochs and lr): ogbn-arxiv 0.5 / 0.5 /
0.1, N = 3, 4 epochs at 2e-5; ogbn-products 1.0 / 0.5 / 0.2, N = 5, 1 epoch at 2e-5;
ogbn-proteins 0.2 / 0.5 / 0.2, N = 12, 4 epochs at 1e-5. The defaults here are arxiv's.

What differs from the official code: one optimiser (AdamW) for encoder, head and w with two
learning rates (the encoder's, and ``head_lr`` for head and w); no gradient accumulation or
learning-rate schedule; the GNN stages use the shared trainer (Adam, best validation epoch)
rather than each backbone's own training script.
"""

from harness import Param, hookimpl
from harness_ne.params import ENCODER_PARAMS, GNN_PARAMS, ne_method

PARAMS = GNN_PARAMS + ENCODER_PARAMS + (
    Param("rounds", "int", 1, "encoder stage + GNN stage repetitions after GNN stage 0", minimum=1),
    Param("hops", "int", 0, "N, the highest power of P in the inverse labels; 0 takes the backbone's hop count", minimum=0),
    Param("lam", "float", 0.5, "lambda: weight of the inverse labels against Y_hat in the encoder's target", minimum=0, maximum=1),
    Param("alpha", "float", 0.5, "weight of the non-training nodes' loss against the training nodes' in the encoder stage", minimum=0, maximum=1),
    Param("tau", "float", 0.1, "temperature of the GNN's pseudo-labels (divides the logits)", minimum=0, exclusive_minimum=True),
)


@hookimpl
def harness_methods():
    return [ne_method("ld", "harness_ne.ld.method:LabelDeconvolution", "Label Deconvolution (Shi et al., TPAMI 2024): encoder trained toward inverse labels through the GNN's no-propagation head.", PARAMS, needs=("trainable", "no-propagation"),
                      version="2")]  # 2: GNN stage 0 built under the harness's stage seeding
