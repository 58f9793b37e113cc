"""Fetching datasets with bounded time and no half-written folders.

Dataset loaders (PyG's, OGB's) set no timeout: against a server that accepts a connection and
never answers they hang. Plugins therefore fetch through :func:`fetch_into`, which bounds every
read and the whole transfer, builds the dataset folder under a temporary name and renames it
into place only when every required file is there. Offline, or with ``HARNESS_OFFLINE=1``, the
error names the dataset, the files and the folder to place them in, within seconds.

Datasets published as loose files (edge lists, CSVs, ``.npz``) describe them as
:class:`RemoteFile` rows of their plugin's ``datasets.csv`` and go through :func:`ensure_files`:
nothing is fetched unless the dataset has ``download: true``, nothing into a read-only data root,
each file is checked against the sha256 of its pinned source where one is known, and a failure
removes every file and folder the attempt created, so the data root is as it was.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Sequence

from harness.atomic import TEMP_PREFIX

OFFLINE_ENV = "HARNESS_OFFLINE"
#: A folder nothing is ever written into, whatever its permissions (the shared data in CI).
SHARED_DATA_ENV = "HARNESS_SHARED_DATA"
#: A base URL every fetch goes through instead: ``https://host/path`` becomes ``<mirror>/host/path``
#: (for sites behind a proxy or without internet, and for tests).
MIRROR_ENV = "HARNESS_MIRROR"
DEFAULT_TIMEOUT = 60.0
CHUNK = 1 << 20


class DatasetUnavailable(FileNotFoundError):
    """A dataset is not on disk and could not be fetched."""


def missing(folder: Path, required: Sequence[str]) -> list[str]:
    return [name for name in required if not (Path(folder) / name).is_file()]


def unavailable_message(name: str, folder: Path, required: Sequence[str], reason: str = "") -> str:
    absent = missing(folder, required)
    text = f"{name}: {len(absent)} file(s) missing under {folder}: {', '.join(absent)}. "
    text += "Place them there (set the data root with --data-root or HARNESS_DATA_ROOT)"
    return text + (f"; the download failed: {reason}" if reason else ".")


def download(url: str, target: Path, timeout: float = DEFAULT_TIMEOUT, sha256: str = "") -> Path:
    """Fetch ``url`` to ``target``. Each read waits at most ``timeout`` seconds and the whole
    transfer at most ``10 * timeout``; a partial file never survives. With ``sha256`` the bytes
    served must have that digest. A ``.gz`` source saved under a name without ``.gz`` is
    decompressed, a plain source saved under a ``.gz`` name is compressed (the name says what
    the loader reads)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{TEMP_PREFIX}{os.getpid()}-{target.name}")
    deadline = time.monotonic() + 10 * timeout
    digest = hashlib.sha256()
    url = mirrored(url)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(partial, "wb") as out:
            while chunk := response.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                if time.monotonic() > deadline:
                    raise TimeoutError(f"downloading {url} took longer than {10 * timeout:g} s")
        if sha256 and digest.hexdigest() != sha256.lower():
            raise ValueError(f"{url} served data with sha256 {digest.hexdigest()}, expected {sha256}: not the pinned file")
        _recode(partial, source_gz=_url_name(url).endswith(".gz"), target_gz=target.name.endswith(".gz"))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def mirrored(url: str) -> str:
    """``url`` as fetched through ``HARNESS_MIRROR`` when that is set."""
    mirror = os.environ.get(MIRROR_ENV, "").strip().rstrip("/")
    if not mirror:
        return url
    parts = urllib.parse.urlparse(url)
    return f"{mirror}/{parts.netloc}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def _url_name(url: str) -> str:
    return urllib.parse.urlparse(url).path.rsplit("/", 1)[-1]


