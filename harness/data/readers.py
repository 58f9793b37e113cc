"""Readers for the standard file formats graph datasets are published in.

Every reader takes a *source*: a path (``str`` or :class:`~pathlib.Path`) or a
:class:`ZipMember` (one file inside a zip archive, read without unpacking it). Compressed
sources are recognised by their first bytes, whatever their name: gzip (``.gz``) and xz
(``.xz``, as in ``.npz.xz``) are decompressed in memory; nothing is ever written.

Formats:

- edge lists (:func:`read_edgelist`): one edge per line, whitespace-separated by default (spaces
  or tabs, ``\\n`` or ``\\r\\n``) or split on ``delimiter`` (``","`` for CSV), optionally after one
  header line; the first two fields are node ids and further fields (weights) are ignored; blank
  lines and lines starting with ``#`` or ``%`` (SNAP and Network Repository headers) are skipped.
  Ids are ``0-based``, ``1-based`` (the number of nodes is the largest id, so unused ids stay as
  isolated nodes), or ``relabel`` (the ids that occur, in increasing order, become 0..n-1).
- MATLAB adjacency matrices (:func:`read_mat`): a square matrix (sparse or dense) under ``key``;
  every non-zero entry is an edge (weights are dropped), and the matrix is symmetrised.
- tab-separated pairs of names after one header line (:func:`read_tsv_pairs`, BioSNAP's
  format); names are relabelled 0..n-1 in sorted order.
- ``.npz`` arrays (:func:`read_npz`, always with ``allow_pickle=False``) and the attributed graphs
  of ``shchur/gnn-benchmark`` stored in them (:func:`read_npz_graph`): a CSR adjacency
  (``adj_data``, ``adj_indices``, ``adj_indptr``, ``adj_shape``) or a dense ``adj_matrix``, CSR
  (``attr_*``) or dense (``attr_matrix``) node features, one class id per node in ``labels``.
- the TU text format of the TUDataset collection (:func:`read_tu`, :func:`tu_file_names`).

Edge-list readers return a :class:`Graph`, undirected and simple: self-loops are dropped, each
pair is stored once as ``u < v`` (a line ``v u`` after ``u v``, or a repeated line, is merged),
and the counts of what was dropped are kept in ``Graph.report``. These readers need numpy and
scipy only; :func:`edge_index`, :func:`read_npz_graph` and :func:`read_tu` build tensors and
import torch when called.
"""

from __future__ import annotations

import gzip
import io
import lzma
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Union

import numpy as np

COMMENT = ("#", "%")
ID_STYLES = ("0-based", "1-based", "relabel")


class FormatError(ValueError):
    """A data file does not have the format its dataset declares."""


@dataclass(frozen=True)
class ZipMember:
    """The file ``member`` inside the zip archive at ``archive`` (read in place, never unpacked)."""

    archive: Path
    member: str

    def __str__(self) -> str:
        return f"{self.archive}:{self.member}"


Source = Union[str, Path, ZipMember]


def zip_members(archive: str | Path) -> list[str]:
    """The names of the files in a zip archive (folders left out), in archive order. Raises
    :class:`FormatError` for a file that is no zip archive or holds an unsafe path."""
    try:
        with zipfile.ZipFile(archive) as handle:
            names = handle.namelist()
    except zipfile.BadZipFile as error:
        raise FormatError(f"{archive}: not a zip archive ({error})") from None
    for name in names:
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts:
            raise FormatError(f"{archive}: holds an unsafe path {name!r}")
    return [name for name in names if not name.endswith("/")]


def read_bytes(source: Source) -> bytes:
    """The content of ``source``, gzip or xz data decompressed (recognised by their magic bytes)."""
    if isinstance(source, ZipMember):
        if source.member not in zip_members(source.archive):
            raise FormatError(f"{source.archive}: no member {source.member!r}")
        with zipfile.ZipFile(source.archive) as handle:
            raw = handle.read(source.member)
    else:
        raw = Path(source).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        return gzip.decompress(raw)
    if raw[:6] == b"\xfd7zXZ\x00":
        return lzma.decompress(raw)
    return raw


def read_text(source: Source) -> str:
    """The UTF-8 text of ``source`` (decompressed as :func:`read_bytes` does)."""
    return read_bytes(source).decode("utf-8")


# -- edge lists ----------------------------------------------------------------------------


@dataclass
class Graph:
    """An undirected simple graph: ``edges`` (m, 2) int64 with ``u < v``, unique, sorted."""

    edges: np.ndarray
    num_nodes: int
    node_ids: list[str] | None = None  # the original identifier of each node, where relabelled
    report: dict = field(default_factory=dict)


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


