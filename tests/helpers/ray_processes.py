"""Ray's processes for tests: the worker that runs a task, found from a process it started, and
the environment a test's Ray instance runs in."""

import os
from pathlib import Path


def ray_worker_of(pid: int) -> int | None:
    """The nearest ancestor of ``pid`` (or ``pid`` itself) that is a Ray worker process (Ray
    titles its workers ``ray::...``); None when it has none."""
    while pid > 1:
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"ray::"):
                return pid
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return None
    return None


def ray_environment(folder: Path) -> dict[str, str]:
    """The environment of a ``harness run`` whose Ray instance writes no token under the home
    folder, sends no usage statistics and keeps its temporary files in ``folder``, which must
    be short: the fork servers of Ray's workers put a Unix socket in it (107 bytes at most)."""
    return {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0", "TMPDIR": str(folder)}
