"""The teacher: the cell's backbone trained with the supervised recipe on the cell's split (Adam,
full batch, cross-entropy on the training nodes, the last of the epochs with the best validation
accuracy kept, patience counted from it), as a stage of the run context.

The stage belongs to the family :data:`FAMILY`, so the ``teacher`` method and every student
method (``kd``, ``ban``, ``ltd``) of a grid share it: it is keyed by the dataset and its split,
the encoder and the backbone with their parameters, the teacher's training settings and its seed,
and by nothing a student adds. Its payload is the teacher's logits for every node (what the
students distil), the epoch kept and its validation score.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch.nn import functional as F

from harness.training.epochs import train_epochs

FAMILY = "distillation"


@dataclass(frozen=True)
class TeacherSettings:
    epochs: int
    lr: float
    weight_decay: float
    patience: int
    #: the teacher's seed; None: the cell's seed (each student seed distils the teacher of the
    #: teacher row with that seed)
    seed: int | None

    def key(self) -> dict:
        settings = asdict(self)
        del settings["seed"]  # the stage's own seed
        return settings

    def seed_for(self, context) -> int:
        return context.seed if self.seed is None else self.seed


def node_inputs(task, device):
    """``(x, edge_index, edge_attr)`` of the task's graph on ``device``."""
    data = task.data.to(device)
    return data.x, data.edge_index, getattr(data, "edge_attr", None)


def train_teacher(task, backbone, settings: TeacherSettings, context) -> dict:
    """The stage payload: the trained teacher's logits for every node (``logits``, float32 on the
    CPU), the epoch kept (``best_epoch``, from 0) and its validation accuracy (``valid``)."""
    device = context.device
    inputs = node_inputs(task, device)
    model = backbone(task.in_dim, task.num_outputs).to(device)
    train_items, train_labels = task.items["train"].to(device), task.labels["train"].to(device)
    valid_items = task.items["valid"].to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)

    def train_epoch() -> float:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(*inputs)[train_items], train_labels)
        loss.backward()
        optimizer.step()
        return loss.item()

    def validate():
        return task.score("valid", model(*inputs)[valid_items].cpu()), None

    # a later epoch as good on validation replaces the kept one, as in the reference's teacher
    # script (``>=``): validation has 10 nodes per class, its accuracy plateaus within a few
    # epochs, and keeping the first epoch of the plateau keeps an under-trained teacher
    best = train_epochs(model, context, epochs=settings.epochs, patience=settings.patience, train_epoch=train_epoch, validate=validate,
                        improved=lambda score, best: best is None or score >= best, log=lambda epoch, loss, score: context.log_progress(epoch, settings.epochs, teacher_loss=loss, teacher_valid=score))
    with torch.no_grad():
        logits = model(*inputs).float().cpu()
    return {"logits": logits, "best_epoch": best.epoch, "valid": best.score, "num_params": sum(p.numel() for p in model.parameters())}


def teacher(task, backbone, settings: TeacherSettings, context) -> dict:
    """The teacher's payload for the cell's task and backbone, built once and then reused."""
    return context.stage("teacher", lambda: train_teacher(task, backbone, settings, context), params=settings.key(), datasets=[task],
                         seed=settings.seed_for(context), uses=("encoder", "backbone"), family=FAMILY)
