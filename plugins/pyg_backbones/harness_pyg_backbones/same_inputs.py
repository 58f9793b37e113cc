"""Whether a backbone is handed the very inputs it last precomputed something from.

Decoupled backbones (SIGN, SGC) propagate their input features with a fixed operator, so full-batch
training, which passes the same feature and edge tensors in every epoch, needs the propagation
once. Anything else must be propagated again: a sampled mini-batch or another graph (new
tensors), an edited tensor (its version changes), a trainable input such as an encoder's output
(its gradient must flow through the propagation). :class:`LastInputs` tells these apart by
identity and version, holding the tensors weakly so that a kept result never keeps its graph
alive, and a freed tensor whose memory is reused never passes for the old one.
"""

from __future__ import annotations

import weakref

import torch


class LastInputs:
    """The tensors last :meth:`remember`-ed, weakly, with their versions."""

    def __init__(self):
        self._refs: tuple[weakref.ref, ...] = ()
        self._versions: tuple[int, ...] = ()

    def same(self, *tensors: torch.Tensor) -> bool:
        """Whether ``tensors`` are the remembered ones, unmodified, and none takes a gradient."""
        if len(tensors) != len(self._refs) or any(tensor.requires_grad for tensor in tensors):
            return False
        return all(ref() is tensor for ref, tensor in zip(self._refs, tensors)) and self._versions == _versions(tensors)

    def remember(self, *tensors: torch.Tensor) -> bool:
        """Remember ``tensors`` unless one takes a gradient (then forget); whether remembered."""
        if any(tensor.requires_grad for tensor in tensors):
            self.forget()
            return False
        self._refs, self._versions = tuple(weakref.ref(tensor) for tensor in tensors), _versions(tensors)
        return True

    def forget(self) -> None:
        self._refs, self._versions = (), ()


def _versions(tensors) -> tuple[int, ...]:
    # every in-place operation bumps a tensor's version
    return tuple(tensor._version for tensor in tensors)
