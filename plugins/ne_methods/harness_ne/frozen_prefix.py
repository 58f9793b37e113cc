"""The hidden states below the trainable blocks, computed once for every node.

With only the top k transformer blocks trainable (``trainable_layers``), the embeddings and the
blocks below them are a fixed function of each node's tokens. Their output, the input of the
lowest trainable block, is computed once and read back at every step, so a training step runs k
blocks instead of all of them, and so does re-encoding. The frozen blocks run in eval mode (no
dropout) whether their output is stored or recomputed (see :mod:`.stage_encoder`), so storing it
changes the speed, not the numbers.

The states are kept unpadded, one row per token, in the order of :class:`TokenizedInputs`'
ids. Feeding them in truncates ``encoder.layer`` to the trainable blocks for one forward pass
and replaces the input of the first of them through a forward pre-hook: the model's own code
still builds the attention mask, position information and pooling.
"""

from __future__ import annotations

import contextlib
import hashlib

import torch

#: stored states beyond this many bytes are not kept: the frozen blocks then run every step
LIMIT_BYTES = 2 * 1024**3


def blocks(model: torch.nn.Module) -> torch.nn.ModuleList:
    """The transformer blocks of a BERT, MiniLM, DeBERTa or ESM model from ``transformers``."""
    layers = getattr(getattr(model, "encoder", None), "layer", None)
    if not isinstance(layers, torch.nn.ModuleList):
        raise ValueError(f"{type(model).__name__} has no encoder.layer blocks: fine-tune every layer (trainable_layers: 0)")
    return layers


def size_in_bytes(tokens, hidden_size: int) -> int:
    return int(tokens.lengths.sum()) * hidden_size * 4


def frozen_digest(model: torch.nn.Module, first_trainable: int) -> str:
    """sha256 of every parameter below block ``first_trainable`` (what the states depend on)."""
    from harness_ne.trainable_layers import block_of

    digest = hashlib.sha256()
    for name, parameter in model.named_parameters():
        block = block_of(name)
        if block is None or block < first_trainable:
            digest.update(name.encode())
            digest.update(parameter.detach().cpu().float().numpy().tobytes())
    return digest.hexdigest()


class FrozenPrefix:
    """``states``: one row per token of ``tokens`` (float32, on the CPU)."""

    def __init__(self, states: torch.Tensor, tokens):
        self.states, self.tokens = states, tokens

    @classmethod
    def compute(cls, encoder, tokens, first_trainable: int) -> "FrozenPrefix":
        model = encoder.module()
        states = torch.empty(int(tokens.lengths.sum()), int(model.config.hidden_size))
        training = model.training
        model.eval()
        try:
            with torch.no_grad(), _captured_input(blocks(model)[first_trainable]) as seen:
                for nodes in tokens.by_length(encoder.batch_size):
                    batch = tokens.batch(nodes)
                    with contextlib.suppress(_Captured):
                        encoder.embed(batch)
                    mask = batch["attention_mask"].bool()
                    states[_token_rows(tokens, nodes, mask.size(1))[mask]] = seen["states"].float().cpu()[mask]
        finally:
            model.train(training)
        return cls(states, tokens)

    def batch(self, nodes: torch.Tensor) -> torch.Tensor:
        """(nodes, longest row, hidden) states, zero on padding, as ``tokens.batch`` pads."""
        nodes = torch.as_tensor(nodes, dtype=torch.long).view(-1)
        lengths = self.tokens.lengths[nodes]
        width = int(lengths.max()) if len(nodes) else 0
        mask = torch.arange(width).unsqueeze(0) < lengths.unsqueeze(1)
        rows = _token_rows(self.tokens, nodes, width).clamp(max=max(len(self.states) - 1, 0))
        return self.states[rows] * mask.unsqueeze(-1)

    def payload(self) -> dict:
        return {"states": self.states}


def _token_rows(tokens, nodes: torch.Tensor, width: int) -> torch.Tensor:
    return tokens.offsets[nodes].unsqueeze(1) + torch.arange(width)


class _Captured(Exception):
    """Raised by the capturing hook: nothing above the frozen blocks needs to run."""


@contextlib.contextmanager
def _captured_input(block: torch.nn.Module):
    seen: dict[str, torch.Tensor] = {}

    def hook(module, args, kwargs):
        seen["states"] = args[0] if args else kwargs["hidden_states"]
        raise _Captured

    handle = block.register_forward_pre_hook(hook, with_kwargs=True)
    try:
        yield seen
    finally:
        handle.remove()


@contextlib.contextmanager
def fed(model: torch.nn.Module, first_trainable: int, states: torch.Tensor):
    """Within the block, a forward pass of ``model`` runs only the blocks from
    ``first_trainable`` up, starting from ``states`` instead of the embeddings' output."""
    owner, layers = model.encoder, blocks(model)
    top = layers[first_trainable:]

    def hook(module, args, kwargs):
        given = args[0] if args else kwargs["hidden_states"]
        if given.shape != states.shape:
            raise RuntimeError(f"stored states of shape {tuple(states.shape)} for a batch of shape {tuple(given.shape)}")
        replaced = states.to(given.device, given.dtype)
        if args:
            return (replaced, *args[1:]), kwargs
        return args, {**kwargs, "hidden_states": replaced}

    handle = top[0].register_forward_pre_hook(hook, with_kwargs=True)
    owner.layer = top
    try:
        yield
    finally:
        owner.layer = layers
        handle.remove()
