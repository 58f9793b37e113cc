"""Training of GIANT (see the package docstring)."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import scipy.sparse as sp
import torch
from torch_geometric.utils import coalesce, remove_self_loops, to_undirected

from harness.training.params import TrainingSettings
from harness_ne.encoder_stage import finetune_encoder, require_trainable
from harness_ne.giant.hierarchy import build_levels
from harness_ne.gnn_stage import StageLog, predictions, reseed, train_gnn
from harness_ne.params import encoder_settings
from harness_ne.stage_encoder import StageEncoder
from harness_ne.targets import squared_hinge


def neighbour_matrix(edge_index: torch.Tensor, num_nodes: int) -> sp.csr_matrix:
    """The 0/1 adjacency of the undirected simple graph: row i marks i's neighbours, its labels."""
    edges, _ = remove_self_loops(to_undirected(edge_index, num_nodes=num_nodes))
    rows, cols = coalesce(edges, num_nodes=num_nodes).numpy()
    return sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(num_nodes, num_nodes))


def label_embeddings(texts, field: str, graph: sp.csr_matrix, seed: int, width: int = 256) -> torch.Tensor:
    """PIFA over TF-IDF (word TF-IDF of text; character 3-grams of sequences), sparse, reduced to
    ``width`` dimensions by a seeded truncated SVD where it is wider (so that k-means runs dense)."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    options = {"analyzer": "char", "ngram_range": (3, 3)} if field == "sequence" else {"max_features": 20000}
    tfidf = TfidfVectorizer(**options).fit_transform(["" if text is None else str(text) for text in texts])
    embedding = graph @ tfidf
    if embedding.shape[1] > width:
        embedding = TruncatedSVD(width, random_state=seed).fit_transform(embedding)
    else:
        embedding = embedding.toarray()
    return torch.from_numpy(normalize(np.asarray(embedding, dtype=np.float32)))


class GIANT:
    def __init__(self, epochs_per_level, branching, leaf_size, max_degree, encoder_lr, head_lr, encoder_batch_size, trainable_layers, precision, **gnn):
        self.gnn = TrainingSettings(**gnn)
        self.encoder_stage = encoder_settings(epochs_per_level, encoder_lr, head_lr, encoder_batch_size, trainable_layers, precision)
        self.branching, self.leaf_size, self.max_degree = branching, leaf_size, max_degree

    def run(self, task, encoder, backbone, context):
        require_trainable(encoder, "giant")
        context.track(*encoder.modules())
        log = StageLog(context)
        settings = {"stage": asdict(self.encoder_stage), "branching": self.branching, "leaf_size": self.leaf_size, "max_degree": self.max_degree}
        with log.timed("encoder"):
            payload = context.stage("giant-encoder-features", lambda: self._pretrain_and_encode(task, encoder, log, context),
                                    params=settings, datasets=[task], seed=context.seed, uses=["encoder"])
        task = task.with_features(payload["features"])
        reseed(context, "gnn-stage")  # the same draws whether the encoder stage ran or came from the cache
        model = backbone(task.in_dim, task.num_outputs)
        context.track(model)
        context.plan_epochs(self.gnn.epochs)
        with log.timed("gnn"):
            result = train_gnn(task, model, self.gnn, log, "gnn", context.device)
        return predictions(task, result, hierarchy=payload["clusters"], seconds=log.seconds)

    def _pretrain_and_encode(self, task, encoder, log, context) -> dict:
        n = task.data.num_nodes
        adjacency = neighbour_matrix(task.data.edge_index, n)
        degree = torch.from_numpy(np.asarray(adjacency.sum(axis=1)).ravel())
        nodes = ((degree > 0) & (degree < self.max_degree)).nonzero().view(-1)
        levels = build_levels(label_embeddings(task.raw[encoder.field], encoder.field, adjacency, context.seed), self.branching, self.leaf_size, context.seed)
        stage = StageEncoder(encoder, task, self.encoder_stage.trainable_layers, context)
        held, head = clusters_held(adjacency, levels), None
        for depth in range(len(levels)):
            head = self._fit_level(stage, nodes, held, levels, depth, head, log)
        return {"features": stage.encode(), "clusters": [int(level.max()) + 1 for level in levels]}

    def _fit_level(self, encoder, nodes, held, levels, depth, parent_head, log) -> torch.nn.Linear:
        """Rank, for each node, the clusters of level ``depth`` that hold its neighbours above
        their siblings: positives are the clusters holding a neighbour, negatives the other
        children of the parents holding one (teacher-forced negatives; every cluster at the top
        level). The head starts from its parent level's (each cluster from its parent's row).
        ``held[d]``: nodes x clusters of level d, non-zero where the cluster holds a neighbour."""
        clusters = levels[depth]
        head = torch.nn.Linear(encoder.hidden_size, int(clusters.max()) + 1)
        if depth == 0:
            parent = None
        else:
            parent = parents(levels[depth - 1], clusters)
            with torch.no_grad():
                head.weight.copy_(parent_head.weight[parent])
                head.bias.copy_(parent_head.bias[parent])

        def targets(batch):
            rows = batch.cpu().numpy()
            positive = torch.from_numpy(held[depth][rows].toarray()) > 0
            candidate = torch.ones_like(positive) if parent is None else torch.from_numpy(held[depth - 1][rows].toarray())[:, parent] > 0
            target = torch.where(positive, 1.0, torch.where(candidate, -1.0, float("nan")))
            return target.to(head.weight.device), torch.ones(len(batch), dtype=torch.bool, device=head.weight.device)

        finetune_encoder(encoder, nodes, head, targets, self.encoder_stage, log, f"level{depth + 1}", multilabel=True, loss=squared_hinge)
        return head


def clusters_held(adjacency: sp.csr_matrix, levels: list[torch.Tensor]) -> list[sp.csr_matrix]:
    """Per level, nodes x clusters: how many of the node's neighbours each cluster holds."""
    return [(adjacency @ membership(clusters)).tocsr() for clusters in levels]


def membership(clusters: torch.Tensor) -> sp.csr_matrix:
    """Labels x clusters, 1 where the label is in the cluster."""
    k = int(clusters.max()) + 1
    return sp.csr_matrix((np.ones(len(clusters), dtype=np.float32), (np.arange(len(clusters)), clusters.numpy())), shape=(len(clusters), k))


def parents(coarse: torch.Tensor, fine: torch.Tensor) -> torch.Tensor:
    """The coarse cluster of every fine cluster (the levels nest)."""
    parent = torch.empty(int(fine.max()) + 1, dtype=torch.long)
    parent[fine] = coarse
    return parent
