"""Training of the ``finetuned`` baseline (see the package docstring)."""

from __future__ import annotations

from dataclasses import asdict

import torch

from harness.training.params import TrainingSettings
from harness_ne.encoder_stage import finetune_encoder, require_trainable
from harness_ne.gnn_stage import StageLog, Targets, predictions, reseed, train_gnn
from harness_ne.params import encoder_settings
from harness_ne.stage_encoder import StageEncoder
from harness_ne.targets import is_multilabel


class Finetuned:
    def __init__(self, encoder_epochs, encoder_lr, head_lr, encoder_batch_size, trainable_layers, precision, **gnn):
        self.gnn = TrainingSettings(**gnn)
        self.encoder_stage = encoder_settings(encoder_epochs, encoder_lr, head_lr, encoder_batch_size, trainable_layers, precision)

    def run(self, task, encoder, backbone, context):
        require_trainable(encoder, "finetuned")
        context.track(*encoder.modules())
        context.plan_epochs(self.encoder_stage.epochs + self.gnn.epochs)
        log = StageLog(context)
        with log.timed("encoder"):
            features = context.stage("finetuned-encoder-features", lambda: self._encode_after_finetuning(task, encoder, log, context),
                                     params=asdict(self.encoder_stage), datasets=[task], seed=context.seed, uses=["encoder"])
        task = task.with_features(features)
        reseed(context, "gnn-stage")  # the same draws whether the encoder stage ran or came from the cache
        model = backbone(task.in_dim, task.num_outputs)
        context.track(model)
        with log.timed("gnn"):
            result = train_gnn(task, model, self.gnn, log, "gnn", context.device)
        return predictions(task, result, seconds=log.seconds)

    def _encode_after_finetuning(self, task, encoder, log, context) -> torch.Tensor:
        head = torch.nn.Linear(encoder.hidden_size, task.num_outputs)
        gold = Targets.gold(task)
        stage = StageEncoder(encoder, task, self.encoder_stage.trainable_layers, context)
        finetune_encoder(stage, gold.nodes, head, gold.lookup(task.data.num_nodes, stage.device), self.encoder_stage, log, "encoder", is_multilabel(task))
        return stage.encode()
