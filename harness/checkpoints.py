"""Model weights as a stage's payload: what a pre-training stage keeps and what fine-tuning loads.

A checkpoint is a module's ``state_dict`` copied to the CPU: parameter and buffer names to
tensors, nothing else, so that the cache stores it with ``torch.save`` and reads it back with
``torch.load(weights_only=True)`` (:mod:`harness.cache`). :func:`load_checkpoint` loads one into
a module only when every tensor is there with the shape the module expects, and otherwise
refuses, naming the missing, unexpected and mismatched tensors: torch's own
``load_state_dict`` raises on the first shape mismatch only after copying what came before it.
"""

from __future__ import annotations

from typing import Mapping

import torch


class CheckpointMismatch(ValueError):
    """A checkpoint that does not fit the module it is loaded into."""


def checkpoint(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """``module``'s parameters and buffers, detached copies on the CPU."""
    return {name: tensor.detach().to("cpu", copy=True) for name, tensor in module.state_dict().items()}


def mismatches(module: torch.nn.Module, state: Mapping[str, torch.Tensor]) -> list[str]:
    """What keeps ``state`` from loading into ``module``, one line per tensor (empty: it fits)."""
    expected = module.state_dict()
    problems = [f"{name}: missing from the checkpoint" for name in expected if name not in state]
    problems += [f"{name}: not in the model" for name in state if name not in expected]
    for name, tensor in state.items():
        if name not in expected:
            continue
        if not isinstance(tensor, torch.Tensor):
            problems.append(f"{name}: a {type(tensor).__name__}, not a tensor")
        elif tensor.shape != expected[name].shape:
            problems.append(f"{name}: checkpoint {tuple(tensor.shape)}, model {tuple(expected[name].shape)}")
    return problems


def load_checkpoint(module: torch.nn.Module, state: Mapping[str, torch.Tensor], what: str = "checkpoint") -> None:
    """Load ``state`` into ``module``, or raise :class:`CheckpointMismatch` naming every tensor
    that is missing, unexpected or of another shape (``what`` names the checkpoint in the
    message, e.g. ``"the attrmasking checkpoint"``); nothing is loaded then."""
    problems = mismatches(module, state)
    if problems:
        shown = "; ".join(problems[:20]) + (f"; and {len(problems) - 20} more" if len(problems) > 20 else "")
        raise CheckpointMismatch(f"{what} does not fit the {type(module).__name__} it is loaded into: {shown}")
    module.load_state_dict(dict(state))
