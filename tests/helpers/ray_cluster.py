"""A Ray cluster of two CPUs for tests to join by address: prints the address, answers
``idle?`` on stdin with ``idle`` once every CPU is free again (within 30 s, else ``busy``), and
shuts the cluster down when stdin closes."""

import shutil
import sys
import time

import ray

from harness_ray.executor import short_temp_dir
from harness_ray.local_cluster import LocalCluster

CPUS = 2


def main() -> None:
    temp_dir = short_temp_dir()
    cluster = LocalCluster(CPUS, 80 * 2**20, temp_dir)
    try:
        ray.init(address=cluster.address, log_to_driver=False)
        print(cluster.address, flush=True)
        for line in sys.stdin:
            if line.strip() == "idle?":
                print("idle" if _idle_within(30.0) else "busy", flush=True)
    finally:
        ray.shutdown()
        cluster.close()
        shutil.rmtree(temp_dir, ignore_errors=True)


def _idle_within(seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ray.available_resources().get("CPU", 0) >= CPUS:
            return True
        time.sleep(0.2)
    return False


if __name__ == "__main__":
    main()
