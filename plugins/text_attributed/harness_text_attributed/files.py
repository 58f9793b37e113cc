"""Where the CiteSeer text files are looked for under the data root (through the dataset
toolkit, :mod:`harness.data.table`), and their parsers (torch-free, so that the preflight check
stays cheap).

Source format (TAPE's ``dataset/CiteSeer-Orig``):

- ``citeseer_texts.txt`` (or the same gzip-compressed, ``citeseer_texts.txt.gz``): UTF-8, three
  lines per paper: the CiteSeer paper id, the text (title, then abstract or opening text, on one
  line), the class label (``Agents``, ``AI``, ``DB``, ``IR``, ``ML`` or ``HCI``).
- ``citeseer.cites``: one citation per line, ``<cited id>\\t<citing id>`` (LINQS format).

With ``download: true`` both are fetched from TAPE's repository at the last commit that had them
(sha256 checked) into ``<root>/citeseer_tag_tape``, the text gzip-compressed as in the shared
data; otherwise nothing is written.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from harness.data.table import DatasetFiles, DatasetTable

NAME = "citeseer-tag"
TEXTS = "citeseer_texts.txt.gz"  # also accepted uncompressed
TABLE = DatasetTable("harness_text_attributed", layouts=("{folder}", "citeseer-tag", "CiteSeer-Orig", "."))
CLASSES = ("Agents", "AI", "DB", "IR", "ML", "HCI")


def files() -> DatasetFiles:
    return TABLE.files(NAME, alternatives={TEXTS: (TEXTS.removesuffix(".gz"),)}, source="TAPE's dataset/CiteSeer-Orig")


def require_files(root: str, download: bool = False) -> tuple[Path, Path]:
    """``(texts, cites)``, fetched first with ``download``; else :class:`DatasetUnavailable`."""
    texts, cites = files().require(root, download)
    return texts, cites


def check(name: str, root: str, params: dict) -> list[str]:
    return files().problems(root, bool(params.get("download", False)))


def read_texts(path: str | Path) -> tuple[list[str], list[str], list[str]]:
    """Paper ids, texts and class labels, in file order."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        lines = handle.read().split("\n")
    if lines and lines[-1] == "" and len(lines) % 3 == 1:
        lines.pop()  # a trailing newline
    if len(lines) % 3:
        raise ValueError(f"{path}: {len(lines)} lines; expected three per paper (id, text, label)")
    ids, texts, labels = lines[0::3], lines[1::3], lines[2::3]
    unknown = sorted(set(labels) - set(CLASSES))
    if unknown:
        raise ValueError(f"{path}: unknown class labels {unknown[:5]}; expected {list(CLASSES)}")
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: paper ids are not unique")
    return ids, texts, labels


def read_cites(path: str | Path) -> list[tuple[str, str]]:
    """``(cited, citing)`` pairs, in file order."""
    pairs = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            line = line.rstrip("\r\n")
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) != 2:
                raise ValueError(f"{path}:{number}: expected '<cited id>\\t<citing id>', got {line!r}")
            pairs.append((parts[0], parts[1]))
    return pairs
