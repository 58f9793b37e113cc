"""How every error about a name says what is valid: the valid choices and, when one is close,
the likely intended one. Used for grid keys, component and dataset names, hooks, metrics, CLI
filters."""

from __future__ import annotations

import difflib
from typing import Any


def suggest(value: Any, valid: list[str]) -> str:
    """The valid choices and, when one is close, the likely intended one."""
    text = f"valid: {', '.join(valid)}" if valid else "nothing is valid here"
    close = difflib.get_close_matches(str(value), valid, n=1, cutoff=0.5)
    if close:
        text += f"; did you mean {close[0]!r}?"
    return text
