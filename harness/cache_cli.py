"""``harness cache ls|rm|verify``: see and prune the artifact cache.

- ``ls`` lists entries: key, stage (or the kind of a loader's entry, such as ``tokens``), the
  component that owns it with its version, the datasets it read, payload size and creation time.
- ``rm`` removes the entries selected by key prefixes and/or the filters ``--component``,
  ``--stage``, ``--dataset``; everything only with an explicit ``--all``.
- ``verify`` re-hashes every payload against its recorded sha256 and moves corrupt entries to
  the cache's ``corrupt/`` folder (exit code 1 when it found any).

Selectors combine: an entry is selected when its key starts with one of the prefixes given (if
any) and it matches every filter given. A prefix or filter that selects nothing is an error
(exit 2, nothing removed), with the values present in the cache and the closest match. Torch is
never imported: only ``meta.json`` and the payload's bytes are read.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

#: shortest key prefix accepted, so that a stray character cannot select a sixteenth of the cache
MIN_PREFIX = 4
_HEX = set("0123456789abcdef")


def add_cache_command(commands) -> None:
    """Add the ``cache`` command and its actions to the CLI's subparsers."""
    from harness.settings import CACHE_DIR_ENV

    cache = commands.add_parser("cache", help="list, prune and verify the artifact cache")
    actions = cache.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    location = argparse.ArgumentParser(add_help=False)
    location.add_argument("--cache-dir", default=None, metavar="DIR", help=f"the cache (default: ${CACHE_DIR_ENV}, else ~/.cache/harness)")
    selection = argparse.ArgumentParser(add_help=False)
    selection.add_argument("keys", nargs="*", metavar="KEY", help=f"key prefixes (at least {MIN_PREFIX} hex digits)")
    selection.add_argument("--component", action="append", default=[], metavar="NAME", help="entries owned by this component (repeatable)")
    selection.add_argument("--stage", action="append", default=[], metavar="NAME", help="entries of this stage or kind (repeatable)")
    selection.add_argument("--dataset", action="append", default=[], metavar="NAME", help="entries that read this dataset (repeatable)")
    actions.add_parser("ls", parents=[location, selection], help="list entries (all, or those selected)")
    remove = actions.add_parser("rm", parents=[location, selection], help="remove the selected entries")
    remove.add_argument("--all", action="store_true", help="remove every entry")
    actions.add_parser("verify", parents=[location], help="re-hash every payload; quarantine corrupt entries")


def cmd_cache(args) -> int:
    from harness.cache import ArtifactCache
    from harness.exit_codes import InvalidInput
    from harness.settings import default_cache_dir

    root = Path(args.cache_dir or default_cache_dir())
    if not root.is_dir():
        raise InvalidInput(f"no cache folder {str(root)!r}; pass --cache-dir or set HARNESS_CACHE_DIR")
    cache = ArtifactCache(root)
    return {"ls": _list, "rm": _remove, "verify": _verify}[args.action](cache, args)


def stage_of(entry) -> str:
    """The entry's stage name, or the kind a loader gave its entry."""
    if entry.description is None:
        return "(unreadable)"
    return str(entry.description.get("stage") or entry.description.get("kind") or "?")


def owner_of(entry) -> str | None:
    """The name of the component that owns a stage entry (None for a loader's entry)."""
    owner = (entry.description or {}).get("owner")
    return owner.get("name") if isinstance(owner, dict) else None


def datasets_of(entry) -> list[str]:
    """The names of the datasets the entry was computed from."""
    description = entry.description or {}
    datasets = description.get("datasets")
    if datasets is None:  # a loader's entry names at most one
        datasets = [description["dataset"]] if "dataset" in description else []
    return [str(d.get("name") if isinstance(d, dict) else d) for d in datasets]


def _selected(cache, args) -> list:
    """The entries the key prefixes and filters of ``args`` select; an error when one of them
    selects nothing."""
    from harness.exit_codes import InvalidInput
    from harness.suggest import suggest

    entries = list(cache.entries())
    prefixes = [key.lower() for key in args.keys]
    for prefix in prefixes:
        if len(prefix) < MIN_PREFIX or not set(prefix) <= _HEX:
            raise InvalidInput(f"key prefix {prefix!r}: give at least {MIN_PREFIX} hex digits of a key from `harness cache ls`")
        if not any(entry.key.startswith(prefix) for entry in entries):
            raise InvalidInput(f"no entry's key starts with {prefix!r} in the cache at {cache.root}")
    filters = [("component", args.component, lambda e: [owner_of(e)]), ("stage", args.stage, lambda e: [stage_of(e)]), ("dataset", args.dataset, datasets_of)]
    for label, wanted, values in filters:
        present = sorted({value for entry in entries for value in values(entry) if value})
        for name in wanted:
            if name not in present:
                raise InvalidInput(f"--{label} {name!r} matches no entry in the cache at {cache.root}; {suggest(name, present)}")
    return [
        entry
        for entry in entries
        if (not prefixes or any(entry.key.startswith(prefix) for prefix in prefixes))
        and all(not wanted or set(values(entry)) & set(wanted) for _, wanted, values in filters)
    ]


def _describe(entries: Iterable) -> list[list[str]]:
    rows = []
    for entry in entries:
        owner = (entry.description or {}).get("owner")
        component = f"{owner['name']} v{owner['version']}" if isinstance(owner, dict) else "-"
        created = datetime.fromtimestamp(entry.created, timezone.utc).strftime("%Y-%m-%d %H:%M") if entry.created else "?"
        rows.append([entry.key[:12], stage_of(entry), component, ", ".join(datasets_of(entry)) or "-", human_size(entry.size), created])
    return rows


def human_size(size: int) -> str:
    """``size`` bytes in B, kB, MB or GB."""
    for unit in ("B", "kB", "MB"):
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


def _list(cache, args) -> int:
    from tabulate import tabulate

    from harness.exit_codes import EXIT_OK

    entries = _selected(cache, args)
    if entries:
        print(tabulate(_describe(entries), headers=["key", "stage", "component", "datasets", "size", "created (UTC)"], tablefmt="simple"))
    print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}, {human_size(sum(e.size for e in entries))}, in {cache.root}")
    return EXIT_OK


def _remove(cache, args) -> int:
    from harness.exit_codes import EXIT_OK, InvalidInput

    selecting = bool(args.keys or args.component or args.stage or args.dataset)
    if args.all and selecting:
        raise InvalidInput("rm --all removes every entry: give it alone, or select entries without --all")
    if not (args.all or selecting):
        raise InvalidInput("rm needs the entries to remove: key prefixes, --component, --stage or --dataset filters, or --all for every entry")
    entries = list(cache.entries()) if args.all else _selected(cache, args)
    removed = 0
    for entry, row in zip(entries, _describe(entries)):
        if cache.remove(entry.key):
            removed += 1
            print(f"removed {entry.key}  {row[1]}  {row[2]}  {row[3]}")
    print(f"removed {removed} entr{'y' if removed == 1 else 'ies'} from {cache.root}")
    return EXIT_OK


def _verify(cache, args) -> int:
    from harness.exit_codes import EXIT_FAILED_CELLS, EXIT_OK

    entries = list(cache.entries())
    corrupt = [entry for entry in entries if not cache.verify(entry.key)]
    for entry in corrupt:
        print(f"corrupt: {entry.key}  {stage_of(entry)}: moved to {cache.root / 'corrupt'}")
    print(f"verified {len(entries)} entr{'y' if len(entries) == 1 else 'ies'} in {cache.root}: {len(corrupt)} corrupt")
    return EXIT_FAILED_CELLS if corrupt else EXIT_OK
