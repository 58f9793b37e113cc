"""The one rule by which a name (a dataset's, a grid's, a trace's: from a plugin, a grid or a
record someone hands over) becomes part of a file name.

:func:`path_component` maps any string to a single path component that stays inside the folder
it is joined to: never empty, never ``.`` or ``..``, never hidden, no separator, no NUL or other
control character, at most :data:`MAX_LENGTH` characters. A name that already is such a
component (ASCII letters, digits, ``-``, ``_`` and ``.``, not starting with ``.``) is kept as it is, so
the folders of ordinary datasets read as their names; any other name is cleaned (other
characters become ``_``) and gets ``~`` and a digest of the original name, so two different
names never share a file, and a cleaned name never equals a kept one (a kept name has no ``~``).
"""

from __future__ import annotations

import hashlib
from typing import AbstractSet

__all__ = ["MAX_LENGTH", "path_component"]

#: The longest component returned (well under the 255 bytes file systems allow, leaving room for
#: the suffixes the store, the leaderboard and the plot add).
MAX_LENGTH = 100
_DIGEST = 12
_OTHER = "_"


def _kept(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in "-_.")


def path_component(name: str, reserved: AbstractSet[str] = frozenset()) -> str:
    """``name`` itself where it is a plain file name (see the module docstring) and not one of
    ``reserved`` (names the folder uses for itself), else its cleaned form with ``~`` and 12 hex
    digits of its sha256."""
    if name and not name.startswith(".") and len(name) <= MAX_LENGTH and all(map(_kept, name)) and name not in reserved:
        return name
    cleaned = "".join(ch if _kept(ch) else _OTHER for ch in name).lstrip(".")
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:_DIGEST]
    return f"{cleaned[: MAX_LENGTH - _DIGEST - 1]}~{digest}"
