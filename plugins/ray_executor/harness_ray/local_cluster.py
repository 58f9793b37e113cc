"""A Ray instance on this machine that lives exactly as long as the ``harness run`` that started
it.

Ray's own head processes die with the process that called ``ray.init``, but the processes they
start (task workers, the dashboard and runtime-env agents) do not: killed with their driver,
they linger for seconds or for good. So the executor does not call ``ray.init`` to start a
cluster in its own process; it starts this module as a *keeper* process that

- makes itself the reaper of every process below it (Linux's child subreaper), so nothing Ray
  starts can escape to ``init`` when its parent dies;
- starts the Ray instance, prints its address for the driver to join, and waits on its stdin,
  a pipe only the driver holds;
- when that pipe closes, because the driver shut down or was killed, kills every process
  below it.

It runs in a session of its own, so a Ctrl-C at the terminal reaches the driver (which shuts
down in order) and not Ray's processes.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from harness.orphans import descendants

_PR_SET_CHILD_SUBREAPER = 36  # from <linux/prctl.h>
#: how long the driver waits for the Ray instance to come up
START_TIMEOUT_S = 120.0


class LocalCluster:
    """The keeper process of a Ray instance of ``cpus`` CPUs; :attr:`address` to join it."""

    def __init__(self, cpus: int, object_store_bytes: int | None, temp_dir: str):
        command = [sys.executable, "-m", "harness_ray.local_cluster", "--cpus", str(cpus), "--temp-dir", temp_dir]
        if object_store_bytes:
            command += ["--object-store-bytes", str(object_store_bytes)]
        # Ray's messages go to a file: a pipe nobody reads would fill up and stall the keeper.
        self.log = Path(temp_dir) / "keeper.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                                            start_new_session=True)
        self.address = self._read_address()

    def _read_address(self) -> str:
        line = self.process.stdout.readline().strip()
        if not line:
            self.close()
            error = self.log.read_text(errors="replace").strip().splitlines()[-20:]
            raise RuntimeError(f"the local Ray instance did not start (its log: {self.log}):\n" + "\n".join(error))
        return line

    def close(self) -> None:
        """Let the keeper shut the instance down (it also does when this process dies)."""
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


def _keep(cpus: int, object_store_bytes: int | None, temp_dir: str) -> None:
    _become_subreaper()
    import ray

    ray.init(num_cpus=cpus, object_store_memory=object_store_bytes, include_dashboard=False, log_to_driver=False, _temp_dir=temp_dir)
    print(ray.get_runtime_context().gcs_address, flush=True)
    sys.stdin.read()  # returns when the driver closes the pipe or dies
    # Nothing of the instance outlives the run, so it need not shut down in order: ending
    # every process at once is quicker and leaves no worker half-way through a cell.
    _kill_descendants()
    # Not a normal exit: Ray's exit hook would try to shut down in order the instance just
    # killed, and waits about 6 s for it to answer.
    os._exit(0)


def _become_subreaper() -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1)


def _kill_descendants() -> None:
    """SIGKILL every process below this one (orphans of Ray's processes included: this one is
    their reaper) and reap them."""
    for _ in range(50):
        below = descendants(os.getpid())
        if not below:
            return
        for pid in below:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _reap()
        time.sleep(0.02)


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpus", type=int, required=True)
    parser.add_argument("--object-store-bytes", type=int, default=None)
    parser.add_argument("--temp-dir", required=True)
    args = parser.parse_args(argv)
    _keep(args.cpus, args.object_store_bytes, args.temp_dir)


if __name__ == "__main__":
    main()
