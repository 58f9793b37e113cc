"""Readers for the file formats of the link-prediction data, and the cleaning every graph gets
(numpy and scipy only; no torch).

Every reader returns a :class:`Graph`: undirected and simple. Self-loops are dropped, each pair
is stored once as ``u < v`` (a line ``v u`` after ``u v``, or a repeated line, is merged), and
the counts of what was dropped are kept in ``Graph.report``. Formats:

- ``edgelist``: one edge per line, whitespace-separated (spaces or tabs, ``\\n`` or ``\\r\\n``),
  the first two fields are node ids and further fields (weights) are ignored; blank lines and
  lines starting with ``#`` or ``%`` (SNAP and Network Repository headers) are skipped; gzip
  files are recognised by their magic bytes. Ids are ``0-based``, ``1-based`` (the number of
  nodes is the largest id, so unused ids stay as isolated nodes), or ``relabel`` (the ids that
  occur, in increasing order, become 0..n-1).
- ``mat``: a MATLAB file holding a square adjacency matrix (sparse or dense) under ``key``;
  every non-zero entry is an edge (weights are dropped), and the matrix is symmetrised.
- ``tsv-pairs``: BioSNAP's tab-separated pairs of names with one header line; names are
  relabelled 0..n-1 in sorted order.
- ``string-actions``: SHS27k, i.e. STRING's action table (header with ``item_id_a``,
  ``item_id_b`` and ``mode``) plus a sequence dictionary (``protein_id<TAB>sequence``, no header),
  see :func:`read_string_actions`.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

#: STRING's seven action modes, in the order GNN-PPI (Lv et al. 2021) numbers them.
INTERACTION_TYPES = ("reaction", "binding", "ptmod", "activation", "inhibition", "catalysis", "expression")
COMMENT = ("#", "%")


class FormatError(ValueError):
    """A data file does not have the format its dataset declares."""


@dataclass
class Graph:
    """An undirected simple graph: ``edges`` (m, 2) int64 with ``u < v``, unique, sorted."""

    edges: np.ndarray
    num_nodes: int
    node_ids: list[str] | None = None  # the original identifier of each node, where relabelled
    report: dict = field(default_factory=dict)


def _text(path: Path) -> str:
    with open(path, "rb") as handle:
        raw = handle.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8")


def simple_undirected(pairs: np.ndarray, num_nodes: int, node_ids: list[str] | None = None, **report) -> Graph:
    """Drop self-loops, merge repeats and reverse pairs; count what was dropped."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if pairs.size and (pairs.min() < 0 or pairs.max() >= num_nodes):
        raise FormatError(f"node ids outside 0..{num_nodes - 1}")
    loops = pairs[:, 0] == pairs[:, 1]
    kept = np.sort(pairs[~loops], axis=1)
    edges = np.unique(kept, axis=0) if len(kept) else np.zeros((0, 2), dtype=np.int64)
    degree = np.bincount(edges.reshape(-1), minlength=num_nodes)
    report.update(
        pairs_read=int(len(pairs)),
        self_loops_dropped=int(loops.sum()),
        duplicates_merged=int(len(kept) - len(edges)),
        isolated_nodes=int((degree == 0).sum()),
    )
    return Graph(edges=edges.astype(np.int64), num_nodes=int(num_nodes), node_ids=node_ids, report=report)


