"""Writes tiny datasets in OGB's exact extracted on-disk layout (``RELEASE_v1.txt``, ``raw/*.csv.gz``,
``split/<split>/*.csv.gz``, or ``split/<type>/*.pt`` for links), so that OGB's own loaders can be
tested without a download: ogbn-proteins (plus its protein-id mapping and a STRING-style FASTA),
ogbn-arxiv (plus its paper-id mapping and a ``titleabs.tsv.gz``), ogbg-molhiv (molecules
featurised by OGB's ``smiles2graph``), ogbl-ddi and ogbl-collab."""

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


# -- ogbn-proteins: the node-to-protein mapping and a STRING-style FASTA -------------------------


def protein_ids(num_nodes: int = 60) -> list[str]:
    """STRING-style ``<taxon>.<protein>`` ids for the tiny ogbn-proteins nodes."""
    taxa = (3702, 9606, 10090)
    return [f"{taxa[node % 3]}.P{node:05d}" for node in range(num_nodes)]


def write_protein_mapping(folder: Path, num_nodes: int = 60) -> Path:
    """``mapping/nodeidx2proteinid.csv.gz`` (header ``node idx,protein id``), rows shuffled."""
    order = np.random.default_rng(1).permutation(num_nodes)
    ids = protein_ids(num_nodes)
    path = folder / "mapping" / "nodeidx2proteinid.csv.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"node idx": order, "protein id": [ids[n] for n in order]}).to_csv(path, index=False, compression="gzip")
    return path


def protein_sequence(node: int) -> str:
    """A made-up sequence per node; node 1 carries the ambiguous residue J and a stop '*'."""
    residues = "ACDEFGHIKLMNPQRSTVWY"
    body = "".join(residues[(node * 7 + i * 3) % 20] for i in range(30 + node % 50))
    return "MJ" + body + "*" if node == 1 else "M" + body


def write_fasta(path: Path, num_nodes: int = 60, skip: tuple[int, ...] = (), extra: int = 3, width: int = 60) -> Path:
    """A STRING-style protein FASTA (``>id`` header lines, sequences wrapped at ``width``) holding
    the tiny graph's proteins except ``skip``, plus ``extra`` proteins the graph lacks."""
    lines = []
    ids = protein_ids(num_nodes)
    for node in range(num_nodes):
        if node in skip:
            continue
        sequence = protein_sequence(node)
        lines.append(f">{ids[node]}")
        lines += [sequence[i : i + width] for i in range(0, len(sequence), width)]
    for other in range(extra):
        lines += [f">4932.YAL{other:03d}W", "MSTTAAEEKL"]
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    if path.suffix == ".gz":
        import gzip

        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)
    return path


# -- ogbn-arxiv: graph, year split, paper-id mapping and titleabs.tsv.gz ---------------------------


def paper_ids(num_nodes: int = 50) -> list[int]:
    return [9_000_000 + 37 * node for node in range(num_nodes)]


def write_tiny_arxiv(root: Path, num_nodes: int = 50, num_edges: int = 150, features: int = 128, seed: int = 0, mapping: bool = True) -> Path:
    """ogbn-arxiv's extracted layout: directed citations, 128-d features, 40 classes, a year per
    node, the time split, and ``mapping/nodeidx2paperid.csv.gz``."""
    rng = np.random.default_rng(seed)
    folder = root / "ogbn_arxiv"
    _csv(folder / "raw" / "edge.csv.gz", rng.integers(0, num_nodes, size=(num_edges, 2)))
    _csv(folder / "raw" / "node-feat.csv.gz", rng.normal(size=(num_nodes, features)).round(4).astype(np.float32))
    _csv(folder / "raw" / "node-label.csv.gz", rng.integers(0, 40, size=(num_nodes, 1)))
    years = rng.integers(2010, 2021, size=(num_nodes, 1))
    _csv(folder / "raw" / "node_year.csv.gz", years)
    _csv(folder / "raw" / "num-node-list.csv.gz", [[num_nodes]])
    _csv(folder / "raw" / "num-edge-list.csv.gz", [[num_edges]])
    year = years.reshape(-1)
    parts = {"train": np.where(year <= 2017)[0], "valid": np.where(year == 2018)[0], "test": np.where(year >= 2019)[0]}
    for name, part in parts.items():
        _csv(folder / "split" / "time" / f"{name}.csv.gz", part.reshape(-1, 1))
    if mapping:
        path = folder / "mapping" / "nodeidx2paperid.csv.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"node idx": range(num_nodes), "paper id": paper_ids(num_nodes)}).to_csv(path, index=False, compression="gzip")
    (folder / "RELEASE_v1.txt").write_text("# Release note for ogbn-arxiv\n")
    return folder


