"""The on-disk layout OGB's loaders expect, and the preflight check, without torch, pandas or OGB.

The layout is the one of OGB's extracted archives (Hu et al., "Open Graph Benchmark: Datasets for
Machine Learning on Graphs", NeurIPS 2020; github.com/snap-stanford/ogb): ``<data root>/<name
with underscores>/`` (or OGB's ``..._pyg`` variant) holding ``RELEASE_v1.txt``, ``raw/*.csv.gz``
and ``split/<split>/{train,valid,test}.csv.gz`` (``.pt`` for link prediction). The dataset facts
come from ``datasets.csv`` (the published statistics and OGB's ``master.csv`` URL).

What differs from OGB: OGB's loaders download a missing dataset themselves, with no timeout, and
ask on the terminal before large downloads. Here the preflight names the files to place and the
folder before any cell runs; with the dataset parameter ``download: true`` it first fetches OGB's
archive through :mod:`harness_ogb.fetch` (bounded time, staged folder, writable data roots only,
never with ``HARNESS_OFFLINE=1``). The raw text of ogbn-arxiv and
the protein sequences of ogbn-proteins are not part of OGB's archives; their files are checked
here when a grid asks for them (``text: require``, ``sequences: require``).
"""

from __future__ import annotations

from pathlib import Path

from harness.metadata import read_table

#: One row per dataset, as read from ``datasets.csv``.
TABLE = {row["name"]: row for row in read_table("harness_ogb")}
#: Columns that describe the archive's layout, not the dataset: kept out of ``harness list``.
LAYOUT_COLUMNS = ("download_name", "raw")
RELEASE_FILE = "RELEASE_v1.txt"

PAPER_MAPPING = "mapping/nodeidx2paperid.csv.gz"
TITLEABS = "titleabs.tsv.gz"
TITLEABS_URL = "https://snap.stanford.edu/ogb/data/misc/ogbn_arxiv/titleabs.tsv.gz"
PRODUCT_MAPPING = "mapping/nodeidx2asin.csv.gz"
#: Amazon-3M's raw texts (The Extreme Classification Repository): not on any fetchable URL
AMAZON_TEXTS = ("trn.json.gz", "tst.json.gz")
AMAZON_SOURCE = "Amazon-3M's raw text release (trn.json.gz, tst.json.gz) from The Extreme Classification Repository (manikvarma.org/downloads/XC/XMLRepository.html)"
PROTEIN_MAPPING = "mapping/nodeidx2proteinid.csv.gz"
DEFAULT_FASTA = "protein.sequences.v11.5.fa.gz"
STRING_DOWNLOADS = "string-db.org/cgi/download, version 11.5, 'protein.sequences' of all organisms"


def level(name: str) -> str:
    """``node``, ``graph`` or ``link``, from OGB's name prefix."""
    return {"ogbn": "node", "ogbg": "graph", "ogbl": "link"}[name.split("-")[0]]


def folder_name(name: str) -> str:
    return name.replace("-", "_")


def required_files(name: str) -> list[str]:
    row = TABLE[name]
    extension = "pt" if level(name) == "link" else "csv.gz"
    split = [f"split/{row['split']}/{part}.{extension}" for part in ("train", "valid", "test")]
    return [RELEASE_FILE, *(f"raw/{f}" for f in row["raw"].split("|")), *split]


def dataset_dir(root: str, name: str) -> Path:
    """Where OGB's loader looks: ``<root>/<folder>_pyg`` when it exists (OGB's convention for an
    earlier PyG download), otherwise ``<root>/<folder>``."""
    base = Path(root) / folder_name(name)
    pyg = Path(root) / f"{folder_name(name)}_pyg"
    return pyg if pyg.is_dir() else base


def missing_files(root: str, name: str) -> list[str]:
    folder = dataset_dir(root, name)
    return [f for f in required_files(name) if not (folder / f).is_file()]


def find_file(root: str, name: str, filename: str) -> Path | None:
    """``filename`` in the dataset folder, else in the data root, else None."""
    for folder in (dataset_dir(root, name), Path(root)):
        if (folder / filename).is_file():
            return folder / filename
    return None


def find_titleabs(root: str) -> Path | None:
    """OGB's ``titleabs.tsv.gz`` (or an unpacked ``titleabs.tsv``) beside ogbn-arxiv or in the
    data root."""
    for filename in (TITLEABS, TITLEABS.removesuffix(".gz")):
        found = find_file(root, "ogbn-arxiv", filename)
        if found is not None:
            return found
    return None


def text_problems(root: str) -> list[str]:
    """The text files of ogbn-arxiv that are absent, each with where it was looked for."""
    folder = dataset_dir(root, "ogbn-arxiv")
    problems = []
    if not (folder / PAPER_MAPPING).is_file():
        problems.append(f"{PAPER_MAPPING} under {folder}")
    if find_titleabs(root) is None:
        problems.append(f"{TITLEABS} under {folder} or {root}")
    return problems


