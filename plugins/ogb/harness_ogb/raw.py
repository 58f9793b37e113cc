"""Raw node attributes that OGB's archives point to but do not hold: ogbn-arxiv's titles and
abstracts, ogbn-products' product texts and ogbn-proteins' amino-acid sequences. Torch-free.

- ogbn-arxiv (Hu et al., NeurIPS 2020): ``mapping/nodeidx2paperid.csv.gz`` gives each node's MAG
  paper id; OGB's separate ``titleabs.tsv.gz`` has one line per paper, ``paper id<TAB>title<TAB>
  abstract``, without a header. A node's text is its title, a newline, and its abstract. The file
  is split on tabs without any quoting rules; lines whose first field is not an integer id are
  skipped and counted (other loaders drop the real file's first and last rows), and a leading
  byte-order mark is ignored. A paper without a line gets the empty string; the count is reported.
- ogbn-products: ``mapping/nodeidx2asin.csv.gz`` gives each node's Amazon product id (ASIN);
  the texts are those of Amazon-3M's raw release (The Extreme Classification Repository, Bhatia
  et al.), ``trn.json.gz`` and ``tst.json.gz``, one JSON object per line with ``uid`` (the ASIN),
  ``title`` and ``content``, which GLEM, SimTeG and LD join the same way. A node's text is its
  title, a newline, and its content; lines that are not JSON objects with a ``uid`` are skipped
  and counted, a product without a line gets the empty string (counted).
- ogbn-proteins: ``mapping/nodeidx2proteinid.csv.gz`` gives each node's STRING protein id
  (``<taxon>.<protein>``); sequences come from STRING's protein FASTA, version 11.5 in the
  official code of Label Deconvolution (Shi et al., TPAMI 2024), whose header lines carry the
  same ids. As there, ``J`` (ambiguous Leu/Ile) becomes ``X`` and ``*`` is removed
  (``clean=True``). Truncation to 512 tokens is left to the encoder's tokenizer, which knows its
  special tokens. Ids missing from the FASTA are a policy: ``empty`` (an empty sequence, counted)
  or ``fail`` (an error naming them). LD's own script indexes the FASTA directly and would stop
  with a KeyError on the first missing id.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Iterable, Iterator


def _open_text(path: Path):
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="")
    return open(path, encoding="utf-8", errors="replace", newline="")


def _paper_id(field: str) -> int | None:
    try:
        return int(field.strip().lstrip("\ufeff"))
    except ValueError:
        return None


def read_titleabs(path: Path, wanted: Iterable[int]) -> tuple[dict[int, tuple[str, str]], int]:
    """(paper id -> (title, abstract)) for the ``wanted`` ids, and the number of lines skipped
    because they had no integer paper id."""
    wanted = set(wanted)
    found: dict[int, tuple[str, str]] = {}
    skipped = 0
    with _open_text(path) as handle:
        for line in handle:
            fields = line.rstrip("\r\n").split("\t", 2)
            paper = _paper_id(fields[0])
            if paper is None:
                skipped += bool(line.strip())
                continue
            if paper in wanted:
                title = fields[1].strip() if len(fields) > 1 else ""
                abstract = fields[2].strip() if len(fields) > 2 else ""
                found[paper] = (title, abstract)
    return found, skipped


def node_texts(paper_ids: list[str], titleabs: Path) -> tuple[list[str], dict]:
    """Title + newline + abstract per node, in node order, and what happened on the way."""
    ids = [int(p) for p in paper_ids]
    found, skipped = read_titleabs(titleabs, ids)
    texts, missing = [], 0
    for paper in ids:
        if paper in found:
            title, abstract = found[paper]
            texts.append(f"{title}\n{abstract}" if abstract else title)
        else:
            texts.append("")
            missing += 1
    return texts, {"text_missing": missing, "titleabs_lines_skipped": skipped}


def read_amazon_texts(paths: Iterable[Path], wanted: Iterable[str]) -> tuple[dict[str, tuple[str, str]], int]:
    """(ASIN -> (title, content)) for the ``wanted`` ASINs from Amazon-3M's JSON-lines files, and
    the number of non-empty lines skipped because they were not a JSON object with a ``uid``."""
    wanted = set(wanted)
    found: dict[str, tuple[str, str]] = {}
    skipped = 0
    for path in paths:
        with _open_text(path) as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                    uid = str(item["uid"])
                except (ValueError, KeyError, TypeError):
                    skipped += 1
                    continue
                if uid in wanted:
                    found[uid] = (str(item.get("title") or "").strip(), str(item.get("content") or "").strip())
    return found, skipped


def product_texts(asins: list[str], paths: Iterable[Path]) -> tuple[list[str], dict]:
    """Title + newline + content per node, in node order, and what happened on the way."""
    found, skipped = read_amazon_texts(paths, asins)
    texts, missing = [], 0
    for asin in asins:
        title, content = found.get(asin, ("", ""))
        if asin not in found:
            missing += 1
        texts.append(f"{title}\n{content}" if content else title)
    return texts, {"text_missing": missing, "amazon_lines_skipped": skipped}


def fasta_records(path: Path) -> Iterator[tuple[str, str]]:
    """(id, sequence) per record; the id is the header up to the first whitespace, the sequence
    the record's lines joined."""
    header, chunks = None, []
    with _open_text(path) as handle:
        for line in handle:
            line = line.strip()
            if line.startswith(">"):
                if header is not None:
                    yield header, "".join(chunks)
                parts = line[1:].split(maxsplit=1)
                header, chunks = (parts[0] if parts else ""), []
            elif line and header is not None:
                chunks.append(line)
    if header is not None:
        yield header, "".join(chunks)


def read_fasta(path: Path, wanted: Iterable[str]) -> dict[str, str]:
    """The sequences of the ``wanted`` ids only, the same as filtering :func:`fasta_records`;
    STRING's full FASTA holds millions of records, so the others' lines are only skipped."""
    wanted = set(wanted)
    found: dict[str, str] = {}
    current, chunks = None, []
    with _open_text(path) as handle:
        for line in handle:
            if line.startswith(">"):
                if current is not None:
                    found[current] = "".join(chunks)
                parts = line[1:].split(maxsplit=1)
                current = parts[0] if parts and parts[0] in wanted else None
                chunks = []
            elif current is not None:
                chunks.append(line.strip())
    if current is not None:
        found[current] = "".join(chunks)
    return found


def clean_sequence(sequence: str) -> str:
    """As LD's official preprocessing: J -> X, '*' removed."""
    return sequence.replace("J", "X").replace("*", "")


class MissingSequences(ValueError):
    """Protein ids of the graph that the FASTA does not hold (policy ``fail``)."""


def node_sequences(protein_ids: list[str], found: dict[str, str], missing_policy: str, clean: bool, fasta: Path) -> tuple[list[str], dict]:
    absent = [protein for protein in protein_ids if protein not in found]
    if absent and missing_policy == "fail":
        raise MissingSequences(
            f"{len(absent)} of {len(protein_ids)} protein ids of ogbn-proteins are not in {fasta} "
            f"(first: {', '.join(absent[:5])}); use the FASTA of the STRING version OGB was built "
            f"from, or set missing_sequences: empty to give them empty sequences"
        )
    sequences = [found.get(protein, "") for protein in protein_ids]
    if clean:
        sequences = [clean_sequence(s) for s in sequences]
    return sequences, {"sequences_missing": len(absent), "missing_sequences": missing_policy, "sequences_cleaned": clean}
