"""Fine-tuning only the top transformer layers of an encoder, a CPU-budget switch.

``top_layers(model, k)`` freezes the embeddings and every block of ``encoder.layer`` but the
last ``k`` (the layout of BERT, MiniLM, DeBERTa and ESM models in ``transformers``); autograd then
stops at the lowest trainable block. ``k = 0`` trains everything (the papers' setting). The
encoder stages go further (:mod:`.stage_encoder`): the frozen blocks' output is computed once, so
a step costs the forward and backward passes of ``k`` blocks only.
"""

from __future__ import annotations

import contextlib
import re

import torch

_BLOCK = re.compile(r"(?:^|\.)encoder\.layer\.(\d+)\.")


def block_of(name: str) -> int | None:
    match = _BLOCK.search(name)
    return int(match.group(1)) if match else None


@contextlib.contextmanager
def top_layers(model: torch.nn.Module, k: int):
    """Within the block, only the last ``k`` transformer blocks of ``model`` are trainable."""
    if k <= 0:
        yield
        return
    named = list(model.named_parameters())
    blocks = [block for block in (block_of(name) for name, _ in named) if block is not None]
    if not blocks:
        raise ValueError(f"trainable_layers = {k} needs a model whose blocks are named encoder.layer.<i>; {type(model).__name__} has none")
    first = max(blocks) + 1 - k
    before = {name: parameter.requires_grad for name, parameter in named}
    for name, parameter in named:
        block = block_of(name)
        parameter.requires_grad_(block is not None and block >= first)
    try:
        yield
    finally:
        for name, parameter in named:
            parameter.requires_grad_(before[name])
