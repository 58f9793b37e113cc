"""Parameter declarations the NE methods share (torch-free: read when plugins are listed).
Defaults are small enough for the CPU grids; the official values are in each method's docs and
in the paper-setting grids."""

from harness import Component, Param
from harness.training.params import TRAINING_PARAMS

#: The GNN stage's parameters: the core's shared training parameters, with their shared defaults.
GNN_PARAMS = TRAINING_PARAMS

ENCODER_PARAMS = (
    Param("encoder_epochs", "int", 1, "encoder stage: passes over the nodes", minimum=1),
    Param("encoder_lr", "float", 2e-5, "encoder stage: AdamW learning rate of the encoder", minimum=0),
    Param("head_lr", "float", 1e-3, "encoder stage: AdamW learning rate of the head (and of the method's own parameters)", minimum=0),
    Param("encoder_batch_size", "int", 16, "encoder stage: nodes per step", minimum=1),
    Param("trainable_layers", "int", 0, "fine-tune only the encoder's top k transformer blocks (0: all, as the papers do; a CPU-budget switch); the frozen blocks run in eval mode, once per node", minimum=0),
    Param("precision", "str", "fp32", "the encoder's forward in float32, or under bfloat16 autocast (GPU memory; weights stay float32)", choices=("fp32", "bf16")),
)

NODE_TASKS = frozenset({"node-classification", "node-multilabel"})


def ne_method(name: str, factory: str, doc: str, params, needs=("trainable",), version: str = "1") -> Component:
    """The declaration every NE method shares the shape of: a node-task method. ``version``
    enters cell ids and the key of every stage the method owns: bump it when results change."""
    return Component(kind="method", name=name, factory=factory, doc=doc, version=version, params=tuple(params),
                     task_types=NODE_TASKS, needs=frozenset(needs))


def encoder_settings(encoder_epochs, encoder_lr, head_lr, encoder_batch_size, trainable_layers, precision):
    from harness_ne.encoder_stage import EncoderSettings

    return EncoderSettings(epochs=encoder_epochs, lr=encoder_lr, head_lr=head_lr, batch_size=encoder_batch_size, trainable_layers=trainable_layers, precision=precision)
