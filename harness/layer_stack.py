"""The layer stack every layer-stack backbone runs, whatever library its layers come from:
dropout -> layer -> (norm -> activation -> residual) for each hidden layer, the output layer
bare. A backbone plugin subclasses :class:`LayerStack` with its layers (``make_layer``), how
they read the graph (the ``apply`` it hands to :meth:`LayerStack.run_layers`) and their forms
without propagation (:meth:`LayerStack.local_forward`, which gives the stack
``forward_without_propagation``, Label Deconvolution's encoder head); the loop, the
norms and the activations stay the same, so that a grid switching between the PyG and DGL
backbones (which declare :data:`harness.backbone_params.STACK_PARAMS`) changes only the layers.

``x`` may be a CSR tensor (:mod:`harness.sparse_features`): input dropout then touches its
stored values only, and a residual adds it densified."""

from __future__ import annotations

from typing import Callable

from torch import nn

from harness import sparse_features

ACTIVATIONS = {"relu": nn.ReLU, "elu": nn.ELU, "gelu": nn.GELU, "leaky_relu": nn.LeakyReLU}
NORMS = {"none": lambda width: nn.Identity(), "batch": nn.BatchNorm1d, "layer": nn.LayerNorm}


class LayerStack(nn.Module):
    """``make_layer(in_width, out_width, is_last)`` builds each layer and returns ``(module,
    produced_width)``; a norm follows each hidden layer."""

    def __init__(self, in_dim: int, out_dim: int, num_layers: int, hidden: int, dropout: float, activation: str, norm: str,
                 residual: bool, make_layer: Callable):
        super().__init__()
        self.dropout = dropout
        self.residual = residual
        self.layers, self.norms = nn.ModuleList(), nn.ModuleList()
        width = in_dim
        for index in range(num_layers):
            is_last = index == num_layers - 1
            layer, produced = make_layer(width, out_dim if is_last else hidden, is_last)
            self.layers.append(layer)
            if not is_last:
                self.norms.append(NORMS[norm](produced))
            width = produced
        self.activation = ACTIVATIONS[activation]()

    def run_layers(self, x, apply: Callable):
        """The stack on ``x``, ``apply(index, h)`` running layer ``index`` on ``h``."""
        h = x
        last = len(self.layers) - 1
        for index in range(len(self.layers)):
            inputs = h
            h = sparse_features.dropout(h, p=self.dropout, training=self.training)
            h = apply(index, h)
            if index < last:
                h = self.activation(self.norms[index](h))
                if self.residual and h.shape == inputs.shape:
                    h = h + sparse_features.densify(inputs)
        return h

    def local_forward(self, layer) -> Callable | None:
        """``layer``'s form without propagation, ``f(layer, h)`` on each node's features alone,
        or None where it has none (a subclass says; the base knows no layer)."""
        return None

    def local_output(self, layer, out):
        """What the stack takes from a layer's output without propagation (a subclass that
        merges attention heads does it here)."""
        return out

    @property
    def has_forward_without_propagation(self) -> bool:
        return all(self.local_forward(layer) is not None for layer in self.layers)

    def forward_without_propagation(self, x):
        """The stack's own weights applied to each node's features alone (no neighbour read)."""
        if not self.has_forward_without_propagation:
            kinds = sorted({type(layer).__name__ for layer in self.layers if self.local_forward(layer) is None})
            raise TypeError(f"{', '.join(kinds)} layers have no forward without propagation")
        return self.run_layers(x, lambda index, h: self._local(self.layers[index], h))

    def _local(self, layer, h):
        return self.local_output(layer, self.local_forward(layer)(layer, h))

    def reset_parameters(self):
        for module in self.modules():
            if module is not self and hasattr(module, "reset_parameters"):
                module.reset_parameters()
