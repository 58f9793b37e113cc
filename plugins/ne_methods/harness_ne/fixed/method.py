"""Training of the ``fixed`` baseline (see the package docstring)."""

from __future__ import annotations

from harness.training.params import TrainingSettings
from harness_ne.gnn_stage import StageLog, predictions, train_gnn


class Fixed:
    def __init__(self, **params):
        self.gnn = TrainingSettings(**params)

    def run(self, task, encoder, backbone, context):
        log = StageLog(context)
        with log.timed("encoder"):
            task = context.encode(task, encoder)
        context.plan_epochs(self.gnn.epochs)
        model = backbone(task.in_dim, task.num_outputs)
        context.track(model)
        with log.timed("gnn"):
            result = train_gnn(task, model, self.gnn, log, "gnn", context.device)
        return predictions(task, result, seconds=log.seconds)
