"""A tiny CiteSeer text-attributed graph in the exact source format (TAPE's
``dataset/CiteSeer-Orig``): ``citeseer_texts.txt(.gz)``, three lines per paper (id, text, label),
and ``citeseer.cites``, ``<cited>\\t<citing>`` per line."""

from __future__ import annotations

import gzip
from pathlib import Path

CLASSES = ("Agents", "AI", "DB", "IR", "ML", "HCI")

# (paper id, text, label): string and numeric ids, a tab inside a text, non-ASCII characters.
PAPERS = [
    (f"{'p' if i % 3 else ''}{1000 + i}{'x' if i % 3 else ''}", f"Title {i} on {CLASSES[i % 6].lower()}\tabstract: graphs, caf\u00e9 #{i} {'agents ' * (i % 4)}", CLASSES[i % 6])
    for i in range(20)
]

# (cited, citing): a self-citation, a pair cited both ways, a duplicate line, and ends that
# are not papers of the text file (dropped).
CITES = [(PAPERS[(i * 7) % 20][0], PAPERS[(i * 3 + 1) % 20][0]) for i in range(20)] + [
    (PAPERS[0][0], PAPERS[0][0]),
    (PAPERS[1][0], PAPERS[2][0]),
    (PAPERS[2][0], PAPERS[1][0]),
    (PAPERS[1][0], PAPERS[2][0]),
    ("missing-paper", PAPERS[3][0]),
    (PAPERS[4][0], "100157"),
]


def write_citeseer_tag(folder: Path, compressed: bool = True, papers=PAPERS, cites=CITES) -> Path:
    """Write the two files into ``folder`` (created); returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    text = "\n".join(line for paper in papers for line in paper)  # no trailing newline, as the source
    if compressed:
        with gzip.open(folder / "citeseer_texts.txt.gz", "wt", encoding="utf-8", newline="") as handle:
            handle.write(text)
    else:
        (folder / "citeseer_texts.txt").write_text(text, encoding="utf-8", newline="")
    (folder / "citeseer.cites").write_text("".join(f"{a}\t{b}\n" for a, b in cites), encoding="utf-8")
    return folder


def expected_undirected_edges(papers=PAPERS, cites=CITES) -> set[tuple[int, int]]:
    """The undirected edges (i < j) the loader should build: both ends known, no self-loops."""
    index = {paper[0]: i for i, paper in enumerate(papers)}
    edges = set()
    for a, b in cites:
        if a in index and b in index and a != b:
            edges.add((min(index[a], index[b]), max(index[a], index[b])))
    return edges
