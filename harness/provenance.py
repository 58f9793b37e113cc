"""Facts about where a cell ran: hardware, package versions, the git commit. Computed once per
process."""

from __future__ import annotations

import functools
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = ("torch", "torch_geometric", "ogb", "numpy")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package.replace("_", "-"))
    except metadata.PackageNotFoundError:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None


@functools.lru_cache(maxsize=1)
def versions() -> dict[str, str | None]:
    from harness import __version__

    found = {"python": platform.python_version(), "harness": __version__}
    found.update({package: _version(package) for package in PACKAGES})
    return found


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@functools.lru_cache(maxsize=4)
def hardware(device: str = "cpu") -> str:
    if device.startswith("cuda"):
        import torch

        return torch.cuda.get_device_name(torch.device(device))
    return f"{_cpu_name()} ({os.cpu_count()} cores)"


@functools.lru_cache(maxsize=1)
def git_state() -> dict[str, object]:
    """The commit and dirty flag of the repository holding the harness (or the working folder)."""
    for folder in (Path(__file__).resolve().parent.parent, Path.cwd()):
        try:
            commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=5)
            if commit.returncode != 0:
                continue
            status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=folder, capture_output=True, text=True, timeout=5)
            return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}
        except (OSError, subprocess.SubprocessError):
            continue
    return {"commit": None, "dirty": None}
