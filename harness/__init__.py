"""The benchmark harness for graph learning.

Importing this package is cheap: it exposes the hook marker and the component declarations a
plugin needs. Everything that touches torch lives in modules imported only where a cell runs.
"""

import pluggy

__version__ = "0.1.0"

PROJECT_NAME = "harness"
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

from harness.components import Component, Param, TaskType  # noqa: E402

__all__ = ["Component", "Param", "TaskType", "hookimpl", "__version__"]
