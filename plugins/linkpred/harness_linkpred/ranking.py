"""Link-ranking variants of the small link datasets (the harness's ranking protocol,
:mod:`harness.ranking`): ``<name>-ranking`` ranks every node for each endpoint of a held-out
edge, the query's training edges (and, for test, validation edges) masked, and reports MRR,
Recall@20 and NDCG@20.

Same files, cleaning, node features and seeded edge split as ``<name>``: with the same
``split_seed`` the same edges are held out, without the sampled negatives (full ranking needs
none). Declared for every link graph whose dense (queries x nodes) score matrix stays small
(at most about 25 million entries for the default split: wiki-Vote's 3,529 test queries x 7,115
nodes is the largest); p2p-Gnutella25 (7,310 x 22,687) is left out. Each variant's metadata
names the graph it reads (``graph``), so that the harness knows ``usair-ranking`` and ``usair``
are one graph (a zero-shot grid refuses to train on one and evaluate on the other).

Importing this module does not import torch (the preflight runs before any cell).
"""

from __future__ import annotations

SUFFIX = "-ranking"
#: the link datasets that get a ranking variant (see the module docstring for the size rule)
RANKED = ("usair", "ns", "pb", "yeast", "celegans", "power", "router", "ecoli", "facebook", "email-eu-core", "wiki-vote",
          "road-minnesota", "chch-miner", "shs27k")
#: what a ranking variant reports beside its MRR
EXTRA_METRICS = ("recall@20", "ndcg@20")


def base_name(name: str) -> str:
    """The link dataset a ranking variant reads (``usair`` for ``usair-ranking``)."""
    return name.removesuffix(SUFFIX)


def check(name: str, root: str, params: dict) -> list[str]:
    """Preflight: the files of the link dataset are there (fetched first with ``download``)."""
    from harness_linkpred import files

    return files.check(base_name(name), root, params)


def load_ranking_task(name: str, root: str, features: str = "ones", feature_dim: int = 32, feature_seed: int = 0, valid_fraction: float = 0.05, test_fraction: float = 0.10, split_seed: int = 0, download: bool = False):
    """The link-ranking task of link dataset ``name`` (see the module docstring)."""
    import torch

    from harness.ranking import ranking_splits
    from harness.task import Task
    from harness_linkpred.loader import _pairs, node_features, read_graph, training_graph
    from harness.data.edge_splits import split_items

    graph, paths = read_graph(name, root, download)
    graph = getattr(graph, "graph", graph)  # SHS27k: the interaction graph without its sequences
    parts = split_items(len(graph.edges), valid_fraction, test_fraction, split_seed)
    edges = {split: graph.edges[index] for split, index in parts.items()}
    queries, targets = ranking_splits(*(edges[split].T for split in ("train", "valid", "test")), graph.num_nodes)
    x = node_features(features, graph.num_nodes, edges["train"], feature_dim, feature_seed)
    return Task(
        name=name + SUFFIX,
        task_type="link-ranking",
        metric="mrr",
        extra_metrics=EXTRA_METRICS,
        num_outputs=1,
        data=training_graph(x, edges["train"], graph.num_nodes),
        items={"train": _pairs(edges["train"]), **{split: torch.from_numpy(queries[split]) for split in ("valid", "test")}},
        labels={"train": torch.ones(len(edges["train"])), **{split: torch.from_numpy(targets[split]) for split in ("valid", "test")}},
        info={"files": [str(p) for p in paths], "cleaning": dict(graph.report), "split": {split: len(index) for split, index in parts.items()}},
    )
