"""Training of the ``joint`` baseline (see the package docstring)."""

from __future__ import annotations

import torch

from harness_ne.encoder_stage import autocast, require_trainable
from harness_ne.gnn_stage import GNNResult, StageLog, forward, predictions
from harness_ne.stage_encoder import StageEncoder
from harness_ne.targets import gold_rows, is_multilabel, soft_loss


class Joint:
    def __init__(self, epochs, encoder_lr, lr, weight_decay, batch_size, fanout, trainable_layers, precision):
        self.epochs, self.encoder_lr, self.lr, self.weight_decay = epochs, encoder_lr, lr, weight_decay
        self.batch_size, self.fanout, self.trainable_layers, self.precision = batch_size, list(fanout), trainable_layers, precision

    def run(self, task, encoder, backbone, context):
        require_trainable(encoder, "joint")
        log, best = StageLog(context), None
        device = context.device  # the run's --device, for the encoder and the GNN alike
        encoder.to(device)
        with log.timed("encoder"):
            stage = StageEncoder(encoder, task, self.trainable_layers, context)
        model = backbone(stage.hidden_size, task.num_outputs).to(device)
        context.track(stage.model, model)
        context.plan_epochs(self.epochs)
        with stage.training() as trainable:
            optimizer = torch.optim.AdamW([{"params": trainable, "lr": self.encoder_lr}, {"params": list(model.parameters()), "lr": self.lr}],
                                          weight_decay=self.weight_decay)
            for epoch in range(self.epochs):
                with log.timed("joint"):  # encoder and GNN in the same steps: not separable
                    loss = self._train_epoch(task, stage, model, optimizer, device)
                with log.timed("encoder"):
                    logits = self._predict_all(task, stage, model, device)
                score = task.score("valid", logits[task.items["valid"]])
                log.log("joint", loss=loss, valid=score)
                if task.improved(score, None if best is None else best.best_score):
                    best = GNNResult(model, score, epoch, logits)
        return predictions(task, best, seconds=log.seconds)

    def _train_epoch(self, task, encoder, model, optimizer, device) -> float:
        from harness.training.neighbor_sampler import neighbor_loader

        multilabel = is_multilabel(task)
        train = task.items["train"]
        position = torch.full((task.data.num_nodes,), -1, dtype=torch.long)
        position[train] = torch.arange(len(train))
        gold = gold_rows(task)
        graph = task.data.clone()
        graph.target_position = position
        model.train()
        total, count = 0.0, 0
        for batch in neighbor_loader(graph, self.fanout, self.batch_size, train, shuffle=True):
            optimizer.zero_grad()
            with autocast(encoder.model, self.precision):
                features = encoder.embed(batch.n_id)  # every node of the subgraph, with gradients
            out = model(features.float(), batch.edge_index.to(device), getattr(batch, "edge_attr", None))[: batch.batch_size]
            target = gold[batch.target_position[: batch.batch_size]].to(device)
            loss = soft_loss(out, target, multilabel).mean()
            loss.backward()
            optimizer.step()
            total, count = total + loss.item() * batch.batch_size, count + batch.batch_size
        return total / max(count, 1)

    @torch.no_grad()
    def _predict_all(self, task, encoder, model, device) -> torch.Tensor:
        model.eval()
        features = encoder.encode().to(device)
        return forward(model, task.with_features(features).data.to(device)).cpu()
