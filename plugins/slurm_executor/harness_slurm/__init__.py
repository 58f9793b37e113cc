"""The ``slurm`` executor: a grid's cells as one Slurm job array, submitted and watched through
submitit (https://github.com/facebookincubator/submitit).

Declared here without importing submitit: ``harness list executors`` stays light.
"""

from harness import Component, Param, hookimpl


@hookimpl
def harness_executors():
    return [
        Component(
            kind="executor",
            name="slurm",
            factory="harness_slurm.executor:SlurmExecutor",
            doc="Submit the cells as a Slurm job array (submitit); workers write their records, preempted or timed-out cells are requeued.",
            requires=("submitit",),
            params=(
                Param("partition", "str", None, "the Slurm partition", nullable=True),
                Param("time_min", "int", 60, "time limit per cell, in minutes", minimum=1),
                Param("mem_gb", "float", None, "memory per cell, in GB; null leaves the partition's default", minimum=0, exclusive_minimum=True, nullable=True),
                Param("cpus_per_cell", "int", 1, "CPUs per cell; its torch threads follow", minimum=1),
                Param("gpus_per_cell", "int", 0, "GPUs per cell", minimum=0),
                Param("array_parallelism", "int", 16, "the most cells of the array running at once", minimum=1),
                Param("sbatch_options", "list", [], "further sbatch options as KEY=VALUE (account=..., qos=..., constraint=...)", items="str"),
                Param("setup", "list", [], "shell lines the job script runs before the cell (module load ..., source .venv/bin/activate)", items="str"),
                Param("max_requeues", "int", 3, "times a cell that ran past its time limit is requeued (preempted cells always are)", minimum=0),
                Param("folder", "str", "slurm-jobs", "where submitit keeps job scripts, logs and pickled cells; on storage every node sees"),
                Param("wait", "bool", True, "wait for the cells and show their progress; false (--no-wait) submits and returns"),
                Param("poll_s", "float", 10.0, "seconds between looks at the jobs while waiting", minimum=0, exclusive_minimum=True),
                Param("cluster", "str", "slurm", "slurm submits with sbatch; local runs each cell as a local process through submitit's LocalExecutor (for trying a grid without a cluster)", choices=("slurm", "local")),
            ),
        )
    ]
