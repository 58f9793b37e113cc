"""The ``ray`` executor: every cell a Ray task (https://docs.ray.io), on the cluster at
``address`` or on one started on this machine for the run.

Declared here without importing Ray: ``harness list executors`` stays light.
"""

from harness import Component, Param, hookimpl


@hookimpl
def harness_executors():
    return [
        Component(
            kind="executor",
            name="ray",
            factory="harness_ray.executor:RayExecutor",
            doc="Run each cell as a Ray task; workers write their records on shared storage, killed workers are retried.",
            requires=("ray",),
            params=(
                Param("address", "str", None, "the Ray cluster to join: auto, HOST:PORT or ray://HOST:PORT; null starts one on this machine for the run", nullable=True),
                Param("cpus_per_cell", "float", 1.0, "CPUs Ray reserves for each cell; its torch threads follow", minimum=0, exclusive_minimum=True),
                Param("gpus_per_cell", "float", 0.0, "GPUs Ray reserves for each cell (fractions share a GPU)", minimum=0),
                Param("max_retries", "int", 2, "times a cell whose worker process died is run again before it is recorded as failed", minimum=0),
                Param("workers", "int", 0, "CPUs of the Ray instance started on this machine (no address); 0 means half the CPU cores", minimum=0),
                Param("object_store_mb", "int", 0, "object store of the Ray instance started on this machine, in MiB; 0 leaves Ray's default", minimum=0),
            ),
        )
    ]