def edge_index(edges: np.ndarray, num_nodes: int):
    """A PyG ``edge_index`` (a ``(2, 2m)`` long tensor) holding both directions of every
    undirected pair in ``edges`` (``(m, 2)``), sorted by source then target, without duplicates."""
    import torch
    from torch_geometric.utils import coalesce

    pairs = torch.from_numpy(np.ascontiguousarray(np.asarray(edges, dtype=np.int64).reshape(-1, 2).T))
    return coalesce(torch.cat([pairs, pairs.flip(0)], dim=1), num_nodes=num_nodes)


def relabel(tokens: np.ndarray) -> tuple[np.ndarray, list[str]]:
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


def read_edgelist(source: Source, ids: str, delimiter: str | None = None, header: bool = False) -> Graph:
    """An edge list (see the module docstring): whitespace-separated unless ``delimiter`` is
    given, the first line skipped with ``header``."""
    if ids not in ID_STYLES:
        raise ValueError(f"ids must be '0-based', '1-based' or 'relabel', got {ids!r}")
    tokens = []
    lines = read_text(source).splitlines()
    for number, line in enumerate(lines[1:] if header else lines, start=2 if header else 1):
        fields = [f.strip() for f in line.split(delimiter)] if delimiter else line.split()
        if not any(fields) or fields[0].startswith(COMMENT):
            continue
        if len(fields) < 2:
            raise FormatError(f"{source}:{number}: expected two node ids, got {line.strip()!r}")
        if ids != "relabel" and not (fields[0].isdigit() and fields[1].isdigit()):
            raise FormatError(f"{source}:{number}: node ids must be non-negative integers, got {line.strip()!r}")
        tokens.append(fields[:2])
    if not tokens:
        raise FormatError(f"{source}: no edge found")
    if ids == "relabel":
        pairs, names = relabel(np.array(tokens))
        return simple_undirected(pairs, len(names), names, format="edgelist")
    pairs = np.array(tokens).astype(np.int64)
    if ids == "1-based":
        if pairs.min() < 1:
            raise FormatError(f"{source}: declared 1-based but holds node id 0")
        pairs -= 1
    return simple_undirected(pairs, int(pairs.max()) + 1, format="edgelist")


def read_mat(source: Source, key: str) -> Graph:
    """A square adjacency matrix stored under ``key`` in a MATLAB file."""
    import scipy.io
    import scipy.sparse

    handle = io.BytesIO(read_bytes(source))
    available = [name for name, _, _ in scipy.io.whosmat(handle)]
    if key not in available:
        raise FormatError(f"{source}: no variable {key!r}; the file holds {available}")
    handle.seek(0)
    matrix = scipy.io.loadmat(handle, variable_names=[key])[key]
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise FormatError(f"{source}: {key!r} must be a square adjacency matrix, got shape {matrix.shape}")
    coo = scipy.sparse.coo_matrix(matrix)
    coo.eliminate_zeros()
    stored = np.stack([coo.row, coo.col], axis=1)
    symmetric = (coo != coo.T).nnz == 0
    return simple_undirected(stored, matrix.shape[0], format="mat", stored_entries=int(coo.nnz), symmetric=bool(symmetric))


def read_tsv_pairs(source: Source) -> Graph:
    """Tab-separated pairs of names after one header line (BioSNAP's ``Drug1<TAB>Drug2``)."""
    lines = read_text(source).splitlines()
    if not lines:
        raise FormatError(f"{source}: empty file")
    names = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip() or line.startswith(COMMENT):
            continue
        fields = line.strip().split("\t")
        if len(fields) != 2 or not all(fields):
            raise FormatError(f"{source}:{number}: expected two tab-separated names, got {line!r}")
        names.append(fields)
    if not names:
        raise FormatError(f"{source}: no pair after the header line")
    pairs, node_ids = relabel(np.array(names))
    return simple_undirected(pairs, len(node_ids), node_ids, format="tsv-pairs", header=lines[0])


# -- npz -----------------------------------------------------------------------------------


