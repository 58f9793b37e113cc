"""Writes a tiny dataset in OGB's exact extracted on-disk layout (``RELEASE_v1.txt``, ``raw/*.csv.gz``,
``split/<split>/*.csv.gz``), so that OGB's own loader can be tested without a download."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _csv(path: Path, array) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(np.asarray(array)).to_csv(path, header=False, index=False, compression="gzip")


def write_tiny_proteins(root: Path, num_nodes: int = 60, num_edges: int = 240, num_tasks: int = 112, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    folder = root / "ogbn_proteins"
    edges = rng.integers(0, num_nodes, size=(num_edges, 2))
    _csv(folder / "raw" / "edge.csv.gz", edges)
    _csv(folder / "raw" / "edge-feat.csv.gz", rng.random((num_edges, 8)).round(3))
    labels = rng.integers(0, 2, size=(num_nodes, num_tasks))
    _csv(folder / "raw" / "node-label.csv.gz", labels)
    _csv(folder / "raw" / "node_species.csv.gz", rng.integers(0, 3, size=(num_nodes, 1)))
    _csv(folder / "raw" / "num-node-list.csv.gz", [[num_nodes]])
    _csv(folder / "raw" / "num-edge-list.csv.gz", [[num_edges]])
    order = rng.permutation(num_nodes)
    a, b = int(0.6 * num_nodes), int(0.8 * num_nodes)
    for name, part in (("train", order[:a]), ("valid", order[a:b]), ("test", order[b:])):
        _csv(folder / "split" / "species" / f"{name}.csv.gz", np.sort(part).reshape(-1, 1))
    (folder / "RELEASE_v1.txt").write_text("# Release note for ogbn-proteins\n")
    return folder
