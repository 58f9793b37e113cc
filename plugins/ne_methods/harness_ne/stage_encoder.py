"""The encoder as an encoder stage trains it: only the top k blocks trainable, the rest stored.

``StageEncoder(encoder, task, k, context)`` embeds batches of nodes with gradients through the
trainable blocks (:meth:`embed`) and re-encodes every node after training (:meth:`encode`).
``k = 0`` trains every parameter in train mode, as the papers do. With ``k > 0`` the embeddings
and the blocks below the top k are frozen and run in eval mode; their output for every node is
computed once (:class:`~.frozen_prefix.FrozenPrefix`), cached per dataset, encoder and frozen
weights, and fed to the top blocks. It is not stored when it would exceed
:data:`~.frozen_prefix.LIMIT_BYTES`, nor when a check on the first nodes finds that feeding it
does not reproduce the model's own forward pass (an architecture whose encoder does more than
run its blocks in order); the frozen blocks then run at every step, to the same numbers.
"""

from __future__ import annotations

import contextlib
import warnings

import torch

from harness_ne.frozen_prefix import LIMIT_BYTES, FrozenPrefix, blocks, fed, frozen_digest, size_in_bytes
from harness_ne.trainable_layers import top_layers

#: nodes on which a stored prefix must reproduce the full forward pass before it is used
_CHECKED_NODES = 4


class StageEncoder:
    def __init__(self, encoder, task, trainable_layers: int, context):
        self.encoder, self.task, self.context = encoder, task, context
        self.tokens = encoder.tokenize_task(task)
        self.model = encoder.module()
        self.trainable_layers = trainable_layers
        self.first_trainable = len(blocks(self.model)) - trainable_layers if trainable_layers > 0 else None
        if self.first_trainable is not None and self.first_trainable < 0:
            raise ValueError(f"trainable_layers = {trainable_layers}, but the encoder has {len(blocks(self.model))} blocks")
        self.prefix: FrozenPrefix | None = None
        self._in_training = False
        # first_trainable None or 0: no block is frozen, nothing to store
        if self.first_trainable and size_in_bytes(self.tokens, encoder.hidden_size) <= LIMIT_BYTES:
            self.prefix = self._stored_prefix()

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def hidden_size(self) -> int:
        return self.encoder.hidden_size

    @contextlib.contextmanager
    def training(self):
        """Trainable parameters frozen or not, modules in train or eval mode, for the block."""
        with top_layers(self.model, self.trainable_layers):
            self._in_training = True
            self._training_modes()
            try:
                yield [parameter for parameter in self.model.parameters() if parameter.requires_grad]
            finally:
                self._in_training = False
                self.model.eval()

    def _training_modes(self) -> None:
        if self.first_trainable is None:
            self.model.train()
            return
        self.model.eval()
        for block in blocks(self.model)[self.first_trainable :]:
            block.train()

    @contextlib.contextmanager
    def _evaluating(self):
        self.model.eval()
        try:
            with torch.no_grad():
                yield
        finally:
            if self._in_training:
                self._training_modes()

    def embed(self, nodes: torch.Tensor) -> torch.Tensor:
        """Pooled vectors of ``nodes`` (gradients flow through the trainable blocks)."""
        batch = self.tokens.batch(nodes)
        if self.prefix is None:
            return self.encoder.embed(batch)
        with fed(self.model, self.first_trainable, self.prefix.batch(nodes)):
            return self.encoder.embed(batch)

    def encode(self) -> torch.Tensor:
        """Every node's vector (eval mode, no gradients), on the CPU."""
        if self.prefix is None:
            with self._evaluating():
                return self.encoder.encode(self.task)
        out = torch.empty(len(self.tokens), self.encoder.hidden_size)
        with self._evaluating():
            for nodes in self.tokens.by_length(self.encoder.batch_size):
                out[nodes] = self.embed(nodes).float().cpu()
        return out

    def _stored_prefix(self) -> FrozenPrefix | None:
        # Owned by the encoder: every method that freezes the same blocks shares it.
        params = {"first_trainable": self.first_trainable, "frozen_weights": frozen_digest(self.model, self.first_trainable)}
        payload = self.context.stage("frozen-prefix", lambda: FrozenPrefix.compute(self.encoder, self.tokens, self.first_trainable).payload(),
                                     params=params, datasets=[self.task], owner="encoder", uses=["encoder"])
        prefix = FrozenPrefix(payload["states"], self.tokens)
        if self._reproduces(prefix):
            return prefix
        warnings.warn(f"{type(self.model).__name__}: feeding stored states to its top blocks does not reproduce its forward pass; "
                      "the frozen blocks run at every step instead", stacklevel=2)
        return None

    def _reproduces(self, prefix: FrozenPrefix) -> bool:
        nodes = torch.argsort(self.tokens.lengths, descending=True)[:_CHECKED_NODES]
        batch = self.tokens.batch(nodes)
        with self._evaluating():
            full = self.encoder.embed(batch)
            with fed(self.model, self.first_trainable, prefix.batch(nodes)):
                stored = self.encoder.embed(batch)
        return torch.allclose(full, stored, rtol=1e-4, atol=1e-5)
