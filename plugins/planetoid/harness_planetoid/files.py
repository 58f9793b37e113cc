"""Where the Planetoid raw files are looked for under the data root, what is said when some are
missing, and the opt-in fetch from the Planetoid repository (torch-free), through the dataset
toolkit (:mod:`harness.data.table`).

The eight ``ind.<name>.*`` files of a dataset are looked for in ``<root>/planetoid/raw``,
``<root>/<PyG name>/raw`` (``Cora``, ``CiteSeer``, ``PubMed``), ``<root>/<name>/raw`` and the
data root itself. With the dataset parameter ``download: true``, HARNESS_OFFLINE unset and a
data root that is not read-only, the missing files are fetched from the Planetoid GitHub
repository, pinned to a commit, into ``<root>/<PyG name>/raw`` (bounded reads; each file checked
against its sha256 from the ``sha256`` column of ``datasets.csv``, eight digests in the order of
:data:`SUFFIXES`; a failure removes whatever the attempt wrote). The preflight does that fetch
once, before any cell runs; otherwise nothing is ever written into the data root.
"""

from __future__ import annotations

from pathlib import Path

from harness.data.table import DatasetFiles, DatasetTable, RemoteFile, read_table

SUFFIXES = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")
PYG_NAMES = {"cora": "Cora", "citeseer": "CiteSeer", "pubmed": "PubMed"}
#: Where ``download: true`` fetches from: the files PyG's ``Planetoid`` downloads, at the
#: repository's last commit (the one the shared data was copied from).
BASE_URL = "https://raw.githubusercontent.com/kimiyoung/planetoid/af6abf468a772cc055bec88c52e4d6f51b7c37e3/data"
#: Seconds each read of a download may wait (the whole file gets ten times that).
TIMEOUT = 20.0
TABLE = DatasetTable("harness_planetoid", layouts=("planetoid/raw", "{Name}/raw", "{name}/raw", "."), target="{Name}/raw", timeout=TIMEOUT)
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


def _pins() -> dict[str, str]:
    pins = {}
    for row in read_table("harness_planetoid"):
        digests = row["sha256"].split("|")
        if len(digests) != len(SUFFIXES) or not all(digests):
            raise ValueError(f"harness_planetoid/datasets.csv: {row['name']} needs {len(SUFFIXES)} sha256 digests, in the order {'|'.join(SUFFIXES)}")
        pins.update(zip(required_files(row["name"]), digests))
    return pins


#: The sha256 of every file at :data:`BASE_URL`, by file name.
PINS = _pins()


def files(name: str) -> DatasetFiles:
    names = required_files(name)
    return TABLE.files(
        name,
        fields={"Name": PYG_NAMES[name]},
        files=names,
        remotes=[RemoteFile(file, f"{BASE_URL}/{file}", PINS[file]) for file in names],  # read now: tests point them elsewhere
        notes={file: f"The shared data snapshot lacks {file} ({why})." for file, why in SHARED_SNAPSHOT_GAPS.items()},
        source="github.com/kimiyoung/planetoid (data/)",
    )


def ensure_raw_dir(root: str, name: str, download: bool = False) -> Path:
    """The folder holding the dataset's eight files; fetched first when ``download`` is true and
    fetching is allowed. Raises :class:`DatasetUnavailable` saying what to place where."""
    return files(name).require(root, download)[0].parent


def check(name: str, root: str, params: dict) -> list[str]:
    """The preflight: nothing when the files are there (after fetching them, with
    ``download: true``), else what to place where."""
    return files(name).problems(root, bool(params.get("download", False)))
