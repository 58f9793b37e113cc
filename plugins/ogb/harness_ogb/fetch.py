"""Fetching OGB's archives with bounded time into a writable data root; torch-free.

OGB (Hu et al., NeurIPS 2020) publishes each dataset as one zip archive (the ``url`` of its
``master.csv``, copied into ``datasets.csv``) whose single top folder (``download_name``) becomes
``<data root>/<name with underscores>/``. OGB's own ``download_url`` sets no timeout and asks on
the terminal before archives over 1 GB. Here nothing is fetched unless the dataset is given the
parameter ``download: true`` (as the Planetoid plugin does); then :func:`harness.download.download` bounds every read
(and the whole transfer at ten times that), the archive is unpacked with :mod:`zipfile` into a
staging folder that :func:`harness.download.fetch_into` renames into place only when
``RELEASE_v1.txt``, the raw files and the split are all there, so no partial folder survives a
failure. Nothing is fetched into a read-only data root (the shared data folder among them: a
folder without write permission bits counts as read-only even for root), and nothing at all
with ``HARNESS_OFFLINE=1``. A data root that did not exist before a failed fetch is removed again.

ogbn-arxiv's ``titleabs.tsv.gz`` (OGB's separate download of titles and abstracts) is fetched the
same way when a grid requires text and allows downloads. STRING's protein FASTA is never fetched (it is large and
not OGB's); the preflight names it instead.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from harness.download import download as fetch_file
from harness.download import DEFAULT_TIMEOUT, OFFLINE_ENV, CreatedFolders, DatasetUnavailable, fetch_archive, fetch_into, offline, read_only

from harness_ogb.files import TABLE, TITLEABS, TITLEABS_URL, dataset_dir, find_titleabs, missing_message, required_files

#: Seconds each read may wait (the whole transfer may take ten times as long).
TIMEOUT = DEFAULT_TIMEOUT


class FetchFailed(DatasetUnavailable):
    """A dataset could not be fetched; ``reason`` says why in one sentence."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def reason(error: Exception) -> str:
    return getattr(error, "reason", str(error))


def archive_url(name: str) -> str:
    return TABLE[name]["url"]


def _lock(folder: Path):
    from filelock import FileLock

    from harness.cache import current

    locks = current().root / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(str(Path(os.path.abspath(folder))).encode()).hexdigest()[:24]
    return FileLock(str(locks / f"ogb-fetch-{key}.lock"))


def download_hint(url: str) -> str:
    return f"To fetch {url} instead, give the dataset the parameter download: true (needs a writable data root and {OFFLINE_ENV} unset)."


def ensure_dataset(name: str, root: str, download: bool = False, timeout: float | None = None) -> Path:
    """The dataset folder; with ``download``, fetched from OGB's URL when files are missing.
    Raises :class:`FetchFailed` (a :class:`~harness.download.DatasetUnavailable`) naming the
    missing files and the folder."""
    folder = dataset_dir(root, name)
    required = required_files(name)
    missing = [f for f in required if not (folder / f).is_file()]
    if not missing:
        return folder
    url = archive_url(name)
    if not download:
        why = download_hint(url)
        raise FetchFailed(missing_message(name, root, missing, why), why)
    if offline():
        why = f"Offline ({OFFLINE_ENV} is set): {url} was not downloaded although the dataset has download: true."
        raise FetchFailed(missing_message(name, root, missing, why), why)
    denied = read_only(folder)
    if denied:
        why = f"Nothing is downloaded into a read-only data root ({denied}); pass a writable --data-root to fetch {url}."
        raise FetchFailed(missing_message(name, root, missing, why), why)
    failure: dict[str, Exception] = {}

    def fetch(staging: Path) -> None:
        print(f"harness-ogb: fetching {name} from {url} into {folder}", file=sys.stderr, flush=True)
        try:
            fetch_archive(url, TABLE[name]["download_name"], staging, TIMEOUT if timeout is None else timeout)
            lacking = [f for f in required if not (staging / f).is_file()]
            if lacking:
                raise ValueError(f"the archive lacks {', '.join(lacking)}")
        except (OSError, ValueError) as error:  # TimeoutError is an OSError
            failure["error"] = error
            raise
        except Exception as error:  # anything else the archive provokes: still a failed fetch
            failure["error"] = error
            raise ValueError(f"{type(error).__name__}: {error}") from error

    with CreatedFolders(folder.parent), _lock(folder):
        try:
            return fetch_into(name, folder, required, fetch)
        except DatasetUnavailable as error:
            why = f"Downloading {url} failed: {failure.get('error', error)}."
            missing = [f for f in required if not (folder / f).is_file()]
            raise FetchFailed(missing_message(name, root, missing, why), why) from None


def ensure_titleabs(root: str, download: bool = False, timeout: float | None = None) -> Path:
    """OGB's ``titleabs.tsv.gz`` for ogbn-arxiv; with ``download``, fetched into the dataset
    folder when absent."""
    found = find_titleabs(root)
    if found is not None:
        return found
    folder = dataset_dir(root, "ogbn-arxiv")
    target = folder / TITLEABS
    if not download:
        why = download_hint(TITLEABS_URL)
        raise FetchFailed(why, why)
    if offline():
        why = f"Offline ({OFFLINE_ENV} is set): {TITLEABS_URL} was not downloaded."
        raise FetchFailed(why, why)
    if not folder.is_dir():
        why = f"ogbn-arxiv itself is not under {folder}."
        raise FetchFailed(why, why)
    denied = read_only(folder)
    if denied:
        why = f"Nothing is downloaded into a read-only folder ({denied})."
        raise FetchFailed(why, why)
    print(f"harness-ogb: fetching {TITLEABS_URL} into {folder}", file=sys.stderr, flush=True)
    with _lock(target):
        try:
            return fetch_file(TITLEABS_URL, target, timeout=TIMEOUT if timeout is None else timeout)
        except (OSError, TimeoutError, ValueError) as error:
            why = f"Downloading {TITLEABS_URL} failed: {error}."
            raise FetchFailed(why, why) from None
