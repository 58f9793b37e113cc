"""A tiny BBBP in chemprop's format: 20 ring systems with 1-3 substituted variants each; its
scaffold split puts 4 molecules in valid and 4 in test, each part with both labels."""

from __future__ import annotations

import csv
from pathlib import Path

_RINGS = [
    "c1ccccc1", "c1ccncc1", "c1ccoc1", "c1ccsc1", "C1CCCCC1", "C1CCCC1", "C1CCNCC1", "C1CCOCC1",
    "c1ccc2ccccc2c1", "c1ccc2ncccc2c1", "C1CC1", "C1CCC1", "c1cn[nH]c1", "c1ncncn1",
    "c1ccc(-c2ccccc2)cc1", "c1ccc2[nH]ccc2c1", "C1CCC(=O)N1", "C1COCCN1", "c1cscn1", "c1cocn1",
]
_SUBSTITUENTS = ["C", "O", "N", "Cl", "CC(=O)O", "CCN"]
TINY_SMILES = [_SUBSTITUENTS[(i + j) % len(_SUBSTITUENTS)] + ring for i, ring in enumerate(_RINGS) for j in range(1 + i % 3)]
TINY_LABELS = [(row // 2) % 2 for row in range(len(TINY_SMILES))]


def write_csv(path: Path, header, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_tiny_bbbp(root: Path) -> Path:
    """``<root>/moleculenet_chemprop/bbbp.csv`` with :data:`TINY_SMILES`; returns ``root``."""
    write_csv(root / "moleculenet_chemprop" / "bbbp.csv", ["smiles", "p_np"], zip(TINY_SMILES, TINY_LABELS))
    return root
