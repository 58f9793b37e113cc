"""A cell: one (dataset, encoder, backbone, method, seed) run with fully resolved parameters.

A cell is plain data (picklable, JSON-able): a worker needs only the cell and the run settings.
Its id hashes the resolved configuration and the component versions, so the same cell in two
grids is the same run, and a component whose version changes gets new cells.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

AXES = ("dataset", "encoder", "backbone", "method")


@dataclass(frozen=True)
class ComponentRef:
    """A component as a cell uses it: its name, resolved parameters, version and an optional
    display label (labels are for tables only and do not enter the id)."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    version: str = "1"
    label: str | None = None
    #: parameters that cannot change a result (see ``Param.affects_results``): not in the id.
    options: dict[str, Any] = field(default_factory=dict)

    def arguments(self) -> dict[str, Any]:
        """Everything the component's factory receives."""
        return {**self.params, **self.options}

    def identity(self) -> dict[str, Any]:
        return {"name": self.name, "params": self.params, "version": self.version}

    def display(self) -> str:
        return self.label or self.name


@dataclass(frozen=True)
class Cell:
    dataset: ComponentRef
    encoder: ComponentRef
    backbone: ComponentRef
    method: ComponentRef
    seed: int

    def config(self) -> dict[str, Any]:
        """The resolved configuration that identifies this cell."""
        config = {axis: getattr(self, axis).identity() for axis in AXES}
        config["seed"] = self.seed
        return config

    @property
    def id(self) -> str:
        canonical = json.dumps(self.config(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:20]

    @property
    def entry_key(self) -> dict[str, Any]:
        """The configuration without the seed: the cells of one leaderboard row share it."""
        config = self.config()
        del config["seed"]
        return config

    def describe(self) -> str:
        return (
            f"{self.dataset.display()} / {self.encoder.display()} / {self.backbone.display()}"
            f" / {self.method.display()} / seed {self.seed}"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Cell":
        return cls(**{axis: ComponentRef(**data[axis]) for axis in AXES}, seed=data["seed"])
