"""AnyGraph's settings, one dataclass shared by the trained model and the baselines."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ModelSettings:
    """What shapes the experts' input and how many there are (an expert's own layers and
    dropout are the ``anygraph-expert`` backbone's parameters)."""

    dim: int = 512
    experts: int = 8
    hops: int = 3
    niter: int = 2
    use_features: bool = True

    def as_params(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TrainingSettings:
    """How the experts are trained on the training group."""

    epochs: int = 100
    batch: int = 4096
    max_steps: int = 500
    lr: float = 1e-4
    reg: float = 1e-7
    frequency_correction: bool = True
    correction_range: float = 0.2
    recompute_svd: bool = True
    routing_edges: int = 0

    def as_params(self) -> dict:
        return asdict(self)
