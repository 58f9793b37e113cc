"""The ``aux-ts`` method: fine-tuning with the target loss plus auxiliary losses weighted per
example by AUX-TS (``weighting: adaptive``, :mod:`.aux_ts`), or the baselines on the same code
path: ``equal`` (every auxiliary example weighted 1) and ``target-only`` (no auxiliary task).

Han, Huang, An, Bai, "Adaptive Transfer Learning on Graph Neural Networks", KDD 2021; official
code github.com/Sean-Huang65/AUX-TS. The settings (node classification from scratch, molecules
from a pre-trained GIN) are in :mod:`.aux_ts_settings`.

Every epoch (all its training steps, then a prediction of the validation and test items), the
validation metric is computed (``task.score("valid", ...)``: validation labels never enter a
loss, the look-ahead's loss included) and the best epoch's predictions are returned (the same as
restoring its state: prediction is deterministic in eval mode); ``patience`` > 0 stops after that
many epochs without improvement. On molecules every epoch's predictions are kept
(``Predictions.epochs``), as the family's fine-tuning does.

The record keeps, per epoch, each auxiliary task's mean weight (``extra["traces"]
["task_weights"]``, drawn by ``harness plot`` with the task names from ``extra["trace_labels"]``),
its mean loss (``task_losses``) and, for ``adaptive``, its gradient cosine with the target
(``task_cosines``); the curve (``context.log_epoch``) has the training loss, the validation
metric and ``weight_<task>`` per auxiliary task.
"""

from __future__ import annotations

import time

import torch

from harness.task import EpochPredictions, Predictions
from harness_pretraining import aux_ts, stages, strategies
from harness_pretraining.aux_ts_settings import SettingOptions, setting_for
from harness_pretraining.pretrain_loop import PretrainSettings


class AuxTs:
    def __init__(self, auxiliaries, weighting, init, weighting_hidden, weighting_lr, look_ahead_step, epochs, lr, weight_decay, batch_size,
                 patience, embedding_dim, corpus, pretrain_epochs, pretrain_batch_size, pretrain_lr, pretrain_dropout, pretrain_seed,
                 mask_rate, context_size, random_labels_head):
        if len(set(auxiliaries)) != len(auxiliaries):
            raise ValueError(f"auxiliaries names a task twice: {auxiliaries}")
        self.weighting = weighting
        self.weighting_hidden, self.weighting_lr, self.look_ahead_step = weighting_hidden, weighting_lr, look_ahead_step
        self.epochs, self.lr, self.weight_decay, self.patience = epochs, lr, weight_decay, patience
        strategy_settings = strategies.StrategySettings(mask_rate=mask_rate, context_size=context_size)
        plan = None if init == "none" else stages.NodeLevelPlan(init, corpus, PretrainSettings(pretrain_epochs, pretrain_batch_size, pretrain_lr),
                                                                  strategy_settings, pretrain_dropout, pretrain_seed)
        self.options = SettingOptions(tuple(auxiliaries), embedding_dim, batch_size, plan, strategy_settings, weighting != "target-only", random_labels_head)

    def run(self, task, encoder, backbone, context) -> Predictions:
        task = context.encode(task, encoder)
        setting = setting_for(task, backbone, self.options, context)
        context.track(setting.model)
        weighting = aux_ts.weighting(self.weighting, setting.names, self.weighting_hidden, self.weighting_lr, self.look_ahead_step, context.device)
        if isinstance(weighting, aux_ts.Adaptive):
            context.track(weighting.network)  # trained too: it counts toward #params
        optimizer = torch.optim.Adam(setting.model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        generator = torch.Generator(device=context.device).manual_seed(context.seed)  # the auxiliary tasks' draws
        context.plan_epochs(self.epochs)
        history = TrainingHistory(setting.names, keeps_cosines=isinstance(weighting, aux_ts.Adaptive))
        best, kept, waited = None, [], 0
        for epoch in range(self.epochs):
            start = time.perf_counter()
            setting.model.train()
            reports = [weighting.step(setting.model, batch, optimizer, generator) for batch in setting.batches()]
            history.add(reports, time.perf_counter() - start)
            valid, test = setting.predict()
            score = task.score("valid", valid)
            context.log_epoch(epoch, train_loss=history.target_losses[-1], valid=score, **history.last_weights())
            if setting.keeps_every_epoch:
                kept.append(EpochPredictions(epoch, valid, test))
            if task.improved(score, None if best is None else best[1]):
                best, waited = ((epoch, valid, test), score), 0
            else:
                waited += 1
                if self.patience and waited >= self.patience:
                    break
        (epoch, valid, test), _ = best
        extra = {"weighting": self.weighting, "auxiliaries": list(setting.names), **history.extra(), **setting.notes}
        return Predictions(valid=valid, test=test, best_epoch=epoch, extra=extra, epochs=kept)


class TrainingHistory:
    """Per epoch: the target's mean training loss and, per auxiliary task, its mean weight, loss
    and gradient cosine (means over the epoch's steps); what the record keeps of them."""

    def __init__(self, names: tuple[str, ...], keeps_cosines: bool):
        self.names, self.keeps_cosines = names, keeps_cosines
        self.target_losses: list[float] = []
        self.traces: dict[str, list[list[float]]] = {"task_weights": [], "task_losses": [], "task_cosines": []}
        self.seconds: list[float] = []

    def add(self, reports: list[aux_ts.StepReport], seconds: float) -> None:
        def mean(values):
            return sum(values) / len(values)

        self.target_losses.append(mean([report.target_loss for report in reports]))
        for trace, part in (("task_weights", "weights"), ("task_losses", "auxiliary_losses"), ("task_cosines", "cosines")):
            rows = [getattr(report, part) for report in reports]
            if self.names and all(rows):
                self.traces[trace].append([mean(column) for column in zip(*rows)])
        self.seconds.append(seconds)

    def last_weights(self) -> dict[str, float]:
        if not self.traces["task_weights"]:
            return {}
        return {f"weight_{name}": weight for name, weight in zip(self.names, self.traces["task_weights"][-1])}

    def extra(self) -> dict:
        traces = {name: steps for name, steps in self.traces.items() if steps}
        return {
            "traces": traces,
            "trace_labels": {name: list(self.names) for name in traces},
            "final_task_weights": dict(zip(self.names, self.traces["task_weights"][-1])) if self.traces["task_weights"] else {},
            "train_seconds_per_epoch": sum(self.seconds) / len(self.seconds),
        }
