"""``glem``: variational EM between a language model and a GNN (Zhao, Qu, Liu, Chen, Liu, Xie and
Tang, "Learning on Large-scale Text-attributed Graphs via Variational Inference", ICLR 2023;
official code github.com/AndyJZhao/GLEM). Never joint: the two models teach each other through
soft pseudo-labels.

1. Pre-train the LM (encoder + linear head) on the training labels; infer its embeddings and
   logits for every node. 2. Pre-train the GNN on the LM embeddings (training labels).
3. ``em_iterations`` times, in the order ``lm-first`` (E then M) or ``gnn-first`` (M then E):
   E-step: train the LM on the gold labels of the training nodes plus soft pseudo-labels
   ``softmax(gnn_logits / temperature)`` on a ``lm_pseudo_ratio`` sample of the other nodes,
   loss ``lm_pseudo_weight * CE(pseudo) + (1 - lm_pseudo_weight) * CE(gold)``, then re-infer;
   M-step: train a fresh GNN on the LM embeddings, gold labels plus the LM's pseudo-labels on a
   ``gnn_pseudo_ratio`` sample, weighted by ``gnn_pseudo_weight``. ``confidence`` < 1 keeps only
   that fraction of pseudo-labels, the most confident.
4. Report the model (LM or GNN) and EM iteration with the best **validation** score; the record
   keeps every step's validation score and which one was chosen. (PyG's GLEM example prints a
   maximum over test scores; that is not done here.)

Official setting for ogbn-arxiv with RevGAT: DeBERTa-base, LM lr 2e-5, pseudo ratio 1 and
weight 0.8 (LM), 1 and 0.05 (GNN), temperature 0.2, 2 EM iterations; these are the defaults.
What differs: the LM's pseudo-labels for the M-step come from its own head (as in GLEM), the
GNN is re-initialised at every M-step, one AdamW for the LM and its head, no gradient
accumulation or learning-rate schedule, and the multi-label variant uses sigmoids and BCE.
"""

from harness import Param, hookimpl
from harness_ne.params import ENCODER_PARAMS, GNN_PARAMS, ne_method

PARAMS = GNN_PARAMS + ENCODER_PARAMS + (
    Param("em_iterations", "int", 2, "EM iterations after pre-training both models", minimum=1),
    Param("order", "str", "lm-first", "which step each iteration starts with", choices=("lm-first", "gnn-first")),
    Param("lm_pseudo_ratio", "float", 1.0, "share of non-training nodes pseudo-labelled by the GNN for the LM", minimum=0, maximum=1),
    Param("lm_pseudo_weight", "float", 0.8, "weight of the pseudo-label loss in the E-step (alpha_lm)", minimum=0, maximum=1),
    Param("gnn_pseudo_ratio", "float", 1.0, "share of non-training nodes pseudo-labelled by the LM for the GNN", minimum=0, maximum=1),
    Param("gnn_pseudo_weight", "float", 0.05, "weight of the pseudo-label loss in the M-step (alpha_gnn)", minimum=0, maximum=1),
    Param("temperature", "float", 0.2, "temperature of the pseudo-labels (divides the logits)", minimum=0, exclusive_minimum=True),
    Param("confidence", "float", 1.0, "keep this fraction of pseudo-labels, the most confident (1 keeps all)", minimum=0, maximum=1),
)


@hookimpl
def harness_methods():
    return [ne_method("glem", "harness_ne.glem.method:GLEM", "GLEM (Zhao et al., ICLR 2023): variational EM between LM and GNN through soft pseudo-labels; best step on validation.", PARAMS)]
