"""Processes for tests: a pid that is free, and the live descendants of a process."""

import os
import subprocess
import sys

import pytest

from harness.orphans import alive, descendants  # noqa: F401 - the tests' names for them


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    try:
        os.kill(child.pid, 0)
    except ProcessLookupError:
        return child.pid
    pytest.skip("the pid of an exited child was reused at once")
