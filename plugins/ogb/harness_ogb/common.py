"""What the OGB loaders share: making sure the files are there, a writable folder for OGB's
processed file, and torch.load's safe mode for OGB's files.

OGB's dataset classes (Hu et al., NeurIPS 2020) write ``processed/geometric_data_processed.pt``
inside the dataset folder. Where that folder is read-only (the shared data folder), they would
fail, or, for root, write into it regardless; here OGB is pointed instead at a folder in the
harness cache whose entries link back to the read-only files, so that only ``processed/`` is new.

OGB reads its processed file and its link splits with ``torch.load``'s default, which is
``weights_only=True`` since torch 2.6. Rather than turning that safe mode off, the few plain
classes involved are allow-listed: PyG's data containers and, for split files saved from numpy,
numpy's array reconstruction.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch

from harness_ogb.fetch import ensure_dataset, read_only

PROCESSED = "processed"


def pyg_data_classes() -> list:
    from torch_geometric.data.data import DataEdgeAttr, DataTensorAttr
    from torch_geometric.data.storage import GlobalStorage

    return [DataEdgeAttr, DataTensorAttr, GlobalStorage]


def numpy_array_classes() -> list:
    import numpy as np

    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct
    dtypes = {type(np.dtype(t)) for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.float16, np.float32, np.float64)}
    return [_reconstruct, np.ndarray, np.dtype, *dtypes]


def safe_loading():
    """A context in which OGB's ``torch.load`` calls keep ``weights_only=True``."""
    return torch.serialization.safe_globals([*pyg_data_classes(), *numpy_array_classes()])


def prepare(root: str, name: str, download: bool = False) -> str:
    """The root to hand to OGB's dataset class: ``root`` itself, or a cache folder mirroring a
    read-only dataset folder. With ``download``, fetches a missing dataset first; raises
    :class:`harness.download.DatasetUnavailable` naming the files when they are still missing."""
    folder = ensure_dataset(name, root, download=download)
    if read_only(folder) is None:
        return root
    return str(_mirror(folder))


def _mirror(folder: Path) -> Path:
    from filelock import FileLock

    from harness.cache import current

    source = Path(os.path.abspath(folder))
    key = hashlib.sha256(str(source).encode()).hexdigest()[:24]
    base = current().root / "ogb-mirrors" / key
    mirror = base / source.name
    base.mkdir(parents=True, exist_ok=True)
    with FileLock(str(base) + ".lock"):
        mirror.mkdir(exist_ok=True)
        for entry in source.iterdir():
            if entry.name == PROCESSED:
                continue  # OGB's processed file is rebuilt here, never read from the shared folder
            link = mirror / entry.name
            if not link.is_symlink() and not link.exists():
                link.symlink_to(entry, target_is_directory=entry.is_dir())
    return base


def read_mapping(path: Path, column: str, num_nodes: int) -> list[str]:
    """``column`` of an OGB ``mapping/nodeidx2*.csv.gz`` (header ``node idx,<column>``) as a list
    indexed by node id."""
    import csv
    import gzip

    values: list[str | None] = [None] * num_nodes
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not {"node idx", column} <= set(reader.fieldnames or []):
            raise ValueError(f"{path} needs the columns 'node idx' and {column!r}; it has {reader.fieldnames}")
        for row in reader:
            node = int(row["node idx"])
            if not 0 <= node < num_nodes:
                raise ValueError(f"{path}: node idx {node} is outside 0..{num_nodes - 1}")
            values[node] = row[column].strip()
    absent = [node for node, value in enumerate(values) if value is None]
    if absent:
        raise ValueError(f"{path} maps {num_nodes - len(absent)} of {num_nodes} nodes (first unmapped: {absent[:5]})")
    return values
