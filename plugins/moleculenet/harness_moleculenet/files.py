"""Where the SMILES files are looked for under the data root (through the dataset toolkit,
:mod:`harness.data.table`), how they are read, and the preflight checks. Torch-free (``harness
list`` and ``harness run``'s preflight import it).

Layouts tried, in order, for a dataset whose table row names folder ``F`` and file ``N``:
``<root>/F/N`` (the shared data folder's layout), ``<root>/moleculenet/N``, ``<root>/N``.
With ``download: true`` a missing file is fetched from the row's ``url`` (chemprop's curated
CSVs and MOSES's corpus, each pinned by the sha256 of the file the shared data holds) into
``<root>/F/N``; otherwise the data root is only read, never written.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import math
from pathlib import Path

from harness.data.table import DatasetTable

PACKAGE = "harness_moleculenet"
TABLE = DatasetTable(PACKAGE, layouts=("{folder}", "moleculenet", "."))


def table() -> dict[str, dict[str, str]]:
    """The rows of ``datasets.csv`` by dataset name."""
    return TABLE.rows


def require_file(root: str, name: str, download: bool = False) -> Path:
    """The dataset's file, fetched first with ``download``; else :class:`DatasetUnavailable`."""
    (path,) = TABLE.require(root, name, download)
    return path


def check(name: str, root: str, params: dict) -> list[str]:
    """Preflight of a dataset or the corpus: its file is there (fetched first with
    ``download``), and a split drawn per seed is a seeded kind."""
    problems = []
    if params.get("split_choice") is not None and params.get("split", "scaffold") == "scaffold":
        problems.append(f"the grid's split is {params['split_choice'].protocol}, but {name}'s split is 'scaffold', which has no seed: give it split: random or random-scaffold")
    return problems + TABLE.check(name, root, params)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _open_text(path: Path):
    if str(path).endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _label(text: str) -> float:
    text = text.strip()
    return float(text) if text else math.nan


def read_smiles_csv(path: Path) -> tuple[list[str], list[str], list[list[float]]]:
    """chemprop's format: a header, the SMILES in the first column (whatever its name), one
    column per task; an empty cell is a missing label (NaN). Returns (smiles, task names,
    labels per row)."""
    with _open_text(path) as handle:
        reader = csv.reader(handle)
        header = next(reader)
        smiles, labels = [], []
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise ValueError(f"{path}: line {line} has {len(row)} fields, the header has {len(header)}")
            smiles.append(row[0].strip())
            labels.append([_label(cell) for cell in row[1:]])
    return smiles, header[1:], labels


def count_rows_and_tasks(path: Path) -> tuple[int, int]:
    """Data rows (header excluded) and task columns of a SMILES CSV, without parsing labels."""
    with _open_text(path) as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return sum(1 for row in reader if row), len(header) - 1


def read_smiles_column(path: Path, limit: int = 0) -> list[str]:
    """The SMILES of a one-column file with a header (MOSES): the first ``limit`` (0 = all)."""
    smiles = []
    with _open_text(path) as handle:
        next(handle)
        for line in handle:
            line = line.strip()
            if line:
                smiles.append(line.split(",")[0])
                if limit and len(smiles) >= limit:
                    break
    return smiles
