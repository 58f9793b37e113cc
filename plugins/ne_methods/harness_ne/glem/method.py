"""Training of GLEM (see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from harness.training.params import TrainingSettings
from harness_ne.encoder_stage import finetune_encoder, require_trainable
from harness_ne.gnn_stage import GNNResult, StageLog, Targets, predictions, train_gnn
from harness_ne.params import encoder_settings
from harness_ne.stage_encoder import StageEncoder
from harness_ne.targets import gold_rows, is_multilabel, probabilities


@dataclass
class Step:
    name: str  # lm-pretrain, gnn-pretrain, e-step-1, m-step-1, ...
    model: str  # lm or gnn
    result: GNNResult


class GLEM:
    def __init__(self, em_iterations, order, lm_pseudo_ratio, lm_pseudo_weight, gnn_pseudo_ratio, gnn_pseudo_weight, temperature, confidence,
                 encoder_epochs, encoder_lr, head_lr, encoder_batch_size, trainable_layers, precision, **gnn):
        self.gnn = TrainingSettings(**gnn)
        self.encoder_stage = encoder_settings(encoder_epochs, encoder_lr, head_lr, encoder_batch_size, trainable_layers, precision)
        self.em_iterations, self.order, self.temperature, self.confidence = em_iterations, order, temperature, confidence
        self.lm_pseudo = (lm_pseudo_ratio, lm_pseudo_weight)
        self.gnn_pseudo = (gnn_pseudo_ratio, gnn_pseudo_weight)

    def run(self, task, encoder, backbone, context):
        require_trainable(encoder, "glem")
        self.task, self.encoder, self.backbone, self.context = task, encoder, backbone, context
        self.stage_encoder = StageEncoder(encoder, task, self.encoder_stage.trainable_layers, context)
        self.head = torch.nn.Linear(encoder.hidden_size, task.num_outputs)
        context.track(*encoder.modules(), self.head)
        context.plan_epochs(self.encoder_stage.epochs * (1 + self.em_iterations) + self.gnn.epochs * (1 + self.em_iterations))
        self.log = StageLog(context)
        history = [self._lm_step("lm-pretrain", pseudo=None)]
        history.append(self._gnn_step("gnn-pretrain", history[-1], pseudo=None))
        lm_step, gnn_step = history[0], history[1]
        for iteration in range(1, self.em_iterations + 1):
            for kind in (("lm", "gnn") if self.order == "lm-first" else ("gnn", "lm")):
                if kind == "lm":
                    lm_step = self._lm_step(f"e-step-{iteration}", pseudo=gnn_step.result.logits)
                    history.append(lm_step)
                else:
                    gnn_step = self._gnn_step(f"m-step-{iteration}", lm_step, pseudo=lm_step.result.logits)
                    history.append(gnn_step)
        best = max(history, key=lambda step: step.result.best_score if task.higher_is_better else -step.result.best_score)
        return predictions(task, best.result, chosen=best.name, chosen_model=best.model, seconds=self.log.seconds,
                           steps=[{"step": step.name, "model": step.model, "valid": step.result.best_score} for step in history])

    # -- steps ---------------------------------------------------------------------------------

    def _pseudo_nodes(self, logits: torch.Tensor, ratio: float) -> tuple[torch.Tensor, torch.Tensor]:
        """Non-training nodes chosen for pseudo-labels and their soft labels."""
        multilabel = is_multilabel(self.task)
        others = torch.ones(self.task.data.num_nodes, dtype=torch.bool)
        others[self.task.items["train"]] = False
        candidates = others.nonzero().view(-1)
        candidates = candidates[torch.randperm(len(candidates))[: int(round(ratio * len(candidates)))]]
        soft = probabilities(logits[candidates].float(), multilabel, self.temperature)
        if self.confidence < 1:
            certainty = (soft - 0.5).abs().mean(1) if multilabel else soft.max(1).values
            keep = certainty.argsort(descending=True)[: int(round(self.confidence * len(candidates)))]
            candidates, soft = candidates[keep], soft[keep]
        return candidates, soft

    def _targets(self, logits, ratio, weight) -> Targets:
        train = self.task.items["train"]
        nodes, rows, is_train = train, gold_rows(self.task), torch.ones(len(train), dtype=torch.bool)
        if logits is not None and ratio > 0:
            pseudo_nodes, soft = self._pseudo_nodes(logits, ratio)
            nodes, rows = torch.cat([nodes, pseudo_nodes]), torch.cat([rows, soft])
            is_train = torch.cat([is_train, torch.zeros(len(pseudo_nodes), dtype=torch.bool)])
        return Targets(nodes, rows, is_train, alpha=weight if logits is not None else 0.0)

    def _lm_step(self, name: str, pseudo) -> Step:
        """Train the LM and its head, then infer embeddings and logits of every node."""
        targets = self._targets(pseudo, *self.lm_pseudo)
        device = self.stage_encoder.device
        with self.log.timed("encoder"):
            finetune_encoder(self.stage_encoder, targets.nodes, self.head, targets.lookup(self.task.data.num_nodes, device), self.encoder_stage, self.log, name,
                             is_multilabel(self.task), alpha=targets.alpha)
            self.embeddings = self.stage_encoder.encode()
        with torch.no_grad():
            logits = self.head.cpu()(self.embeddings)
        score = self.task.score("valid", logits[self.task.items["valid"]])
        self.log.log(name, valid=score)
        return Step(name, "lm", GNNResult(self.head, score, 0, logits))

    def _gnn_step(self, name: str, lm_step: Step, pseudo) -> Step:
        """A fresh GNN on the LM's current embeddings."""
        task = self.task.with_features(self.embeddings)
        model = self.backbone(task.in_dim, task.num_outputs)
        if name == "gnn-pretrain":  # one GNN's parameters count: each M-step trains a fresh one
            self.context.track(model)
        with self.log.timed("gnn"):
            result = train_gnn(task, model, self.gnn, self.log, name, self.context.device, targets=self._targets(pseudo, *self.gnn_pseudo))
        return Step(name, "gnn", result)