def find_amazon_texts(root: str) -> list[Path] | None:
    """Amazon-3M's two JSON-lines files (or unpacked ``.json``) beside ogbn-products or in the
    data root; None unless both are found."""
    found = []
    for filename in AMAZON_TEXTS:
        path = find_file(root, "ogbn-products", filename) or find_file(root, "ogbn-products", filename.removesuffix(".gz"))
        if path is None:
            return None
        found.append(path)
    return found


def product_text_problems(root: str) -> list[str]:
    """The text files of ogbn-products that are absent, each with where it was looked for."""
    folder = dataset_dir(root, "ogbn-products")
    problems = []
    if not (folder / PRODUCT_MAPPING).is_file():
        problems.append(f"{PRODUCT_MAPPING} under {folder}")
    if find_amazon_texts(root) is None:
        problems.append(f"{' and '.join(AMAZON_TEXTS)} under {folder} or {root}")
    return problems


def sequence_problems(root: str, fasta: str) -> list[str]:
    """The sequence files of ogbn-proteins that are absent, each with where it was looked for."""
    folder = dataset_dir(root, "ogbn-proteins")
    problems = []
    if not (folder / PROTEIN_MAPPING).is_file():
        problems.append(f"{PROTEIN_MAPPING} under {folder}")
    if find_file(root, "ogbn-proteins", fasta) is None:
        problems.append(f"{fasta} under {folder} or {root}")
    return problems


def _ogb_class(name: str) -> str:
    return {
        "node": "ogb.nodeproppred import PygNodePropPredDataset",
        "graph": "ogb.graphproppred import PygGraphPropPredDataset",
        "link": "ogb.linkproppred import PygLinkPropPredDataset",
    }[level(name)]


def missing_message(name: str, root: str, missing: list[str], reason: str) -> str:
    folder = dataset_dir(root, name)
    row = TABLE[name]
    return (
        f"{name} is not in the data root {root!r}: {len(missing)} file(s) missing under {folder}: "
        f"{', '.join(missing)}. {reason} Place OGB's extracted archive there ({row['url']}: its "
        f"{row['download_name']}/ folder becomes {folder}), or download it with OGB on a machine with "
        f"internet (python -c \"from {_ogb_class(name)} as D; D('{name}', root='DATA_ROOT')\") and "
        f"copy its {folder_name(name)}/ folder into the data root (--data-root or HARNESS_DATA_ROOT)."
    )


def check(name: str, root: str, params: dict) -> list[str]:
    """The preflight: fetch what is missing where that is allowed, and describe what is still
    missing (one message per problem)."""
    from harness.download import DatasetUnavailable

    from harness_ogb import fetch

    problems = []
    missing = missing_files(root, name)
    if missing:
        try:
            fetch.ensure_dataset(name, root, download=bool(params.get("download")))
        except DatasetUnavailable as error:
            return [missing_message(name, root, missing, fetch.reason(error))]
    if name == "ogbn-arxiv" and params.get("text") == "require":
        reason = ""
        if find_titleabs(root) is None:
            try:
                fetch.ensure_titleabs(root, download=bool(params.get("download")))
            except DatasetUnavailable as error:
                reason = fetch.reason(error) + " "
        absent = text_problems(root)
        if absent:
            problems.append(
                f"ogbn-arxiv with text: 'require' lacks {len(absent)} file(s): {'; '.join(absent)}. "
                f"{reason}{PAPER_MAPPING} comes with OGB's arxiv archive; {TITLEABS} is OGB's separate "
                f"download {TITLEABS_URL}. Place it in the dataset folder or the data root, or set "
                f"text: auto (text where the files exist) or text: none."
            )
    if name == "ogbn-products" and params.get("text") == "require":
        absent = product_text_problems(root)
        if absent:
            problems.append(
                f"ogbn-products with text: 'require' lacks {len(absent)} file(s): {'; '.join(absent)}. "
                f"{PRODUCT_MAPPING} comes with OGB's products archive; the texts are {AMAZON_SOURCE}, "
                f"not downloaded by the harness. Place them in the dataset folder or the data root, or set "
                f"text: auto (text where the files exist) or text: none."
            )
    if name == "ogbn-proteins" and params.get("sequences") == "require":
        fasta = params.get("fasta") or DEFAULT_FASTA
        absent = sequence_problems(root, fasta)
        if absent:
            problems.append(
                f"ogbn-proteins with sequences: 'require' lacks {len(absent)} file(s): {'; '.join(absent)}. "
                f"{PROTEIN_MAPPING} comes with OGB's proteins archive; the FASTA is STRING's protein "
                f"sequence file ({STRING_DOWNLOADS}), not downloaded by the harness. Place it in the "
                f"dataset folder or the data root, or set sequences: none."
            )
    return problems
