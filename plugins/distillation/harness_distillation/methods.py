"""The methods: ``teacher`` (the teacher's own predictions) and the students ``kd``, ``ban`` and
``ltd``, which distil it. They share the teacher stage (:mod:`.teacher`) and the student's loop
(:mod:`.student`); only the temperatures differ."""

from __future__ import annotations

import torch

from harness.components import TaskType
from harness.task import META, Predictions
from harness_distillation import reference_settings
from harness_distillation.ltd import LearnedTemperatures, LtdSettings
from harness_distillation.soft_targets import distillation_loss
from harness_distillation.student import Student, StudentSettings
from harness_distillation.teacher import TeacherSettings, teacher
from harness_distillation.temperatures import neighbourhood_entropy


def _node_classification(task, method: str) -> None:
    if task.task_type != TaskType.NODE_CLASSIFICATION:
        raise ValueError(f"{method} distils node classifiers; {task.name} is a {task.task_type} task")


class Teacher:
    """The teacher, trained (or reused) as the students' stage, predicting itself."""

    def __init__(self, epochs, patience, lr, weight_decay):
        self.params = dict(epochs=epochs, patience=patience, lr=lr, weight_decay=weight_decay)

    def run(self, task, encoder, backbone, context) -> Predictions:
        task = context.encode(task, encoder)
        _node_classification(task, "teacher")
        settings = TeacherSettings(seed=None, **reference_settings.teacher(context.cell.backbone.name, **self.params))
        payload = teacher(task, backbone, settings, context)
        context.track(backbone(task.in_dim, task.num_outputs))  # its size, for #params
        logits = payload["logits"]
        return Predictions(valid=logits[task.items["valid"]], test=logits[task.items["test"]], best_epoch=payload["best_epoch"])


class _Distillation:
    """What every student method does: the teacher, a fresh student, one step per epoch."""

    name = ""
    #: the table columns of this method's parameters, where they are not named alike
    columns: dict = {}

    def __init__(self, epochs, patience, lr, lam, teacher_epochs, teacher_patience, teacher_lr, teacher_weight_decay, teacher_seed, **own):
        self.student_params = dict(epochs=epochs, patience=patience, lr=lr, lam=lam)
        self.teacher_params = dict(epochs=teacher_epochs, patience=teacher_patience, lr=teacher_lr, weight_decay=teacher_weight_decay)
        self.teacher_seed = None if teacher_seed < 0 else teacher_seed
        self.own = own

    def settings(self, context) -> tuple[TeacherSettings, dict]:
        cell = context.cell
        teacher_settings = TeacherSettings(seed=self.teacher_seed, **reference_settings.teacher(cell.backbone.name, **self.teacher_params))
        student = reference_settings.student(cell.dataset.name, cell.backbone.name, self.columns, **self.student_params, **self.own)
        return teacher_settings, student

    def run(self, task, encoder, backbone, context) -> Predictions:
        task = context.encode(task, encoder)
        _node_classification(task, self.name)
        teacher_settings, settings = self.settings(context)
        payload = teacher(task, backbone, teacher_settings, context)
        student = Student(task, backbone, payload["logits"], StudentSettings(**{k: settings[k] for k in ("epochs", "patience", "lr", "lam")}), context)
        predictions = self.distil(task, student, settings, context)
        predictions.extra["teacher"] = {"best_epoch": payload["best_epoch"], "valid": payload["valid"]}
        return predictions

    def distil(self, task, student: Student, settings: dict, context) -> Predictions:
        raise NotImplementedError


def fixed_temperature_step(student: Student, temperature: float):
    """One SGD step of the student on the distillation loss at one global temperature."""

    def step(epoch: int) -> float:
        parameters = student.parameters()
        loss = distillation_loss(student.logits(parameters), student.teacher_logits, temperature, student.train_items, student.train_labels, student.settings.lam)
        student.adopt(student.stepped(loss, parameters, differentiable=False))
        return loss.item()

    return step


class KnowledgeDistillation(_Distillation):
    """FT/KD: one temperature for every node (FT's, when left null) and a hard-label weight."""

    name = "kd"
    columns = reference_settings.FT_COLUMNS

    def distil(self, task, student, settings, context) -> Predictions:
        return student.fit(fixed_temperature_step(student, settings["temperature"]))


class BornAgain(_Distillation):
    """Born-again networks: the teacher's soft labels at temperature 1, no hard labels."""

    name = "ban"

    def __init__(self, **params):
        super().__init__(lam=0.0, **params)

    def distil(self, task, student, settings, context) -> Predictions:
        return student.fit(fixed_temperature_step(student, 1.0))


class LearnToDistill(_Distillation):
    """LTD: a temperature per node, learned on the ``meta`` split through the student's step."""

    name = "ltd"

    def __init__(self, warmup, **params):
        super().__init__(**params)
        self.warmup = warmup

    def distil(self, task, student, settings, context) -> Predictions:
        if META not in task.items:
            raise ValueError(f"ltd learns its temperatures on the dataset's {META!r} split, which {task.name} lacks: use LTD's protocol (split: ltd)")
        ltd_settings = LtdSettings(temperature_lr=settings["temperature_lr"], scale=settings["scale"], warmup=self.warmup)
        entropy = neighbourhood_entropy(student.teacher_logits, student.inputs[1])
        temperatures = LearnedTemperatures(student, entropy, ltd_settings, task.items[META], task.labels[META])
        context.track(temperatures.model)
        trace = []

        def step(epoch: int) -> float:
            loss = temperatures.epoch(epoch)
            trace.append(_summary(temperatures.last))
            return loss

        predictions = student.fit(step)
        predictions.extra["traces"] = {"temperature": trace}
        predictions.extra["trace_labels"] = {"temperature": ["10th percentile", "median", "90th percentile", "share negative"]}
        return predictions


def _summary(temperatures: torch.Tensor) -> list[float]:
    quantiles = torch.quantile(temperatures.float().cpu(), torch.tensor([0.1, 0.5, 0.9])).tolist()
    return [*quantiles, float((temperatures < 0).float().mean())]