def _recode(path: Path, source_gz: bool, target_gz: bool) -> None:
    """Gzip or gunzip ``path`` in place when the source's compression differs from the target's."""
    if source_gz == target_gz:
        return
    recoded = path.with_name(path.name + ".recoded")
    try:
        opener_in, opener_out = (gzip.open, open) if source_gz else (open, _gzip_writer)
        with opener_in(path, "rb") as source, opener_out(recoded, "wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
        os.replace(recoded, path)
    except (OSError, EOFError) as error:
        raise ValueError(f"could not {'decompress' if source_gz else 'compress'} {path.name}: {error}") from None
    finally:
        recoded.unlink(missing_ok=True)


def _gzip_writer(path: Path, mode: str):
    return gzip.GzipFile(path, mode, compresslevel=9, mtime=0)  # mtime=0: the same bytes every time


def offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip() not in ("", "0")


def _existing_ancestor(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not path.exists():
        path = path.parent
    return path


def read_only(path: str | Path) -> str | None:
    """Why nothing may be written at ``path`` (or the folder that would hold it), or None. The
    shared data folder (``HARNESS_SHARED_DATA``) and any folder whose permission bits grant
    nobody write access count as read-only even for root, who could write anyway."""
    target = Path(os.path.abspath(path))
    shared = os.environ.get(SHARED_DATA_ENV)
    if shared:
        shared_path = Path(os.path.abspath(shared))
        if target == shared_path or shared_path in target.parents:
            return f"it is the shared data folder {shared_path} ({SHARED_DATA_ENV})"
    existing = _existing_ancestor(target)
    if not existing.stat().st_mode & 0o222 or not os.access(existing, os.W_OK) or os.statvfs(existing).f_flag & os.ST_RDONLY:
        return f"{existing} is read-only"
    return None


class CreatedFolders:
    """Removes, on exit, the folders of ``path`` that did not exist on entry and are empty."""

    def __init__(self, path: Path):
        self.path = Path(os.path.abspath(path))
        self.first_new = None
        probe = self.path
        while not probe.exists():
            self.first_new, probe = probe, probe.parent

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.first_new is None:
            return
        folder = self.path
        while True:
            try:
                folder.rmdir()  # only ever removes an empty folder
            except OSError:
                return
            if folder == self.first_new:
                return
            folder = folder.parent


def _safe_members(archive: zipfile.ZipFile) -> None:
    for member in archive.namelist():
        path = PurePosixPath(member)
        if path.is_absolute() or ".." in path.parts:
            raise ValueError(f"the archive holds an unsafe path {member!r}")


def fetch_archive(url: str, download_name: str, staging: Path, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Download the zip archive ``url`` into ``staging`` and unpack there what its top folder
    ``download_name/`` holds (or the archive's only folder, or everything)."""
    archive = staging / f".{download_name}.zip"
    unpacked = staging / ".unpacked"
    download(url, archive, timeout=timeout)
    try:
        with zipfile.ZipFile(archive) as handle:
            _safe_members(handle)
            handle.extractall(unpacked)
    except zipfile.BadZipFile as error:
        raise ValueError(f"{url} is not a zip archive ({error})") from None
    top = unpacked / download_name
    if not top.is_dir():
        entries = list(unpacked.iterdir())
        top = entries[0] if len(entries) == 1 and entries[0].is_dir() else unpacked
    for entry in top.iterdir():
        entry.rename(staging / entry.name)
    archive.unlink()
    shutil.rmtree(unpacked)


def fetch_into(name: str, folder: Path, required: Sequence[str], fetch: Callable[[Path], None] | None) -> Path:
    """Make sure ``folder`` holds ``required``; otherwise run ``fetch(temporary_folder)`` and
    rename its result into place. Raises :class:`DatasetUnavailable` with what to place where."""
    folder = Path(folder)
    if not missing(folder, required):
        return folder
    if fetch is None or offline():
        raise DatasetUnavailable(unavailable_message(name, folder, required))
    staging = folder.parent / f"{TEMP_PREFIX}{os.getpid()}-{folder.name}"
    try:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        fetch(staging)
        if missing(staging, required):
            raise DatasetUnavailable(unavailable_message(name, folder, required, f"the download lacks {', '.join(missing(staging, required))}"))
        if folder.exists():  # a partial folder of the user's own: keep it aside, never delete it
            folder.rename(folder.with_name(f"{folder.name}.incomplete-{int(time.time())}"))
        staging.rename(folder)
    except DatasetUnavailable:
        raise
    except (OSError, TimeoutError, ValueError) as error:
        raise DatasetUnavailable(unavailable_message(name, folder, required, str(error))) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset as published: the name the loader reads, where it is fetched from
    and, where the source is pinned to a commit, the sha256 of the bytes it serves."""

    name: str
    url: str
    sha256: str = ""


def remote_files(row: dict, files: str = "file", urls: str = "url", digests: str = "sha256") -> list[RemoteFile]:
    """The :class:`RemoteFile` s of a ``datasets.csv`` row whose columns list file names, URLs
    and digests separated by ``|`` in the same order (digests may be empty)."""
    names, sources = row[files].split("|"), (row.get(urls) or "").split("|")
    sums = (row.get(digests) or "").split("|")
    if not row.get(urls):
        return []
    if len(sources) != len(names):
        raise ValueError(f"{row.get('name')}: {len(names)} file(s) but {len(sources)} URL(s) in datasets.csv")
    sums += [""] * (len(names) - len(sums))
    return [RemoteFile(name, url, digest) for name, url, digest in zip(names, sources, sums)]


def download_hint(remotes: Sequence[RemoteFile]) -> str:
    hosts = sorted({urllib.parse.urlparse(r.url).netloc for r in remotes})
    return (
        f" To fetch {'it' if len(remotes) == 1 else 'them'} from {', '.join(hosts)} instead, give the dataset the parameter "
        f"download: true (needs a writable data root and {OFFLINE_ENV} unset)."
    )


def ensure_permitted(folder: Path, remotes: Sequence[RemoteFile], allowed: bool, missing_text: str) -> None:
    """Raise :class:`DatasetUnavailable` (``missing_text`` and why) unless fetching ``remotes``
    into ``folder`` is allowed: the dataset has ``download: true``, ``HARNESS_OFFLINE`` is unset
    and the folder is not read-only."""
    if not allowed:
        raise DatasetUnavailable(missing_text + download_hint(remotes))
    if offline():
        raise DatasetUnavailable(f"{missing_text} download: true fetches nothing while {OFFLINE_ENV} is set.")
    denied = read_only(folder)
    if denied:
        raise DatasetUnavailable(f"{missing_text} download: true fetches nothing into a read-only data root ({denied}); pass a writable --data-root.")


def ensure_files(label: str, folder: Path, remotes: Sequence[RemoteFile], allowed: bool, missing_text: str, timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Make sure ``folder`` holds every remote file, fetching the absent ones when ``allowed``
    (the dataset's ``download`` parameter). All or nothing: on any failure every file and folder
    this call created is removed. Raises :class:`DatasetUnavailable` with ``missing_text`` and
    what stopped the fetch."""
    folder = Path(folder)
    if not remotes:  # the dataset names no source: there is nothing to fetch
        raise DatasetUnavailable(missing_text)
    absent = [r for r in remotes if not (folder / r.name).is_file()]
    if not absent:
        return folder
    ensure_permitted(folder, absent, allowed, missing_text)
    written: list[Path] = []
    with CreatedFolders(folder):
        try:
            for remote in absent:
                print(f"harness: fetching {label}'s {remote.name} from {remote.url}", file=sys.stderr, flush=True)
                written.append(download(remote.url, folder / remote.name, timeout=timeout, sha256=remote.sha256))
        except (OSError, ValueError) as error:  # TimeoutError is an OSError
            for path in written:
                path.unlink(missing_ok=True)
            raise DatasetUnavailable(f"{missing_text} Downloading {remote.url} failed: {error}.") from None
    return folder


def problems(ensure: Callable[[], object]) -> list[str]:
    """A dataset preflight's answer: nothing when ``ensure()`` finds (or fetches) the files, else
    the one message of the :class:`DatasetUnavailable` it raised."""
    try:
        ensure()
    except DatasetUnavailable as error:
        return [str(error)]
    return []
