"""The file formats of the link-prediction data (numpy and scipy only; no torch), each read into
an undirected simple :class:`~harness.data.readers.Graph` (self-loops dropped, repeated and
reverse pairs merged, the counts in ``Graph.report``). The ``format`` column of ``datasets.csv``
names one of:

- ``edgelist``, ``mat``, ``tsv-pairs``: the dataset toolkit's
  :func:`~harness.data.readers.read_edgelist` (whitespace-separated, ``ids`` ``0-based``,
  ``1-based`` or ``relabel``), :func:`~harness.data.readers.read_mat` (adjacency under ``key``)
  and :func:`~harness.data.readers.read_tsv_pairs` (BioSNAP's pairs of names);
- ``string-actions``: SHS27k, i.e. STRING's action table (header with ``item_id_a``,
  ``item_id_b`` and ``mode``) plus a sequence dictionary (``protein_id<TAB>sequence``, no header),
  see :func:`read_string_actions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from harness.data.readers import FormatError, Graph, read_edgelist, read_mat, read_text, read_tsv_pairs, simple_undirected

#: STRING's seven action modes, in the order GNN-PPI (Lv et al. 2021) numbers them.
INTERACTION_TYPES = ("reaction", "binding", "ptmod", "activation", "inhibition", "catalysis", "expression")


@dataclass
class ProteinGraph:
    """SHS27k: the interaction graph, one sequence per node, and per edge a 0/1 vector of the
    interaction types (columns in :data:`INTERACTION_TYPES`), aligned with ``graph.edges``."""

    graph: Graph
    sequences: list[str]
    types: np.ndarray  # (m, 7) uint8


def read_sequences(path: Path) -> tuple[list[str], list[str]]:
    ids, sequences = [], []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
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
    lines = read_text(actions).splitlines()
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
