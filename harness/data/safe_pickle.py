"""Reading pickle files from the data root without running what they ask for.

A pickle names the classes and functions that rebuild its objects, and :func:`pickle.load`
imports and calls whatever it names: a crafted file placed in a data root runs arbitrary code.
Datasets still published as pickles (Planetoid's ``ind.*`` files) are read here with
:class:`RestrictedUnpickler`, which resolves only the names of an allow-list and refuses any other
with :class:`UnsafePickle`, naming the file and the refused name, before anything is imported.

:data:`NUMPY_SCIPY` is the allow-list of numpy arrays, scipy CSR matrices and ``defaultdict``
of lists, under the module names both Python 2 pickles (the published files) and Python 3
pickles of current numpy and scipy use.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import AbstractSet

__all__ = ["NUMPY_SCIPY", "RestrictedUnpickler", "UnsafePickle", "load"]

#: ``(module, name)`` pairs a pickle of numpy arrays, scipy CSR matrices and a ``defaultdict`` of
#: lists refers to: the array reconstructor, ``ndarray``, ``dtype``, ``csr_matrix``,
#: ``defaultdict`` with its ``list`` factory, and ``_codecs.encode`` (Python 3's protocol-2
#: pickles store an array's raw bytes through it).
NUMPY_SCIPY: frozenset[tuple[str, str]] = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("scipy.sparse.csr", "csr_matrix"),
        ("scipy.sparse._csr", "csr_matrix"),
        ("collections", "defaultdict"),
        ("__builtin__", "list"),
        ("builtins", "list"),
        ("_codecs", "encode"),
    }
)

#: Modules the published pickles name that have since moved (scipy warns, and will drop them).
MOVED = {"scipy.sparse.csr": "scipy.sparse", "scipy.sparse._csr": "scipy.sparse"}


class UnsafePickle(pickle.UnpicklingError):
    """A pickle file names a class or function outside the allow-list; nothing it names was
    imported or called."""


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the ``(module, name)`` pairs of ``allowed`` (as the
    file spells them) and raises :class:`UnsafePickle` naming ``source`` for any other."""

    def __init__(self, file, allowed: AbstractSet[tuple[str, str]], source: str = "<pickle>", **kwargs):
        super().__init__(file, **kwargs)
        self.allowed = allowed
        self.source = source

    def find_class(self, module: str, name: str):
        # Checked before resolving: resolving imports the module, which may itself run code.
        if (module, name) not in self.allowed:
            raise UnsafePickle(
                f"{self.source}: refused to unpickle {module}.{name}; this file may only hold "
                f"{', '.join(sorted(f'{m}.{n}' for m, n in self.allowed))}. It is corrupt or crafted: "
                "replace it with the published copy."
            )
        return super().find_class(MOVED.get(module, module), name)


def load(path: str | Path, allowed: AbstractSet[tuple[str, str]] = NUMPY_SCIPY, encoding: str = "latin1"):
    """The object pickled in ``path``, rebuilt through :class:`RestrictedUnpickler` (``latin1``
    decodes the byte strings of Python 2 pickles, as numpy's own arrays need)."""
    with open(path, "rb") as handle:
        return RestrictedUnpickler(handle, allowed, source=str(path), encoding=encoding).load()
