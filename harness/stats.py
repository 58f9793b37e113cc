"""Summaries over seeds and Welch's t-test between two of them."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Sequence

SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class ScoreSummary:
    mean: float
    std: float | None  # unbiased (ddof = 1); None for a single score with no reported std
    n: int

    @classmethod
    def of(cls, scores: Sequence[float]) -> "ScoreSummary":
        scores = [float(s) for s in scores]
        std = statistics.stdev(scores) if len(scores) > 1 else None
        return cls(statistics.fmean(scores), std, len(scores))

    def format(self) -> str:
        if self.std is None:
            return f"{self.mean:.4f}"
        return f"{self.mean:.4f} ± {self.std:.4f}"


def same_mean(a: float, b: float) -> bool:
    """Equal up to floating-point noise (0.8 over 3 seeds averages to 0.8000000000000002)."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def welch_p_value(a: ScoreSummary, b: ScoreSummary) -> float | None:
    """Two-sided p-value of Welch's t-test, or None when either side lacks a spread estimate."""
    if a.std is None or b.std is None or a.n < 2 or b.n < 2:
        return None
    if a.std == 0 and b.std == 0:
        return 1.0 if same_mean(a.mean, b.mean) else 0.0
    from scipy.stats import ttest_ind_from_stats

    result = ttest_ind_from_stats(a.mean, a.std, a.n, b.mean, b.std, b.n, equal_var=False)
    return float(result.pvalue) if not math.isnan(result.pvalue) else None


def significance_mark(p_value: float | None) -> str:
    if p_value is None:
        return "?"
    if p_value < 0.001:
        return "***"
    if p_value < 0.01:
        return "**"
    if p_value < SIGNIFICANCE:
        return "*"
    return "n.s."
