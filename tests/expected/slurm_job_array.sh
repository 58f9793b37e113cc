#!/bin/bash

# Parameters
#SBATCH --account=lab
#SBATCH --array=0-2%2
#SBATCH --cpus-per-task=4
#SBATCH --error={jobs}/%A_%a_0_log.err
#SBATCH --gpus-per-node=1
#SBATCH --job-name=harness
#SBATCH --mem=16G
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=1
#SBATCH --open-mode=append
#SBATCH --output={jobs}/%A_%a_0_log.out
#SBATCH --partition=gpu
#SBATCH --qos=high
#SBATCH --signal=USR2@90
#SBATCH --time=90
#SBATCH --wckey=submitit

# setup
source .venv/bin/activate

# command
export SUBMITIT_EXECUTOR=slurm
srun --unbuffered --output {jobs}/%A_%a_%t_log.out --error {jobs}/%A_%a_%t_log.err {python} -u -m submitit.core._submit {jobs}
