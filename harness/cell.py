"""A cell: one (dataset, encoder, backbone, method, seed, split) run with fully resolved
parameters.

A cell is plain data (picklable, JSON-able): a worker needs only the cell and the run settings.
Its id hashes the resolved configuration and the component versions, so the same cell in two
grids is the same run, and a component whose version changes gets new cells. A dataset named by
a parameter (a dataset reference) is resolved to its identity in that parameter's value, so it
enters the id the same way.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

AXES = ("dataset", "encoder", "backbone", "method")

#: the split protocols: the dataset's own split (its parameters choose it), a split drawn from
#: the cell's seed, or fold ``index`` of a ``count``-fold cross-validation.
FIXED, PER_SEED, FOLDS = "fixed", "per-seed", "folds"
SPLIT_PROTOCOLS = (FIXED, PER_SEED, FOLDS)


@dataclass(frozen=True)
class Split:
    """Which split of its dataset a cell uses. ``index`` is the split seed (``per-seed``) or the
    fold (``folds``); ``count`` is the number of folds. A dataset factory receives it as its
    ``split_choice`` argument whenever the protocol is not ``fixed``."""

    protocol: str = FIXED
    index: int | None = None
    count: int | None = None

    def __post_init__(self):
        if self.protocol not in SPLIT_PROTOCOLS:
            raise ValueError(f"split protocol must be one of {SPLIT_PROTOCOLS}, got {self.protocol!r}")

    @property
    def fixed(self) -> bool:
        return self.protocol == FIXED

    def to_record(self) -> dict[str, Any]:
        """The record's ``split`` field."""
        return {"protocol": self.protocol, "index": self.index, "count": self.count}

    def describe(self) -> str:
        if self.protocol == PER_SEED:
            return f"split seed {self.index}"
        if self.protocol == FOLDS:
            return f"fold {self.index} of {self.count}"
        return "fixed split"


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
    split: Split = field(default_factory=Split)

    def config(self) -> dict[str, Any]:
        """The resolved configuration that identifies this cell. A fixed split is left out, so
        that cells of grids without a ``split:`` keep the ids they had before splits existed."""
        config = {axis: getattr(self, axis).identity() for axis in AXES}
        config["seed"] = self.seed
        if not self.split.fixed:
            config["split"] = self.split.to_record()
        return config

    @property
    def id(self) -> str:
        canonical = json.dumps(self.config(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:20]

    @property
    def entry_key(self) -> dict[str, Any]:
        """The configuration without the seed and the split index: the cells of one
        leaderboard row (its seeds and its splits) share it."""
        config = self.config()
        del config["seed"]
        if "split" in config:
            config["split"] = {**config["split"], "index": None}
        return config

    def describe(self) -> str:
        text = (
            f"{self.dataset.display()} / {self.encoder.display()} / {self.backbone.display()}"
            f" / {self.method.display()} / seed {self.seed}"
        )
        return text if self.split.fixed else f"{text} / {self.split.describe()}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Cell":
        split = Split(**data["split"]) if data.get("split") else Split()
        return cls(**{axis: ComponentRef(**data[axis]) for axis in AXES}, seed=data["seed"], split=split)
