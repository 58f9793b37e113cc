"""``finetuned``: the node encoder fine-tuned on the training labels alone, without the graph,
then frozen, re-encoded and handed to a GNN (FNE in the LD paper: the learning bias LD targets,
since the encoder is trained as if the GNN did not convolve its output).

Encoder stage: the encoder plus a linear head over its pooled output, trained with
cross-entropy (binary for multi-label tasks) on the training nodes' gold labels, AdamW with
separate learning rates for encoder and head. Then every node is re-encoded and the shared GNN
stage trains the backbone. The re-encoded features depend on the dataset, the encoder, the
encoder-stage settings and the seed only, so they are cached: a second cell with another
backbone (same seed) skips the encoder stage. Baseline of Shi et al. (TPAMI 2024,
github.com/MIRALab-USTC/LD); there, the fine-tuning follows GLEM's and SimTeG's label-only
fine-tuning. What differs: no gradient accumulation, no learning-rate warm-up.
"""

from harness import hookimpl
from harness_ne.params import ENCODER_PARAMS, GNN_PARAMS, ne_method


@hookimpl
def harness_methods():
    return [ne_method("finetuned", "harness_ne.finetuned.method:Finetuned", "Encoder fine-tuned on training labels alone (no graph), re-encoded (cached per seed), then a GNN.",
                      GNN_PARAMS + ENCODER_PARAMS, version="2")]  # 2: frozen blocks in eval mode
