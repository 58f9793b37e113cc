"""The encoder stage: fine-tune a trainable encoder (``lm``, ``plm``) on mini-batches of nodes.

Each step embeds one batch of nodes from their own tokens through a
:class:`~.stage_encoder.StageEncoder` (no neighbour is read, so memory grows with the batch, not
with a sampled subgraph), maps the pooled vectors through a head, and takes
a soft loss against targets that the method computes for exactly those nodes. Targets may depend
on trainable parameters of the method (Label Deconvolution's gamma): they are optimised in the
same step. The encoder's weights, the head's and the method's extra parameters get their own
learning rates (AdamW).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import torch

from harness_ne.targets import soft_loss, weighted_mean
from harness_ne.stage_encoder import StageEncoder


@dataclass(frozen=True)
class EncoderSettings:
    epochs: int = 1
    lr: float = 2e-5
    head_lr: float = 1e-3
    batch_size: int = 16
    weight_decay: float = 0.0
    trainable_layers: int = 0  # 0: every layer; k: only the top k transformer blocks
    precision: str = "fp32"  # or bf16: the encoder's forward under bfloat16 autocast


#: targets(nodes) -> (soft target rows, is_train flags), on the encoder's device
TargetFunction = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
#: loss(head outputs, target rows) -> one loss per row
LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def finetune_encoder(encoder: StageEncoder, nodes: torch.Tensor, head: torch.nn.Module, targets: TargetFunction, settings: EncoderSettings,
                     log, stage: str, multilabel: bool, alpha: float = 0.0, extra: Iterable[torch.nn.Parameter] = (),
                     after_step: Callable[[], None] | None = None, loss: LossFunction | None = None) -> None:
    """Train the encoder's trainable blocks and ``head`` (and ``extra``) for ``settings.epochs``
    passes over ``nodes`` in shuffled batches; log the mean loss per epoch under ``stage``.
    ``loss`` (per-row losses of head outputs against targets) defaults to :func:`soft_loss`."""
    head.to(encoder.device)
    with encoder.training() as trainable:
        optimizer = torch.optim.AdamW([
            {"params": trainable, "lr": settings.lr},
            {"params": [*head.parameters(), *extra], "lr": settings.head_lr},
        ], weight_decay=settings.weight_decay)
        loss = loss or (lambda outputs, target: soft_loss(outputs, target, multilabel))
        _train(encoder, nodes, head, targets, settings, optimizer, log, stage, loss, alpha, after_step)


def _train(encoder, nodes, head, targets, settings, optimizer, log, stage, loss_of, alpha, after_step) -> None:
    head.train()
    try:
        for _ in range(settings.epochs):
            total, count = 0.0, 0
            order = nodes[torch.randperm(len(nodes))]
            for start in range(0, len(order), settings.batch_size):
                batch = order[start : start + settings.batch_size]
                optimizer.zero_grad()
                target, is_train = targets(batch)
                with autocast(encoder.model, settings.precision):
                    embedded = encoder.embed(batch)
                losses = loss_of(head(embedded.float()), target)
                loss = weighted_mean(losses, is_train, alpha)
                loss.backward()
                optimizer.step()
                if after_step is not None:
                    after_step()
                total, count = total + loss.item() * len(batch), count + len(batch)
            log.log(stage, loss=total / max(count, 1))
    finally:
        head.eval()


def autocast(model: torch.nn.Module, precision: str):
    """bfloat16 autocast on the model's device for ``precision == "bf16"`` (weights and
    optimiser state stay float32), a no-op for ``fp32``."""
    if precision not in ("fp32", "bf16"):
        raise ValueError(f"precision must be fp32 or bf16, got {precision!r}")
    device = next(model.parameters()).device.type
    return torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=precision == "bf16")


def require_trainable(encoder, method: str) -> None:
    if not all(hasattr(encoder, attribute) for attribute in ("module", "tokenize_task", "embed")):
        raise TypeError(f"{method} fine-tunes the node encoder: use a trainable one (lm, plm), not {type(encoder).__name__}")
