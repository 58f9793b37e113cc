"""Where the Planetoid raw files are looked for under the data root, what is said when some are
missing, and the opt-in fetch from the Planetoid repository (torch-free).

The eight ``ind.<name>.*`` files of a dataset are looked for in ``<root>/planetoid/raw``,
``<root>/<PyG name>/raw`` (``Cora``, ``CiteSeer``, ``PubMed``), ``<root>/<name>/raw`` and the
data root itself. With the dataset parameter ``download: true``, HARNESS_OFFLINE unset and a
data root that is not read-only, the missing files are fetched from the Planetoid GitHub
repository into ``<root>/<PyG name>/raw`` through :func:`harness.download.ensure_files` (bounded
reads; a failure removes whatever the attempt wrote). The preflight does that fetch once, before
any cell runs; otherwise nothing is ever written into the data root.
"""

from __future__ import annotations

from pathlib import Path

from harness.download import RemoteFile, ensure_files, problems, read_only

SUFFIXES = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")
LAYOUTS = ("planetoid/raw", "{Name}/raw", "{name}/raw", ".")
PYG_NAMES = {"cora": "Cora", "citeseer": "CiteSeer", "pubmed": "PubMed"}
#: Where ``download: true`` fetches from (the files PyG's ``Planetoid`` downloads).
BASE_URL = "https://raw.githubusercontent.com/kimiyoung/planetoid/master/data"
#: Seconds each read of a download may wait (the whole file gets ten times that).
TIMEOUT = 20.0
#: Files the shared data snapshot is known to lack, with what they are (see its PROVENANCE.md).
SHARED_SNAPSHOT_GAPS = {
    "ind.pubmed.allx": (
        "the features of PubMed's 18,717 non-test nodes; 7,578,385 bytes, sha256 "
        "508e538e2abdccdd54c4d3e9f49d638b4af7107d85845f66ddea5a5152658b7e; it was too large for "
        "the snapshot store the shared copy was made from, see planetoid/PROVENANCE.md there"
    ),
}


def required_files(name: str) -> list[str]:
    return [f"ind.{name}.{suffix}" for suffix in SUFFIXES]


def candidate_dirs(root: str, name: str) -> list[Path]:
    """The folders searched, in order (without duplicates)."""
    folders: list[Path] = []
    for layout in LAYOUTS:
        folder = Path(root) / layout.format(name=name, Name=PYG_NAMES[name])
        if folder not in folders:
            folders.append(folder)
    return folders


def _absent(folder: Path, name: str) -> list[str]:
    return [f for f in required_files(name) if not (folder / f).is_file()]


def find_raw_dir(root: str, name: str) -> Path | None:
    """The first folder holding all eight files, or None."""
    return next((folder for folder in candidate_dirs(root, name) if not _absent(folder, name)), None)


def _partial_dir(root: str, name: str) -> tuple[Path, list[str]] | None:
    """The folder holding the most (but not all) of the files, and what it lacks; None when no
    folder holds any."""
    best = None
    for folder in candidate_dirs(root, name):
        absent = _absent(folder, name)
        if len(absent) < len(SUFFIXES) and (best is None or len(absent) < len(best[1])):
            best = (folder, absent)
    return best


def missing_message(root: str, name: str) -> str:
    """What is missing where, and where to put it."""
    partial = _partial_dir(root, name)
    if partial is None:
        return (
            f"Planetoid files for {name!r} not found under data root {root!r}. Place "
            f"{', '.join(required_files(name))} in {Path(root) / 'planetoid' / 'raw'} "
            f"(or {Path(root) / PYG_NAMES[name] / 'raw'}); set the data root with --data-root or HARNESS_DATA_ROOT."
        )
    folder, absent = partial
    text = (
        f"Planetoid {name!r} is incomplete in data root {root!r}: {folder} holds "
        f"{len(SUFFIXES) - len(absent)} of its {len(SUFFIXES)} raw files but not {', '.join(absent)}."
    )
    for file in absent:
        if file in SHARED_SNAPSHOT_GAPS:
            text += f" The shared data snapshot lacks {file} ({SHARED_SNAPSHOT_GAPS[file]})."
    text += f" Put {', '.join(absent)} in {folder}"
    if read_only(folder):
        text += (
            f" — that folder is read-only, so copy its ind.{name}.* files together with "
            f"{', '.join(absent)} into <a writable data root>/planetoid/raw and point --data-root "
            "(or HARNESS_DATA_ROOT) there"
        )
    return text + "."


def remotes(name: str) -> list[RemoteFile]:
    return [RemoteFile(file, f"{BASE_URL}/{file}") for file in required_files(name)]


def ensure_raw_dir(root: str, name: str, download: bool = False) -> Path:
    """The folder holding the dataset's eight files; fetched first when ``download`` is true and
    fetching is allowed. Raises :class:`DatasetUnavailable` saying what to place where."""
    folder = find_raw_dir(root, name)
    if folder is not None:
        return folder
    target = Path(root) / PYG_NAMES[name] / "raw"
    return ensure_files(f"Planetoid {name!r}", target, remotes(name), download, missing_message(root, name), timeout=TIMEOUT)


def check(name: str, root: str, params: dict) -> list[str]:
    """The preflight: nothing when the files are there (after fetching them, with
    ``download: true``), else what to place where."""
    return problems(lambda: ensure_raw_dir(root, name, bool(params.get("download", False))))