def paper_text(node: int) -> tuple[str, str]:
    return f"Paper {node}: graphs", f"We study graph {node}. It has citations."


def write_titleabs(path: Path, num_nodes: int = 50, skip: tuple[int, ...] = ()) -> Path:
    """OGB's ``titleabs.tsv.gz``: ``paper id<TAB>title<TAB>abstract`` per line, no header, in an
    order unrelated to node ids, with a paper the graph lacks and a first and a last line whose
    first field is not an id (other loaders drop the real file's first and last rows)."""
    import gzip

    lines = ["titles and abstracts\t\t"]
    ids = paper_ids(num_nodes)
    for node in reversed(range(num_nodes)):
        if node in skip:
            continue
        title, abstract = paper_text(node)
        lines.append(f"{ids[node]}\t{title}\t{abstract}")
    lines.insert(3, "123\tA paper outside the graph\tIts abstract.")
    lines.append("")  # the trailing empty line
    lines.append("end of file")
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


# -- ogbg-molhiv: molecules featurised by OGB's own smiles2graph -----------------------------------

SMILES = (
    "CCO", "c1ccccc1", "CC(=O)O", "CCN(CC)CC", "c1ccncc1", "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
    "OC1=CC=CC=C1", "C1CCCCC1", "CC#N", "O=C=O", "CC(=O)Oc1ccccc1C(=O)O", "C[C@H](N)C(=O)O",
    "ClC(Cl)Cl", "CCOC(=O)C", "c1ccc2ccccc2c1", "CN1C=NC2=C1C(=O)N(C(=O)N2C)C",
)


