"""OGB node property prediction (Hu et al., NeurIPS 2020) through ``ogb.nodeproppred``'s
``PygNodePropPredDataset``, its official split and its ``Evaluator``.

What differs from OGB's loader and examples, and why:

- ogbn-proteins has no node features; as in OGB's examples each node gets the mean (or sum) of
  its incident edges' 8 features. With ``sequences: require`` nodes also carry their amino-acid
  sequence (``task.raw['sequence']``) from a STRING FASTA (:mod:`harness_ogb.raw`); sequences
  are data beyond OGB's features, so the record is flagged as using external data.
- ogbn-arxiv is a directed citation graph; as in OGB's examples messages pass both ways. With
  ``text`` (``auto`` where the files exist, ``require``) nodes carry title and abstract
  (``task.raw['text']``) from OGB's separate ``titleabs.tsv.gz``; external data, flagged.
- ogbn-products: with ``text`` (``auto`` where the files exist, ``require``) nodes carry each
  product's title and description (``task.raw['text']``) from Amazon-3M's raw release joined
  through OGB's ASIN mapping; external data, flagged. Nothing of it is fetched.
- Files: fetched through :mod:`harness_ogb.fetch` instead of OGB's own downloader; OGB's
  processed file goes to the harness cache when the dataset folder is read-only
  (:mod:`harness_ogb.common`).
"""

from __future__ import annotations

import os

import torch

from harness.task import Task
from harness_ogb.common import prepare, read_mapping, safe_loading
from harness_ogb.evaluators import OgbEvaluator
from harness_ogb.files import (
    DEFAULT_FASTA,
    PAPER_MAPPING,
    PRODUCT_MAPPING,
    PROTEIN_MAPPING,
    TABLE,
    dataset_dir,
    find_amazon_texts,
    find_file,
    find_titleabs,
    product_text_problems,
    sequence_problems,
    text_problems,
)

__all__ = ["OgbEvaluator", "arxiv", "load", "products", "proteins"]
#: Bump when the parsing of text or sequences changes (enters the sequence cache key).
RAW_VERSION = "1"


def _edge_features_to_nodes(data, reduce: str) -> torch.Tensor:
    from torch_geometric.utils import scatter

    return scatter(data.edge_attr, data.edge_index[1], dim=0, dim_size=data.num_nodes, reduce=reduce)


def load(root: str, name: str, node_features: str = "edge-mean", download: bool = False) -> Task:
    """The task of one ogbn-* dataset, without raw attributes."""
    from ogb.nodeproppred import PygNodePropPredDataset

    with safe_loading():
        dataset = PygNodePropPredDataset(name=name, root=prepare(root, name, download))
        split = dataset.get_idx_split()
    data = dataset[0]
    if name == "ogbn-proteins":
        data.x = _edge_features_to_nodes(data, "mean" if node_features == "edge-mean" else "sum")
        y = data.y.float()
    else:
        y = data.y.view(-1)
    if name == "ogbn-arxiv":  # a directed citation graph; OGB's examples message-pass both ways
        from torch_geometric.utils import to_undirected

        data.edge_index = to_undirected(data.edge_index, num_nodes=data.num_nodes)
    items = {"train": split["train"], "valid": split["valid"], "test": split["test"]}
    labels = {part: y[index] for part, index in items.items()}
    num_outputs = y.size(1) if y.dim() == 2 else int(TABLE[name]["classes"])
    del data.y
    row = TABLE[name]
    return Task(name=name, task_type=row["task_type"], metric=row["metric"], num_outputs=num_outputs, data=data, items=items, labels=labels, evaluator=OgbEvaluator(name), info={})


def _file_key(path) -> dict:
    stat = os.stat(path)
    return {"path": os.path.abspath(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _sequences_found(fasta, protein_ids: list[str]) -> dict[str, str]:
    """The FASTA's sequences of the graph's proteins, read once and kept in the harness cache
    (STRING's full FASTA takes minutes to scan)."""
    from harness.cache import current
    from harness_ogb.raw import read_fasta

    key = {"kind": "ogb-protein-sequences", "fasta": _file_key(fasta), "ids": len(protein_ids), "ids_hash": _hash_ids(protein_ids), "version": RAW_VERSION}
    return current().get_or_build(key, lambda: read_fasta(fasta, protein_ids))


def _hash_ids(ids: list[str]) -> str:
    import hashlib

    return hashlib.sha256("\n".join(ids).encode()).hexdigest()


def proteins(root: str, node_features: str = "edge-mean", sequences: str = "none", fasta: str = DEFAULT_FASTA, missing_sequences: str = "empty", clean_sequences: bool = True, download: bool = False) -> Task:
    task = load(root, "ogbn-proteins", node_features, download)
    if sequences == "none":
        return task
    absent = sequence_problems(root, fasta)
    if absent:
        raise FileNotFoundError(f"ogbn-proteins with sequences: 'require' lacks {'; '.join(absent)}")
    from harness_ogb.raw import node_sequences

    folder = dataset_dir(root, "ogbn-proteins")
    fasta_path = find_file(root, "ogbn-proteins", fasta)
    protein_ids = read_mapping(folder / PROTEIN_MAPPING, "protein id", task.data.num_nodes)
    found = _sequences_found(fasta_path, protein_ids)
    values, info = node_sequences(protein_ids, found, missing_sequences, clean_sequences, fasta_path)
    task.raw = {**task.raw, "sequence": values}
    task.info = {**task.info, **info, "sequences": True, "fasta": str(fasta_path), "external_data": True}
    return task


def _with_text(task: Task, text: str, absent: list[str], read) -> Task:
    """``task`` with ``raw['text']`` from ``read()`` -> (texts, info), unless ``text`` is 'none';
    files listed in ``absent`` stop a 'require' and leave an 'auto' without text."""
    if text == "none":
        return task
    if absent:
        if text == "require":
            raise FileNotFoundError(f"{task.name} with text: 'require' lacks {'; '.join(absent)}")
        task.info = {**task.info, "text": False, "text_unavailable": f"missing {'; '.join(absent)}"}
        return task
    texts, info = read()
    task.raw = {**task.raw, "text": texts}
    task.info = {**task.info, **info, "text": True, "external_data": True}
    return task


def arxiv(root: str, text: str = "auto", download: bool = False) -> Task:
    task = load(root, "ogbn-arxiv", download=download)
    if text == "require" and download and find_titleabs(root) is None:
        from harness_ogb.fetch import ensure_titleabs

        ensure_titleabs(root, download=True)

    def read():
        from harness_ogb.raw import node_texts

        titleabs = find_titleabs(root)
        paper_ids = read_mapping(dataset_dir(root, "ogbn-arxiv") / PAPER_MAPPING, "paper id", task.data.num_nodes)
        texts, info = node_texts(paper_ids, titleabs)
        return texts, {**info, "titleabs": str(titleabs)}

    return _with_text(task, text, [] if text == "none" else text_problems(root), read)


def products(root: str, text: str = "auto", download: bool = False) -> Task:
    task = load(root, "ogbn-products", download=download)

    def read():
        from harness_ogb.raw import product_texts

        sources = find_amazon_texts(root)
        asins = read_mapping(dataset_dir(root, "ogbn-products") / PRODUCT_MAPPING, "asin", task.data.num_nodes)
        texts, info = product_texts(asins, sources)
        return texts, {**info, "amazon_texts": [str(p) for p in sources]}

    return _with_text(task, text, [] if text == "none" else product_text_problems(root), read)
