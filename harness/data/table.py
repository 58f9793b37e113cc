"""A dataset plugin's table (``datasets.csv``) and the files each of its rows names: where they
are looked for under the data root, what the preflight says when they are missing, and their
fetch with ``download: true``. Torch-free: preflight checks run before any cell.

The table is a CSV file inside the plugin's package, one row per dataset (OGB's ``master.csv``
is the model), read by :func:`~harness.metadata.read_table`. Required columns: ``name``,
``task_type``, ``metric``, ``factory`` (``module:attribute``), ``doc``. The columns read here:

- ``file``: the file(s) the loader reads, ``|``-separated;
- ``folder`` (or any column a layout names): the dataset's folder under the data root;
- ``url`` and ``sha256``: where each file of ``file`` is fetched from, in the same order, and the
  digest of the bytes served where the source is pinned to a commit (may be empty).

Every other column (published statistics, sources, ...) becomes component metadata shown by
``harness list`` (:func:`~harness.metadata.dataset_components`). A plugin declares its rows with
:meth:`DatasetTable.components`, finds a dataset's files with :meth:`DatasetTable.require`
(inside its loader) and names :meth:`DatasetTable.check` as the rows' preflight. Where a
dataset's files depend on its parameters or are not in the table (a file per TU part, an
archive), the plugin builds the :class:`DatasetFiles` itself with :meth:`DatasetTable.files`.

The rules every dataset follows: files are looked for in each *layout* (a folder under the data
root, ``.`` for the root itself) in order, and the first folder holding every file wins; a file
may be accepted under other names too (``alternatives``, such as a compressed copy). Nothing is
ever written unless the dataset has ``download: true``: then the absent files are fetched into
the *target* folder (the first layout unless said otherwise) with bounded time, checked against
their sha256, all or nothing (:func:`harness.download.ensure_files`), or a zip archive is
unpacked into a staging folder renamed into place once every file is there
(:func:`harness.download.fetch_into`). Offline (``HARNESS_OFFLINE=1``) or into a read-only data
root nothing is fetched. A missing dataset's message names the files, the folders, a partial
copy and what it lacks, and how to fetch the files.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from harness.components import Component, Param
from harness.download import (
    DEFAULT_TIMEOUT,
    CreatedFolders,
    DatasetUnavailable,
    RemoteFile,
    ensure_files,
    ensure_permitted,
    fetch_archive,
    fetch_into,
    problems,
    read_only,
    remote_files,
)
from harness.metadata import dataset_components, download_param, read_table

__all__ = [
    "Archive",
    "DatasetFiles",
    "DatasetTable",
    "DatasetUnavailable",
    "RemoteFile",
    "dataset_components",
    "download_param",
    "read_table",
    "remote_files",
]

DATA_ROOT_HINT = "Set the data root with --data-root or HARNESS_DATA_ROOT."


@dataclass(frozen=True)
class Archive:
    """A zip archive published with all of a dataset's files: ``url``, and the top folder
    ``top`` of the archive whose content becomes the dataset's folder (the archive's only folder,
    or the whole archive, when it has no such folder)."""

    url: str
    top: str = ""


@dataclass(frozen=True)
class DatasetFiles:
    """The files of one dataset and where they live (see the module docstring).

    :param name: the dataset, as messages name it.
    :param files: the file names the loader reads.
    :param layouts: folders under the data root searched in order (``.`` is the root itself).
    :param remotes: where each file is fetched from (empty: the files are never fetched).
    :param archive: or the zip archive that holds them all.
    :param target: the folder fetched files go to (default: the first layout).
    :param alternatives: other names a file is accepted under, tried after its own name.
    :param notes: a sentence per file, added to the message when that file is missing.
    :param source: where the files come from, for the message (e.g. a repository and path).
    :param timeout: seconds each read of a download may wait (the transfer: ten times that).
    """

    name: str
    files: tuple[str, ...]
    layouts: tuple[str, ...] = (".",)
    remotes: tuple[RemoteFile, ...] = ()
    archive: Archive | None = None
    target: str | None = None
    alternatives: Mapping[str, Sequence[str]] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self):
        object.__setattr__(self, "files", tuple(self.files))
        object.__setattr__(self, "layouts", tuple(self.layouts))
        object.__setattr__(self, "remotes", tuple(self.remotes))
        if not self.files or not self.layouts:
            raise ValueError(f"{self.name}: a dataset needs at least one file and one layout")

    def folders(self, root: str | Path) -> list[Path]:
        """The folders searched, in order, without repeats."""
        folders: list[Path] = []
        for layout in self.layouts:
            folder = Path(root) / layout
            if folder not in folders:
                folders.append(folder)
        return folders

    def download_folder(self, root: str | Path) -> Path:
        """Where ``download: true`` puts the files."""
        return Path(root) / (self.target or self.layouts[0])

    def _present(self, folder: Path) -> list[Path | None]:
        """Per file, its path in ``folder`` under the first accepted name found, or None."""
        found = []
        for file in self.files:
            names = (file, *self.alternatives.get(file, ()))
            found.append(next((folder / n for n in names if (folder / n).is_file()), None))
        return found

    def find(self, root: str | Path) -> list[Path] | None:
        """The paths of the files (in the order of ``files``) in the first folder that holds
        them all, or None."""
        for folder in self.folders(root):
            present = self._present(folder)
            if all(path is not None for path in present):
                return present
        return None

    def _named(self, file: str) -> str:
        others = self.alternatives.get(file, ())
        return f"{file} (or {' or '.join(others)})" if others else file

    def _partial(self, root: str | Path) -> tuple[Path, str, list[str]] | None:
        """The folder (and its layout) holding the most, but not all, of the files, and what it
        lacks; None when no folder holds any."""
        best = None
        for layout, folder in zip(self.layouts, (Path(root) / layout for layout in self.layouts)):
            absent = [file for file, path in zip(self.files, self._present(folder)) if path is None]
            if len(absent) < len(self.files) and (best is None or len(absent) < len(best[2])):
                best = (folder, layout, absent)
        return best

    def missing_message(self, root: str | Path) -> str:
        """What is missing where, and where to put it."""
        partial = self._partial(root)
        if partial is None:
            target = self.download_folder(root)
            others = [str(folder) for folder in self.folders(root) if folder != target]
            one = len(self.files) == 1
            text = f"{self.name}: {', '.join(map(self._named, self.files))} not found under data root {str(root)!r}. "
            text += f"Place {'it' if one else 'them'} in {target}" + (f" (or {' or '.join(others)})" if others else "")
            text += f"; {'it comes' if one else 'they come'} from {self.source}. " if self.source else ". "
            return text + DATA_ROOT_HINT
        folder, layout, absent = partial
        text = f"{self.name}: {folder} lacks {', '.join(absent)} (it holds {len(self.files) - len(absent)} of the {len(self.files)} files)."
        text += "".join(f" {self.notes[file]}" for file in absent if file in self.notes)
        text += f" Put {', '.join(absent)} in {folder}"
        if read_only(folder):
            text += (
                f" — that folder is read-only, so copy the files it holds together with {', '.join(absent)} into "
                f"{Path('<a writable data root>') / layout} and point --data-root (or HARNESS_DATA_ROOT) there"
            )
        return text + "."

    def require(self, root: str | Path, download: bool = False) -> list[Path]:
        """The paths of the files, fetched first when absent and ``download`` is true; else
        :class:`~harness.download.DatasetUnavailable` with :meth:`missing_message` and why
        nothing was fetched."""
        found = self.find(root)
        if found is not None:
            return found
        message, folder = self.missing_message(root), self.download_folder(root)
        if self.archive is not None:
            self._fetch_archive(folder, message, download)
        else:
            ensure_files(self.name, folder, self.remotes, download, message, timeout=self.timeout)
        return [folder / file for file in self.files]

    def _fetch_archive(self, folder: Path, message: str, allowed: bool) -> None:
        url = self.archive.url
        name = urllib.parse.urlparse(url).path.rsplit("/", 1)[-1] or "archive.zip"
        ensure_permitted(folder, [RemoteFile(name, url)], allowed, message)
        with CreatedFolders(folder.parent):
            folder.parent.mkdir(parents=True, exist_ok=True)
            try:
                fetch_into(self.name, folder, self.files, lambda staging: fetch_archive(url, self.archive.top, staging, self.timeout))
            except DatasetUnavailable as error:
                raise DatasetUnavailable(f"{message} Fetching {url} failed: {error}") from None

    def problems(self, root: str | Path, download: bool = False) -> list[str]:
        """A preflight's answer: nothing when the files are there (fetched first with
        ``download``), else the one message saying what to place where."""
        return problems(lambda: self.require(root, download))


class DatasetTable:
    """A plugin's ``datasets.csv``: its rows, their declarations and each dataset's files.

    :param package: the plugin package holding the table.
    :param filename: the table's file name inside the package.
    :param layouts: the folders searched for every dataset's files, formatted with the row
        (``{folder}`` is the row's ``folder`` column).
    :param target: where fetched files go, formatted the same way (default: the first layout).
    :param timeout: seconds each read of a download may wait.
    """

    def __init__(self, package: str, filename: str = "datasets.csv", layouts: Sequence[str] = ("{folder}", "."), target: str | None = None, timeout: float = DEFAULT_TIMEOUT):
        self.package, self.filename = package, filename
        self.layouts, self.target, self.timeout = tuple(layouts), target, timeout

    @cached_property
    def rows(self) -> dict[str, dict[str, str]]:
        """The rows by dataset name, in table order (read once, on first use)."""
        return {row["name"]: row for row in read_table(self.package, self.filename)}

    def row(self, name: str) -> dict[str, str]:
        """The row of dataset ``name``; ``KeyError`` naming the known datasets otherwise."""
        try:
            return self.rows[name]
        except KeyError:
            raise KeyError(f"unknown dataset {name!r}; known: {', '.join(self.rows)}") from None

    def components(
        self,
        params: Callable[[dict[str, str]], Iterable[Param]] = lambda row: (),
        preflight: str | None = None,
        version: str = "1",
        arguments: Callable[[dict[str, str]], dict] = lambda row: {},
    ) -> list[Component]:
        """One dataset declaration per row (:func:`~harness.metadata.dataset_components`)."""
        return dataset_components(self.rows.values(), params, preflight, version, arguments)

    def files(self, name: str, fields: Mapping[str, str] | None = None, **options) -> DatasetFiles:
        """The :class:`DatasetFiles` of dataset ``name``: its row's ``file``, ``url`` and
        ``sha256``, the table's layouts and target formatted with the row and ``fields``; any
        attribute of :class:`DatasetFiles` given in ``options`` replaces what the row says."""
        row = self.row(name)
        values = {**row, **(fields or {})}
        layouts = tuple(layout.format(**values) for layout in options.pop("layouts", self.layouts))
        target = options.pop("target", self.target)
        if "files" not in options and not row.get("file"):
            raise ValueError(f"{self.package}/{self.filename}: row {name!r} has no 'file' column; pass files=")
        files = options.pop("files", None) or row["file"].split("|")
        if "remotes" not in options and "archive" not in options:
            options["remotes"] = remote_files(row) if row.get("file") and row.get("url") else ()
        options.setdefault("timeout", self.timeout)
        return DatasetFiles(name=name, files=files, layouts=layouts, target=target.format(**values) if target else None, **options)

    def require(self, root: str | Path, name: str, download: bool = False) -> list[Path]:
        """The paths of dataset ``name``'s files, in the order of its ``file`` column (see
        :meth:`DatasetFiles.require`)."""
        return self.files(name).require(root, download)

    def check(self, name: str, root: str | Path, params: Mapping) -> list[str]:
        """The preflight of a row whose files are its ``file`` column: name it as
        ``"<module>:<TABLE>.check"`` in :meth:`components`."""
        return self.files(name).problems(root, bool(params.get("download", False)))