def write_tiny_molecules(root: Path, name: str = "ogbg-molhiv", num_graphs: int = 40, num_tasks: int = 1, missing: float = 0.0, seed: int = 0) -> Path:
    """ogbg-molhiv's (or ogbg-molpcba's) extracted layout with ``num_graphs`` small molecules
    featurised by ``ogb.utils.smiles2graph`` (OGB's own 9 atom / 3 bond integer features), each
    bond stored once (OGB adds the reverse edges), ``num_tasks`` binary labels of which a share
    ``missing`` is left empty (NaN, as in molpcba), and a scaffold-split folder. Task 0's label
    is the graph index modulo 2 and is never missing."""
    from ogb.utils import smiles2graph

    rng = np.random.default_rng(seed)
    folder = root / name.replace("-", "_")
    edges, edge_feats, node_feats, nodes, bonds = [], [], [], [], []
    for index in range(num_graphs):
        graph = smiles2graph(SMILES[index % len(SMILES)])
        edges.append(graph["edge_index"][:, ::2].T)
        edge_feats.append(graph["edge_feat"][::2])
        node_feats.append(graph["node_feat"])
        nodes.append(graph["num_nodes"])
        bonds.append(graph["edge_index"].shape[1] // 2)
    _csv(folder / "raw" / "edge.csv.gz", np.concatenate(edges))
    _csv(folder / "raw" / "edge-feat.csv.gz", np.concatenate(edge_feats))
    _csv(folder / "raw" / "node-feat.csv.gz", np.concatenate(node_feats))
    labels = rng.integers(0, 2, size=(num_graphs, num_tasks)).astype(float)
    labels[:, 0] = np.arange(num_graphs) % 2
    if missing:
        holes = rng.random((num_graphs, num_tasks)) < missing
        holes[:, 0] = False
        labels[holes] = np.nan
        _csv(folder / "raw" / "graph-label.csv.gz", labels)
    else:
        _csv(folder / "raw" / "graph-label.csv.gz", labels.astype(np.int64))
    _csv(folder / "raw" / "num-node-list.csv.gz", np.array(nodes).reshape(-1, 1))
    _csv(folder / "raw" / "num-edge-list.csv.gz", np.array(bonds).reshape(-1, 1))
    order = rng.permutation(num_graphs)
    a, b = int(0.6 * num_graphs), int(0.8 * num_graphs)
    for part, index in (("train", order[:a]), ("valid", order[a:b]), ("test", order[b:])):
        _csv(folder / "split" / "scaffold" / f"{part}.csv.gz", np.sort(index).reshape(-1, 1))
    (folder / "RELEASE_v1.txt").write_text(f"# Release note for {name}\n")
    return folder


def write_tiny_molhiv(root: Path, num_graphs: int = 40, seed: int = 0) -> Path:
    return write_tiny_molecules(root, "ogbg-molhiv", num_graphs, seed=seed)


def write_tiny_molpcba(root: Path, num_graphs: int = 40, seed: int = 0) -> Path:
    """128 tasks, about 30% of the labels missing."""
    return write_tiny_molecules(root, "ogbg-molpcba", num_graphs, num_tasks=128, missing=0.3, seed=seed)


# -- ogbl-ddi and ogbl-collab: training graph in raw/, edge split in split/<type>/*.pt ------------


def _pairs(rng, num_nodes: int, count: int, taken: set) -> np.ndarray:
    pairs = []
    while len(pairs) < count:
        a, b = (int(v) for v in rng.integers(0, num_nodes, size=2))
        key = (min(a, b), max(a, b))
        if a != b and key not in taken:
            taken.add(key)
            pairs.append(key)
    return np.array(pairs, dtype=np.int64)


def write_tiny_link(root: Path, name: str = "ogbl-ddi", num_nodes: int = 40, train: int = 120, valid: int = 15, test: int = 15, negatives: int = 30, seed: int = 0, numpy_split: bool = False) -> Path:
    """ogbl-ddi (split ``target``) or ogbl-collab (split ``time``, 128-d node features, edge
    weights and years) in OGB's extracted layout: ``raw/edge.csv.gz`` holds the training edges
    once each (OGB adds the reverse ones), ``split/<type>/{train,valid,test}.pt`` are
    ``torch.save``'d dicts: ``edge`` (n, 2) everywhere and ``edge_neg`` (m, 2) for valid and
    test (collab adds ``weight`` and ``year``). ``numpy_split`` stores numpy arrays instead of
    tensors (OGB's loader converts either)."""
    import torch

    rng = np.random.default_rng(seed)
    collab = name == "ogbl-collab"
    folder = root / name.replace("-", "_")
    taken: set = set()
    parts = {"train": _pairs(rng, num_nodes, train, taken), "valid": _pairs(rng, num_nodes, valid, taken), "test": _pairs(rng, num_nodes, test, taken)}
    _csv(folder / "raw" / "edge.csv.gz", parts["train"])
    _csv(folder / "raw" / "num-node-list.csv.gz", [[num_nodes]])
    _csv(folder / "raw" / "num-edge-list.csv.gz", [[train]])
    years = {part: rng.integers(2010, 2018, size=len(edges)) if part == "train" else np.full(len(edges), 2018 if part == "valid" else 2019) for part, edges in parts.items()}
    weights = {part: rng.integers(1, 4, size=len(edges)) for part, edges in parts.items()}
    if collab:
        _csv(folder / "raw" / "node-feat.csv.gz", rng.normal(size=(num_nodes, 128)).round(4).astype(np.float32))
        _csv(folder / "raw" / "edge_weight.csv.gz", weights["train"].reshape(-1, 1))
        _csv(folder / "raw" / "edge_year.csv.gz", years["train"].reshape(-1, 1))
    split = "time" if collab else "target"
    (folder / "split" / split).mkdir(parents=True, exist_ok=True)
    convert = (lambda a: a) if numpy_split else torch.from_numpy
    for part, edges in parts.items():
        content = {"edge": convert(edges)}
        if part != "train":
            content["edge_neg"] = convert(_pairs(rng, num_nodes, negatives, set(taken)))
        if collab:
            content["weight"], content["year"] = convert(weights[part]), convert(years[part])
        torch.save(content, folder / "split" / split / f"{part}.pt")
    (folder / "RELEASE_v1.txt").write_text(f"# Release note for {name}\n")
    return folder


def asins(num_nodes: int = 50) -> list[str]:
    return [f"B{node:09d}" for node in range(num_nodes)]


def write_tiny_products(root: Path, num_nodes: int = 50, num_edges: int = 150, features: int = 100, seed: int = 0) -> Path:
    """ogbn-products' extracted layout: undirected co-purchases, 100-d features, 47 classes, the
    sales-rank split, and ``mapping/nodeidx2asin.csv.gz``."""
    rng = np.random.default_rng(seed)
    folder = root / "ogbn_products"
    _csv(folder / "raw" / "edge.csv.gz", rng.integers(0, num_nodes, size=(num_edges, 2)))
    _csv(folder / "raw" / "node-feat.csv.gz", rng.normal(size=(num_nodes, features)).round(4).astype(np.float32))
    _csv(folder / "raw" / "node-label.csv.gz", rng.integers(0, 47, size=(num_nodes, 1)))
    _csv(folder / "raw" / "num-node-list.csv.gz", [[num_nodes]])
    _csv(folder / "raw" / "num-edge-list.csv.gz", [[num_edges]])
    order = rng.permutation(num_nodes)
    for name, part in (("train", order[:20]), ("valid", order[20:30]), ("test", order[30:])):
        _csv(folder / "split" / "sales_ranking" / f"{name}.csv.gz", np.sort(part).reshape(-1, 1))
    path = folder / "mapping" / "nodeidx2asin.csv.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"node idx": range(num_nodes), "asin": asins(num_nodes)}).to_csv(path, index=False, compression="gzip")
    (folder / "RELEASE_v1.txt").write_text("# Release note for ogbn-products\n")
    return folder


def product_text(node: int) -> tuple[str, str]:
    return f"Product {node}", f"A thing that does {node} things."


def write_amazon_texts(folder: Path, num_nodes: int = 50, skip: tuple[int, ...] = ()) -> list[Path]:
    """Amazon-3M's raw ``trn.json.gz`` and ``tst.json.gz``: one JSON object per line with
    ``uid``, ``title``, ``content`` and the extreme-classification targets, the products split
    between the two files in no particular order, with products the graph lacks and one
    malformed line."""
    import gzip
    import json

    ids = asins(num_nodes)
    lines = {"trn.json.gz": [], "tst.json.gz": []}
    for node in reversed(range(num_nodes)):
        if node in skip:
            continue
        title, content = product_text(node)
        record = {"uid": ids[node], "title": title, "content": content, "target_ind": [node % 7], "target_rel": [1.0]}
        lines["trn.json.gz" if node % 3 else "tst.json.gz"].append(json.dumps(record))
    lines["trn.json.gz"].append(json.dumps({"uid": "B999999999", "title": "not in the graph", "content": ""}))
    lines["tst.json.gz"].append("{not json")
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in lines.items():
        with gzip.open(folder / name, "wt", encoding="utf-8") as handle:
            handle.write("\n".join(content) + "\n")
        paths.append(folder / name)
    return paths
