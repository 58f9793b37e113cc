"""Supervised training for every task family.

- node classification: cross-entropy on the training nodes; node multi-label: masked BCE;
- graph classification: backbone -> pooling -> linear head, masked BCE on ``(n, T)`` float
  labels, or cross-entropy when the labels are integer class ids ``(n,)`` or ``(n, 1)`` (acc);
  graph regression: MSE;
- link prediction: dot-product scores of node embeddings, BCE against one random non-edge per
  training edge (resampled every epoch); messages pass over the training edges only;
- edge multi-label: node embeddings of the message graph (the training pairs only), each pair
  represented by the Hadamard product z_u * z_v, a linear head to one logit per label, masked
  BCE on the training pairs;
- link ranking: trained as link prediction; predicts a score for every (query, node) pair.

Each epoch is scored on validation and the best state (by the task's metric) is restored before
predicting (the core's :func:`harness.training.epochs.train_epochs`). Full batch by default;
mini-batches of graphs for graph tasks, and neighbour-sampled mini-batches for node tasks
(:func:`harness.training.neighbor_sampler.neighbor_loader`) when ``batch_size`` > 0 (training
only: validation and test predictions are made on the full graph). Link and edge tasks are
always full batch.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from harness.components import TaskType
from harness.sparse_features import densify
from harness.task import Predictions
from harness.training.epochs import train_epochs
from harness.training.params import TrainingSettings


class Supervised:
    def __init__(self, epochs, lr, weight_decay, patience, batch_size, fanout, embedding_dim, pooling):
        self.training = TrainingSettings(epochs, lr, weight_decay, patience, batch_size, fanout)
        self.embedding_dim = embedding_dim
        self.pooling = pooling

    def run(self, task, encoder, backbone, context) -> Predictions:
        task = context.encode(task, encoder)
        family = _FAMILIES[task.task_type](self, task, backbone, context.device)
        context.track(family.model)
        settings = self.training
        optimizer = torch.optim.Adam(family.model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
        context.plan_epochs(settings.epochs)
        best = train_epochs(
            family.model,
            context,
            epochs=settings.epochs,
            patience=settings.patience,
            train_epoch=lambda: family.train_epoch(optimizer),
            validate=lambda: (task.score("valid", family.predict("valid").cpu()), None),
            improved=task.improved,
        )
        with torch.no_grad():
            return Predictions(valid=family.predict("valid").cpu(), test=family.predict("test").cpu(), best_epoch=best.epoch)


def _masked(loss_fn, output, target):
    known = ~torch.isnan(target)
    return loss_fn(output[known], target[known])


class NodeFamily:
    def __init__(self, method: Supervised, task, backbone, device):
        self.task, self.device, self.method = task, device, method
        self.data = task.data.to(device)
        self.model = backbone(task.in_dim, task.num_outputs).to(device)
        self.train_items = task.items["train"].to(device)
        self.train_labels = task.labels["train"].to(device)
        self.multilabel = task.task_type == TaskType.NODE_MULTILABEL
        self.loader = self._loader() if method.training.batch_size else None

    def _loader(self):
        from harness.training.neighbor_sampler import neighbor_loader

        labels = torch.zeros((self.data.num_nodes, *self.train_labels.shape[1:]), dtype=self.train_labels.dtype, device=self.device)
        labels[self.train_items] = self.train_labels
        data = self.data.clone()
        data.x = densify(data.x)  # the sampler selects rows, which CSR tensors cannot do
        data.train_target = labels
        return neighbor_loader(data, self.method.training.fanout, self.method.training.batch_size, self.train_items, shuffle=True)

    def _loss(self, out, target):
        if self.multilabel:
            return _masked(F.binary_cross_entropy_with_logits, out, target)
        return F.cross_entropy(out, target)

    def _forward(self, data):
        return self.model(data.x, data.edge_index, getattr(data, "edge_attr", None))

    def train_epoch(self, optimizer) -> float:
        if self.loader is None:
            optimizer.zero_grad()
            loss = self._loss(self._forward(self.data)[self.train_items], self.train_labels)
            loss.backward()
            optimizer.step()
            return loss.item()
        total, count = 0.0, 0
        for batch in self.loader:
            optimizer.zero_grad()
            size = batch.batch_size
            loss = self._loss(self._forward(batch)[:size], batch.train_target[:size])
            loss.backward()
            optimizer.step()
            total, count = total + loss.item() * size, count + size
        return total / max(count, 1)

    def predict(self, split):
        return self._forward(self.data)[self.task.items[split].to(self.device)]


class GraphFamily:
    def __init__(self, method: Supervised, task, backbone, device):
        from torch_geometric import nn as pyg

        self.task, self.device, self.method = task, device, method
        encoder = backbone(task.in_dim, method.embedding_dim)
        pool = {"mean": pyg.global_mean_pool, "sum": pyg.global_add_pool, "max": pyg.global_max_pool}[method.pooling]
        self.model = _GraphModel(encoder, pool, nn.Linear(method.embedding_dim, task.num_outputs)).to(device)
        self.regression = task.task_type == TaskType.GRAPH_REGRESSION
        # Integer labels of shape (n,) or (n, 1) are class ids: one output per class, trained with
        # cross-entropy. Float (n, T) labels (NaN where missing) keep the masked BCE.
        train_labels = task.labels["train"]
        self.class_ids = not self.regression and not train_labels.is_floating_point() and (train_labels.dim() == 1 or train_labels.size(1) == 1)
        train = [self._with_target(task.graphs[i], y) for i, y in zip(task.items["train"].tolist(), task.labels["train"])]
        self.train_loader = self._loader(train, shuffle=True)

    @staticmethod
    def _with_target(graph, target):
        graph = graph.clone()
        graph.target = target.view(1, -1)
        return graph

    def _loader(self, graphs, shuffle):
        from torch_geometric.loader import DataLoader

        return DataLoader(graphs, batch_size=self.method.training.batch_size or len(graphs), shuffle=shuffle)

    def train_epoch(self, optimizer) -> float:
        loss_fn = F.mse_loss if self.regression else F.binary_cross_entropy_with_logits
        total, count = 0.0, 0
        for batch in self.train_loader:
            batch = batch.to(self.device)
            optimizer.zero_grad()
            if self.class_ids:
                loss = F.cross_entropy(self.model(batch), batch.target.view(-1))
            else:
                loss = _masked(loss_fn, self.model(batch), batch.target)
            loss.backward()
            optimizer.step()
            total, count = total + loss.item() * batch.num_graphs, count + batch.num_graphs
        return total / max(count, 1)

    def predict(self, split):
        graphs = [self.task.graphs[i] for i in self.task.items[split].tolist()]
        return torch.cat([self.model(batch.to(self.device)) for batch in self._loader(graphs, shuffle=False)])


class _GraphModel(nn.Module):
    def __init__(self, encoder, pool, head):
        super().__init__()
        self.encoder, self.pool, self.head = encoder, pool, head

    def forward(self, batch):
        nodes = self.encoder(batch.x, batch.edge_index, getattr(batch, "edge_attr", None))
        return self.head(self.pool(nodes, batch.batch))


class LinkFamily:
    def __init__(self, method: Supervised, task, backbone, device):
        self.task, self.device = task, device
        self.data = task.data.to(device)
        self.model = backbone(task.in_dim, method.embedding_dim).to(device)
        self.positives = task.items["train"].to(device)

    def _embed(self):
        return self.model(self.data.x, self.data.edge_index, getattr(self.data, "edge_attr", None))

    @staticmethod
    def _score(z, pairs):
        return (z[pairs[0]] * z[pairs[1]]).sum(dim=-1)

    def train_epoch(self, optimizer) -> float:
        from torch_geometric.utils import negative_sampling

        optimizer.zero_grad()
        z = self._embed()
        negatives = negative_sampling(self.data.edge_index, num_nodes=self.data.num_nodes, num_neg_samples=self.positives.size(1))
        scores = torch.cat([self._score(z, self.positives), self._score(z, negatives)])
        targets = torch.cat([torch.ones(self.positives.size(1)), torch.zeros(negatives.size(1))]).to(self.device)
        loss = F.binary_cross_entropy_with_logits(scores, targets)
        loss.backward()
        optimizer.step()
        return loss.item()

    def predict(self, split):
        return self._score(self._embed(), self.task.items[split].to(self.device))


class RankingFamily(LinkFamily):
    """Link ranking: trained as link prediction on the training edges; predicts the score of
    every candidate node for each query node, ``(n_queries, num_nodes)`` dot products."""

    def predict(self, split):
        z = self._embed()
        return z[self.task.items[split].to(self.device)] @ z.t()


class EdgeFamily:
    """Multi-label edge classification: one logit per label for each node pair."""

    def __init__(self, method: Supervised, task, backbone, device):
        self.task, self.device = task, device
        self.data = task.data.to(device)
        encoder = backbone(task.in_dim, method.embedding_dim)
        self.model = _EdgeModel(encoder, nn.Linear(method.embedding_dim, task.num_outputs)).to(device)
        self.train_pairs = task.items["train"].to(device)
        self.train_labels = task.labels["train"].to(device)

    def _forward(self, pairs):
        return self.model(self.data.x, self.data.edge_index, getattr(self.data, "edge_attr", None), pairs)

    def train_epoch(self, optimizer) -> float:
        optimizer.zero_grad()
        loss = _masked(F.binary_cross_entropy_with_logits, self._forward(self.train_pairs), self.train_labels)
        loss.backward()
        optimizer.step()
        return loss.item()

    def predict(self, split):
        return self._forward(self.task.items[split].to(self.device))


class _EdgeModel(nn.Module):
    def __init__(self, encoder, head):
        super().__init__()
        self.encoder, self.head = encoder, head

    def forward(self, x, edge_index, edge_attr, pairs):
        z = self.encoder(x, edge_index, edge_attr)
        return self.head(z[pairs[0]] * z[pairs[1]])


_FAMILIES = {
    TaskType.NODE_CLASSIFICATION: NodeFamily,
    TaskType.NODE_MULTILABEL: NodeFamily,
    TaskType.GRAPH_CLASSIFICATION: GraphFamily,
    TaskType.GRAPH_REGRESSION: GraphFamily,
    TaskType.LINK_PREDICTION: LinkFamily,
    TaskType.EDGE_MULTILABEL: EdgeFamily,
    TaskType.LINK_RANKING: RankingFamily,
}