def _relabel(tokens: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Map names to 0..n-1 in increasing order (numerical where every name is an integer)."""
    names = np.unique(tokens)
    try:
        order = np.argsort(names.astype(np.int64), kind="stable")
    except ValueError:
        order = np.arange(len(names))
    names = names[order]
    lookup = {name: i for i, name in enumerate(names.tolist())}
    index = np.fromiter((lookup[t] for t in tokens.reshape(-1).tolist()), dtype=np.int64, count=tokens.size)
    return index.reshape(tokens.shape), [str(n) for n in names.tolist()]


def read_edgelist(path: Path, ids: str) -> Graph:
    """A whitespace-separated edge list (see the module docstring)."""
    if ids not in ("0-based", "1-based", "relabel"):
        raise ValueError(f"ids must be '0-based', '1-based' or 'relabel', got {ids!r}")
    tokens = []
    for number, line in enumerate(_text(path).splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0].startswith(COMMENT):
            continue
        if len(fields) < 2:
            raise FormatError(f"{path}:{number}: expected two node ids, got {line.strip()!r}")
        if ids != "relabel" and not (fields[0].isdigit() and fields[1].isdigit()):
            raise FormatError(f"{path}:{number}: node ids must be non-negative integers, got {line.strip()!r}")
        tokens.append(fields[:2])
    if not tokens:
        raise FormatError(f"{path}: no edge found")
    if ids == "relabel":
        pairs, names = _relabel(np.array(tokens))
        return simple_undirected(pairs, len(names), names, format="edgelist")
    pairs = np.array(tokens).astype(np.int64)
    if ids == "1-based":
        if pairs.min() < 1:
            raise FormatError(f"{path}: declared 1-based but holds node id 0")
        pairs -= 1
    return simple_undirected(pairs, int(pairs.max()) + 1, format="edgelist")


def read_mat(path: Path, key: str) -> Graph:
    """A square adjacency matrix stored under ``key`` in a MATLAB file."""
    import scipy.io
    import scipy.sparse

    available = [name for name, _, _ in scipy.io.whosmat(str(path))]
    if key not in available:
        raise FormatError(f"{path}: no variable {key!r}; the file holds {available}")
    matrix = scipy.io.loadmat(str(path), variable_names=[key])[key]
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise FormatError(f"{path}: {key!r} must be a square adjacency matrix, got shape {matrix.shape}")
    coo = scipy.sparse.coo_matrix(matrix)
    coo.eliminate_zeros()
    stored = np.stack([coo.row, coo.col], axis=1)
    symmetric = (coo != coo.T).nnz == 0
    return simple_undirected(stored, matrix.shape[0], format="mat", stored_entries=int(coo.nnz), symmetric=bool(symmetric))


def read_tsv_pairs(path: Path) -> Graph:
    """Tab-separated pairs of names after one header line (BioSNAP's ``Drug1<TAB>Drug2``)."""
    lines = _text(path).splitlines()
    if not lines:
        raise FormatError(f"{path}: empty file")
    names = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip() or line.startswith(COMMENT):
            continue
        fields = line.strip().split("\t")
        if len(fields) != 2 or not all(fields):
            raise FormatError(f"{path}:{number}: expected two tab-separated names, got {line!r}")
        names.append(fields)
    if not names:
        raise FormatError(f"{path}: no pair after the header line")
    pairs, node_ids = _relabel(np.array(names))
    return simple_undirected(pairs, len(node_ids), node_ids, format="tsv-pairs", header=lines[0])


@dataclass
class ProteinGraph:
    """SHS27k: the interaction graph, one sequence per node, and per edge a 0/1 vector of the
    interaction types (columns in :data:`INTERACTION_TYPES`), aligned with ``graph.edges``."""

    graph: Graph
    sequences: list[str]
    types: np.ndarray  # (m, 7) uint8


def read_sequences(path: Path) -> tuple[list[str], list[str]]:
    ids, sequences = [], []
    for number, line in enumerate(_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.rstrip("\r\n").split("\t")
        if len(fields) != 2 or not fields[0] or not fields[1].strip():
            raise FormatError(f"{path}:{number}: expected 'protein_id<TAB>sequence', got {line[:80]!r}")
        ids.append(fields[0])
        sequences.append(fields[1].strip())
    if len(set(ids)) != len(ids):
        raise FormatError(f"{path}: a protein id occurs twice")
    if not ids:
        raise FormatError(f"{path}: no sequence")
    return ids, sequences


def read_string_actions(actions: Path, sequences: Path) -> ProteinGraph:
    """STRING's action table grouped by unordered protein pair.

    Nodes are the proteins of the sequence dictionary in its order (each has its sequence);
    a protein in the action table but not in the dictionary is an error. Each row is one
    (pair, mode, direction); a pair's label is the set of modes over all its rows.
    """
    ids, seqs = read_sequences(sequences)
    index = {p: i for i, p in enumerate(ids)}
    lines = _text(actions).splitlines()
    if not lines:
        raise FormatError(f"{actions}: empty file")
    header = lines[0].split("\t")
    needed = ("item_id_a", "item_id_b", "mode")
    if not set(needed) <= set(header):
        raise FormatError(f"{actions}: the header must name the columns {list(needed)}, got {header}")
    a_col, b_col, mode_col = (header.index(c) for c in needed)
    type_index = {t: i for i, t in enumerate(INTERACTION_TYPES)}
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.rstrip("\r\n").split("\t")
        if len(fields) != len(header):
            raise FormatError(f"{actions}:{number}: expected {len(header)} tab-separated fields, got {len(fields)}")
        a, b, mode = fields[a_col], fields[b_col], fields[mode_col]
        for protein in (a, b):
            if protein not in index:
                raise FormatError(f"{actions}:{number}: protein {protein!r} has no sequence in {sequences.name}")
        if mode not in type_index:
            raise FormatError(f"{actions}:{number}: unknown interaction type {mode!r}; known: {list(INTERACTION_TYPES)}")
        rows.append((index[a], index[b], type_index[mode]))
    if not rows:
        raise FormatError(f"{actions}: no interaction row")
    table = np.array(rows, dtype=np.int64)
    graph = simple_undirected(table[:, :2], len(ids), list(ids), format="string-actions", action_rows=len(rows))
    # Label each unordered pair with every mode seen on any of its rows (self-pairs dropped).
    n = graph.num_nodes
    keep = table[:, 0] != table[:, 1]
    pair = np.sort(table[keep, :2], axis=1)
    row_key = pair[:, 0] * n + pair[:, 1]
    edge_key = graph.edges[:, 0] * n + graph.edges[:, 1]
    position = np.searchsorted(edge_key, row_key)
    types = np.zeros((len(graph.edges), len(INTERACTION_TYPES)), dtype=np.uint8)
    types[position, table[keep, 2]] = 1
    return ProteinGraph(graph=graph, sequences=seqs, types=types)


def read(paths: Sequence[Path], format: str, ids: str = "", key: str = "") -> Graph | ProteinGraph:
    """Dispatch on the declared format (see the module docstring)."""
    if format == "edgelist":
        return read_edgelist(paths[0], ids)
    if format == "mat":
        return read_mat(paths[0], key)
    if format == "tsv-pairs":
        return read_tsv_pairs(paths[0])
    if format == "string-actions":
        return read_string_actions(paths[0], paths[1])
    raise ValueError(f"unknown format {format!r}; known: edgelist, mat, tsv-pairs, string-actions")
