"""OGB's own ``Evaluator`` classes (Hu et al., NeurIPS 2020) behind the harness's score contract.

The harness calls ``evaluator(y_true, y_pred)`` with the labels of one split and the method's
scores in item order. What the adapter changes, and only that, is the input's shape:

- nodes (``ogb.nodeproppred``): accuracy gets the arg-max of the class scores as OGB's
  ``(n, 1)`` predictions; ROC-AUC gets the per-task scores as they are;
- graphs (``ogb.graphproppred``): ``(n, T)`` labels with NaN for missing ones and ``(n, T)``
  scores, as OGB takes them;
- links (``ogb.linkproppred``): the harness's flat candidate pairs with 0/1 labels are split
  back into OGB's ``y_pred_pos`` (the positives' scores) and ``y_pred_neg`` (the negatives'),
  so Hits@K is OGB's: the share of positives scored above the K-th best negative.
"""

from __future__ import annotations

import torch

from harness.evaluator import EvaluatorInputError


def _ogb_evaluator(name: str):
    prefix = name.split("-")[0]
    if prefix == "ogbn":
        from ogb.nodeproppred import Evaluator
    elif prefix == "ogbg":
        from ogb.graphproppred import Evaluator
    elif prefix == "ogbl":
        from ogb.linkproppred import Evaluator
    else:
        raise ValueError(f"{name!r} is not an OGB dataset name (ogbn-*, ogbg-*, ogbl-*)")
    return prefix, Evaluator(name)


class OgbEvaluator:
    """``OgbEvaluator(name)(y_true, y_pred) -> float`` through OGB's ``Evaluator(name)``."""

    def __init__(self, name: str):
        self.name = name
        self.kind, self.evaluator = _ogb_evaluator(name)
        self.metric = self.evaluator.eval_metric

    def __call__(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> float:
        y_true, y_pred = torch.as_tensor(y_true), torch.as_tensor(y_pred)
        if self.kind == "ogbl":
            return self._links(y_true, y_pred)
        if self.kind == "ogbn" and self.metric == "acc":
            y_true, y_pred = y_true.view(-1, 1), y_pred.argmax(dim=-1, keepdim=True)
        elif self.kind == "ogbg" and y_true.dim() == 1:
            y_true, y_pred = y_true.view(-1, 1), y_pred.view(-1, 1)
        return float(self.evaluator.eval({"y_true": y_true, "y_pred": y_pred})[self.metric])

    def _links(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> float:
        y_pred = y_pred.reshape(-1) if y_pred.dim() == 2 and y_pred.size(1) == 1 else y_pred
        if y_true.dim() != 1 or y_pred.shape != y_true.shape:
            raise EvaluatorInputError(f"{self.name}: labels (0/1 per candidate pair) and scores (one per pair) must both have shape (n,), got {tuple(y_true.shape)} and {tuple(y_pred.shape)}")
        positive = y_true == 1
        if not bool((positive | (y_true == 0)).all()):
            raise EvaluatorInputError(f"{self.name}: labels must be 0 or 1 per candidate pair")
        y_pred = y_pred.detach().cpu()
        return float(self.evaluator.eval({"y_pred_pos": y_pred[positive], "y_pred_neg": y_pred[~positive]})[self.metric])
