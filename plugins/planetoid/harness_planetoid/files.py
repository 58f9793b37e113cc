"""Where the Planetoid raw files are looked for under the data root (torch-free)."""

from __future__ import annotations

from pathlib import Path

SUFFIXES = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")
LAYOUTS = ("planetoid/raw", "{Name}/raw", "{name}/raw", ".")
PYG_NAMES = {"cora": "Cora", "citeseer": "CiteSeer"}


def required_files(name: str) -> list[str]:
    return [f"ind.{name}.{suffix}" for suffix in SUFFIXES]


def find_raw_dir(root: str, name: str) -> Path | None:
    for layout in LAYOUTS:
        folder = Path(root) / layout.format(name=name, Name=PYG_NAMES[name])
        if all((folder / f).is_file() for f in required_files(name)):
            return folder
    return None


def missing_message(root: str, name: str) -> str:
    return (
        f"Planetoid files for {name!r} not found under data root {root!r}. Place "
        f"{', '.join(required_files(name))} in {Path(root) / 'planetoid' / 'raw'} "
        f"(or {Path(root) / PYG_NAMES[name] / 'raw'}); set the data root with --data-root or HARNESS_DATA_ROOT."
    )


def check(name: str, root: str, params: dict) -> list[str]:
    return [] if find_raw_dir(root, name) else [missing_message(root, name)]
