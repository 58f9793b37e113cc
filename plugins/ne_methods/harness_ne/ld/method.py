"""Training of Label Deconvolution (see the package docstring for the stages)."""

from __future__ import annotations

from dataclasses import asdict

import torch

from harness.training.params import TrainingSettings
from harness_ne.encoder_stage import finetune_encoder, require_trainable
from harness_ne.gnn_stage import GNNResult, StageLog, predictions, reseed, train_gnn
from harness_ne.params import encoder_settings
from harness_ne.stage_encoder import StageEncoder
from harness_ne.propagation import hop_stack, mean_aggregation
from harness_ne.targets import gold_and_pseudo, is_multilabel


class NoPropagationHead(torch.nn.Module):
    """The backbone used as the encoder's head: its weights, no neighbour read."""

    def __init__(self, backbone: torch.nn.Module):
        super().__init__()
        self.backbone = backbone

    def forward(self, features):
        return self.backbone.forward_without_propagation(features)


class InverseLabels(torch.nn.Module):
    """``lam * sum_k softmax(w)_k (P^k Y_hat) + (1 - lam) * Y_hat`` for a batch of nodes."""

    def __init__(self, stack: torch.Tensor, multilabel: bool, lam: float):
        super().__init__()
        self.register_buffer("stack", stack)
        self.w = torch.nn.Parameter(torch.zeros(stack.size(0)))
        self.multilabel, self.lam = multilabel, lam

    @property
    def gamma(self) -> torch.Tensor:
        return torch.softmax(self.w, dim=0)

    def forward(self, nodes: torch.Tensor) -> torch.Tensor:
        hops = self.stack[:, nodes]
        inverse = torch.einsum("k,knc->nc", self.gamma, hops)
        if not self.multilabel:
            inverse = inverse / inverse.sum(dim=-1, keepdim=True).clamp(min=1e-12)
        return self.lam * inverse + (1 - self.lam) * hops[0]


class LabelDeconvolution:
    def __init__(self, rounds, hops, lam, alpha, tau, encoder_epochs, encoder_lr, head_lr, encoder_batch_size, trainable_layers, precision, **gnn):
        self.gnn = TrainingSettings(**gnn)
        self.encoder_stage = encoder_settings(encoder_epochs, encoder_lr, head_lr, encoder_batch_size, trainable_layers, precision)
        self.rounds, self.hops, self.lam, self.alpha, self.tau = rounds, hops, lam, alpha, tau

    def run(self, task, encoder, backbone, context):
        require_trainable(encoder, "ld")
        log = StageLog(context)
        with log.timed("encoder"):
            fixed = context.encode(task, encoder)
            stage_encoder = StageEncoder(encoder, task, self.encoder_stage.trainable_layers, context)
        model = backbone(fixed.in_dim, task.num_outputs)
        if not getattr(model, "has_forward_without_propagation", False):
            raise TypeError(f"ld needs a backbone with forward_without_propagation (GCN, GraphSAGE, GAT, MLP, SIGN), not {type(model).__name__}")
        context.track(model)
        context.plan_epochs(self.gnn.epochs * (self.rounds + 1) + self.encoder_stage.epochs * self.rounds)
        with log.timed("gnn"):
            result = self._stage_zero(fixed, model, context, log)
        reseed(context, "after-stage-0")  # the same draws whether stage 0 ran or came from the cache
        hops = self.hops or model.hops
        operator = mean_aggregation(task.data.edge_index, task.data.num_nodes)
        gamma, scores = [], [result.best_score]
        for round_ in range(1, self.rounds + 1):
            with log.timed("encoder"):
                stack = hop_stack(gold_and_pseudo(fixed, result.logits, self.tau), operator, hops)
                gamma.append(self._encoder_stage(fixed, stage_encoder, model, stack, log, f"encoder{round_}"))
                features = fixed.with_features(stage_encoder.encode())
            with log.timed("gnn"):
                result = train_gnn(features, model, self.gnn, log, f"gnn{round_}", context.device)
            scores.append(result.best_score)
        steps = [vector for round_ in gamma for vector in round_]
        return predictions(task, result, gamma=gamma, hops=hops, stage_valid=scores, traces={"gamma": steps}, seconds=log.seconds)

    def _stage_zero(self, task, model, context, log) -> GNNResult:
        """GNN stage 0, cached per dataset, encoder, backbone, GNN settings and seed."""

        def train():
            result = train_gnn(task, model, self.gnn, log, "gnn0", context.device)
            state = {name: tensor.cpu() for name, tensor in model.state_dict().items()}  # loadable on any device
            return {"state": state, "logits": result.logits, "score": result.best_score, "epoch": result.best_epoch}

        stage = context.stage("ld-gnn-stage0", train, params={"gnn": asdict(self.gnn)}, datasets=[task], seed=context.seed, uses=["encoder", "backbone"])
        model.load_state_dict(stage["state"])
        return GNNResult(model, stage["score"], stage["epoch"], stage["logits"])

    def _encoder_stage(self, task, encoder, model, stack, log, stage) -> list[list[float]]:
        """Fine-tune the encoder toward the inverse labels; gamma after every step."""
        device = encoder.device
        multilabel = is_multilabel(task)
        inverse = InverseLabels(stack, multilabel, self.lam).to(device)
        is_train = torch.zeros(task.data.num_nodes, dtype=torch.bool, device=device)
        is_train[task.items["train"].to(device)] = True
        trajectory = [inverse.gamma.tolist()]

        def targets(nodes):
            nodes = nodes.to(device)
            return inverse(nodes), is_train[nodes]

        def keep_gamma():
            trajectory.append(inverse.gamma.detach().tolist())

        everyone = torch.arange(task.data.num_nodes)
        finetune_encoder(encoder, everyone, NoPropagationHead(model), targets, self.encoder_stage, log, stage, multilabel,
                         alpha=self.alpha, extra=inverse.parameters(), after_step=keep_gamma)
        return trajectory
