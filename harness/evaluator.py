"""The per-item metrics with OGB's input contract: ``Evaluator(metric).eval({"y_true", "y_pred"})``.

These implement the built-in metrics ``acc``, ``rocauc``, ``ap``, ``rmse``, ``mae`` and
``hits@K``, registered (with their direction and input contract) by :mod:`harness.metrics`.
Like OGB's ``Evaluator``, an evaluator checks its input and says what it expected instead of
guessing. ``y_pred`` is what a method returns: class scores ``(n, C)`` for single-label
accuracy (arg-max taken here), one score per task ``(n, T)`` for ROC-AUC and regression, one
score per candidate pair ``(n,)`` for link prediction. Missing labels are NaN and are masked.
"""

from __future__ import annotations

import math
import re

import numpy as np

IMPLEMENTED = ("acc", "rocauc", "ap", "rmse", "mae", "hits@K")
_HITS = re.compile(r"^hits@([1-9]\d*)$")  # K >= 1: Hits@0 has no K-th best negative


class EvaluatorInputError(ValueError):
    """The input to an evaluator is malformed."""


def _as_numpy(name: str, value) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if not isinstance(value, np.ndarray):
        raise EvaluatorInputError(f"{name} must be a torch.Tensor or numpy.ndarray, got {type(value).__name__}")
    return value


class Evaluator:
    """Computes one metric; refuses malformed input with a message naming what it expected."""

    def __init__(self, metric: str):
        if metric not in IMPLEMENTED[:-1] and not _HITS.match(str(metric)):
            raise ValueError(f"unknown metric {metric!r}; this evaluator implements {', '.join(IMPLEMENTED)}")
        self.metric = metric

    def eval(self, input_dict: dict) -> dict[str, float]:
        if not isinstance(input_dict, dict) or not {"y_true", "y_pred"} <= set(input_dict):
            raise EvaluatorInputError("input must be a dict with keys 'y_true' and 'y_pred'")
        y_true = _as_numpy("y_true", input_dict["y_true"])
        y_pred = _as_numpy("y_pred", input_dict["y_pred"])
        if y_true.ndim == 0 or y_pred.ndim == 0:
            raise EvaluatorInputError(f"y_true and y_pred must be arrays with one row per item, got shapes {y_true.shape} and {y_pred.shape}")
        if len(y_true) != len(y_pred):
            raise EvaluatorInputError(f"y_true has {len(y_true)} rows but y_pred has {len(y_pred)}")
        if len(y_true) == 0:
            raise EvaluatorInputError("y_true and y_pred are empty")
        if not np.all(np.isfinite(y_pred)):
            raise EvaluatorInputError("y_pred contains NaN or infinite values")
        hits = _HITS.match(self.metric)
        if hits:
            return {self.metric: _hits_at_k(y_true, y_pred, int(hits.group(1)))}
        return {self.metric: getattr(self, f"_{self.metric}")(y_true, y_pred)}

    def __call__(self, y_true, y_pred) -> float:
        return self.eval({"y_true": y_true, "y_pred": y_pred})[self.metric]

    @staticmethod
    def _acc(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        y_true = y_true.reshape(-1) if y_true.ndim == 2 and y_true.shape[1] == 1 else y_true
        if y_true.ndim != 1 or not np.issubdtype(y_true.dtype, np.integer):
            raise EvaluatorInputError(f"acc: y_true must be integer class ids of shape (n,) or (n, 1), got {y_true.dtype} {y_true.shape}")
        if y_pred.ndim != 2:
            raise EvaluatorInputError(f"acc: y_pred must be class scores of shape (n, num_classes), got {y_pred.shape}")
        if y_true.min() < 0 or y_true.max() >= y_pred.shape[1]:
            raise EvaluatorInputError(f"acc: y_true has class ids outside 0..{y_pred.shape[1] - 1}")
        return float((y_pred.argmax(axis=1) == y_true).mean())

    @staticmethod
    def _columns(metric: str, y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if y_true.ndim == 1:
            y_true, y_pred = y_true.reshape(-1, 1), y_pred.reshape(-1, 1)
        if y_true.ndim != 2 or y_true.shape != y_pred.shape:
            raise EvaluatorInputError(f"{metric}: y_true and y_pred must both have shape (n,) or (n, num_tasks), got {y_true.shape} and {y_pred.shape}")
        return y_true.astype(np.float64), y_pred.astype(np.float64)

    def _per_task(self, y_true, y_pred, score, binary: bool) -> float:
        """Average ``score(labels, predictions)`` over tasks, masking NaN labels. For binary
        metrics a task whose split lacks a positive or a negative has no curve and is skipped,
        as OGB does."""
        y_true, y_pred = self._columns(self.metric, y_true, y_pred)
        scores = []
        for task in range(y_true.shape[1]):
            labelled = ~np.isnan(y_true[:, task])
            column = y_true[labelled, task]
            if binary:
                if not np.isin(column, (0.0, 1.0)).all():
                    raise EvaluatorInputError(f"{self.metric}: y_true must hold 0, 1 or NaN (missing)")
                if not 0 < column.sum() < column.size:
                    continue
            elif not column.size:
                continue
            scores.append(score(column, y_pred[labelled, task]))
        if not scores:
            missing = "task has both a positive and a negative label" if binary else "labelled value in y_true (all NaN)"
            raise EvaluatorInputError(f"{self.metric}: no {missing}")
        return float(np.mean(scores))

    def _rocauc(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        from sklearn.metrics import roc_auc_score

        return self._per_task(y_true, y_pred, roc_auc_score, binary=True)

    def _ap(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        from sklearn.metrics import average_precision_score

        return self._per_task(y_true, y_pred, average_precision_score, binary=True)

    def _rmse(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return self._per_task(y_true, y_pred, lambda t, p: math.sqrt(np.mean((t - p) ** 2)), binary=False)

    def _mae(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return self._per_task(y_true, y_pred, lambda t, p: np.mean(np.abs(t - p)), binary=False)


def hits_at(k: int) -> Evaluator:
    """The evaluator of ``hits@k`` (the factory of the registered metric ``hits``)."""
    return Evaluator(f"hits@{k}")


def _hits_at_k(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> float:
    """OGB's Hits@K: the share of positive pairs scored above the K-th best negative."""
    if y_true.ndim != 1 or y_pred.ndim != 1:
        raise EvaluatorInputError(f"hits@{k}: y_true (0/1 per candidate pair) and y_pred (score per pair) must have shape (n,), got {y_true.shape} and {y_pred.shape}")
    if not np.isin(y_true, (0, 1)).all():
        raise EvaluatorInputError(f"hits@{k}: y_true must hold 0 or 1 per candidate pair")
    positive, negative = y_pred[y_true == 1], y_pred[y_true == 0]
    if positive.size == 0:
        raise EvaluatorInputError(f"hits@{k}: no positive pair")
    if negative.size < k:
        return 1.0
    kth_best_negative = np.sort(negative)[-k]
    return float((positive > kth_best_negative).mean())
