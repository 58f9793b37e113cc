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

from harness import Component, hookimpl
from harness_ne.params import ENCODER_PARAMS, GNN_PARAMS, NODE_TASKS


@hookimpl
def harness_methods():
    return [
        Component(
            kind="method",
            name="finetuned",
            factory="harness_ne.finetuned.method:Finetuned",
            doc="Encoder fine-tuned on training labels alone (no graph), re-encoded (cached per seed), then a GNN.",
            version="1",
            params=GNN_PARAMS + ENCODER_PARAMS,
            task_types=NODE_TASKS,
            needs=frozenset({"trainable"}),
        )
    ]
