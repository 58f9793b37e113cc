"""The parameters every layer-stack backbone takes, whatever library its layers come from (the
PyG and DGL backbones declare the same ones, so that a grid switches between them by name)."""

from __future__ import annotations

from harness.components import Param

STACK_PARAMS = (
    Param("num_layers", "int", 2, "number of layers (message-passing layers; linear layers for mlp)", minimum=1),
    Param("hidden", "int", 64, "hidden width (per head for gat)", minimum=1),
    Param("dropout", "float", 0.5, "dropout before every layer, the input layer included", minimum=0, maximum=1),
    Param("activation", "str", "relu", "non-linearity between layers", choices=("relu", "elu", "gelu", "leaky_relu")),
    Param("norm", "str", "none", "normalisation after each hidden layer", choices=("none", "batch", "layer")),
    Param("residual", "bool", False, "add each hidden layer's input to its output where widths match"),
)