def read_npz(source: Source, keys: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` (``.npz.xz``, ``.npz.gz``, or a zip member), only ``keys`` where
    given (those present). Object arrays are never unpickled: reading one raises
    :class:`FormatError` unless ``keys`` leaves it out."""
    with np.load(io.BytesIO(read_bytes(source)), allow_pickle=False) as archive:
        wanted = archive.files if keys is None else [key for key in keys if key in archive.files]
        try:
            return {key: archive[key] for key in wanted}
        except ValueError as error:  # an object array needs pickle
            raise FormatError(f"{source}: {error}") from None


def npz_matrix(arrays: dict[str, np.ndarray], prefix: str, source: Source = "the file"):
    """The scipy CSR matrix ``<prefix>_data/_indices/_indptr/_shape`` (sparse) or
    ``<prefix>_matrix`` (dense) of :func:`read_npz`'s arrays."""
    import scipy.sparse as sp

    if f"{prefix}_data" in arrays:
        parts = [arrays.get(f"{prefix}_{part}") for part in ("data", "indices", "indptr", "shape")]
        if any(part is None for part in parts):
            raise FormatError(f"{source}: {prefix}_data needs {prefix}_indices, {prefix}_indptr and {prefix}_shape beside it")
        data, indices, indptr, shape = parts
        return sp.csr_matrix((data, indices, indptr), shape=tuple(int(s) for s in shape))
    if f"{prefix}_matrix" in arrays:
        return sp.csr_matrix(arrays[f"{prefix}_matrix"])
    raise FormatError(f"{source}: neither {prefix}_data/{prefix}_indices/{prefix}_indptr/{prefix}_shape (sparse) nor {prefix}_matrix (dense)")


NPZ_GRAPH_ARRAYS = ("adj_data", "adj_indices", "adj_indptr", "adj_shape", "adj_matrix", "attr_data", "attr_indices", "attr_indptr", "attr_shape", "attr_matrix", "labels")


def read_npz_graph(source: Source, binary_features: bool = True, sparse: bool = False):
    """The attributed graph of a gnn-benchmark style ``.npz`` as a PyG ``Data`` (``x``,
    ``edge_index``, ``y``), as PyG's ``read_npz`` builds it: self-loops removed, both directions of
    every edge, duplicates merged, features dense float and binarised (every positive entry
    becomes 1) unless ``binary_features`` is false. With ``sparse``, features that are mostly
    zeros stay a CSR tensor (:func:`harness.sparse_features.from_scipy`). Only the arrays named in
    :data:`NPZ_GRAPH_ARRAYS` are read (a pickled ``class_names`` is never unpickled)."""
    import torch
    from torch_geometric.data import Data

    from harness.sparse_features import from_scipy

    arrays = read_npz(source, NPZ_GRAPH_ARRAYS)
    adjacency = npz_matrix(arrays, "adj", source).tocoo()
    features = npz_matrix(arrays, "attr", source)
    if "labels" not in arrays or arrays["labels"].ndim != 1:
        raise FormatError(f"{source}: needs 'labels', one class id per node")
    num_nodes = adjacency.shape[0]
    if adjacency.shape != (num_nodes, num_nodes) or features.shape[0] != num_nodes or len(arrays["labels"]) != num_nodes:
        raise FormatError(f"{source}: adjacency {adjacency.shape}, features {features.shape} and {len(arrays['labels'])} labels disagree on the number of nodes")
    pairs = np.stack([adjacency.row, adjacency.col], axis=1).astype(np.int64)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    features = features.tocsr().astype(np.float32)
    if binary_features:
        features.data[features.data > 0] = 1
    x = from_scipy(features) if sparse else torch.from_numpy(features.toarray())
    y = torch.from_numpy(arrays["labels"].astype(np.int64))
    return Data(x=x, edge_index=edge_index(pairs, num_nodes), y=y)


# -- TU ------------------------------------------------------------------------------------

TU_PARTS = ("A", "graph_indicator", "graph_labels", "node_labels")


def tu_file_names(prefix: str, edge_labels: bool = False, node_attributes: bool = False) -> list[str]:
    """The ``<prefix>_*.txt`` files :func:`read_tu` needs: adjacency, graph indicator, graph and
    node labels, plus the edge labels and node attributes where they are read."""
    parts = [*TU_PARTS, *(("edge_labels",) if edge_labels else ()), *(("node_attributes",) if node_attributes else ())]
    return [f"{prefix}_{part}.txt" for part in parts]


def read_tu(folder: str | Path, prefix: str, use_node_attributes: bool = False):
    """The graphs of a TU dataset (``<folder>/<prefix>_*.txt``) as PyG ``Data`` without labels,
    and their class ids (a long tensor, TU's labels mapped to 0..C-1 in sorted order), read by
    PyG's ``read_tu_data``: node labels one-hot as ``x`` (after the node attributes, which are
    kept only with ``use_node_attributes``), edge labels and attributes as ``edge_attr``,
    self-loops removed and duplicate edges merged."""
    from torch_geometric.data import Data
    from torch_geometric.io import read_tu_data

    data, slices, sizes = read_tu_data(str(folder), prefix)
    x = data.x
    if x is None or "x" not in slices:
        raise FormatError(f"{folder}: {prefix} has neither node labels nor node attributes")
    if not use_node_attributes:
        x = x[:, sizes["num_node_attributes"] :]
    nodes, edges = slices["x"].tolist(), slices["edge_index"].tolist()
    edge_attr = data.edge_attr if sizes["num_edge_attributes"] + sizes["num_edge_labels"] else None
    graphs = []
    for i in range(len(nodes) - 1):
        graph = Data(x=x[nodes[i] : nodes[i + 1]], edge_index=data.edge_index[:, edges[i] : edges[i + 1]], num_nodes=nodes[i + 1] - nodes[i])
        if edge_attr is not None:
            graph.edge_attr = edge_attr[edges[i] : edges[i + 1]]
        graphs.append(graph)
    return graphs, data.y
