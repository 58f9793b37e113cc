"""A method whose ``run`` returns something other than :class:`harness.task.Predictions` (None,
a tensor, a dict, Predictions holding lists or scalars) gives a failed cell whose error says what
a method must return, and the run goes on to the next cell."""

from __future__ import annotations

from pathlib import Path

import pytest

PLUGIN = '''
from harness import Component, Param, hookimpl

RETURNS = ("none", "tensor", "dict", "list-scores", "scalar-scores", "short-epoch", "epoch-not-int", "epochs", "good")


@hookimpl
def harness_methods():
    return [Component(kind="method", name="returns", factory="harness_local_returns_plugin:Returns",
                      doc="Returns what its parameter says.", params=(Param("what", "str", "good", "what run returns", choices=RETURNS),))]


class Returns:
    def __init__(self, what):
        self.what = what

    def run(self, task, encoder, backbone, context):
        import torch

        from harness.task import EpochPredictions, Predictions

        sizes = {split: task.items[split].size(-1) for split in ("valid", "test")}
        scores = {split: torch.zeros(size, task.num_outputs) for split, size in sizes.items()}
        if self.what == "none":
            return None
        if self.what == "tensor":
            return scores["test"]
        if self.what == "dict":
            return scores
        if self.what == "list-scores":
            return Predictions(valid=scores["valid"].tolist(), test=scores["test"])
        if self.what == "scalar-scores":
            return Predictions(valid=torch.tensor(0.0), test=scores["test"])
        if self.what == "short-epoch":
            return Predictions(**scores, epochs=[EpochPredictions(0, scores["valid"][:-1], scores["test"])])
        if self.what == "epoch-not-int":
            return Predictions(**scores, epochs=[EpochPredictions("0", scores["valid"], scores["test"])])
        if self.what == "epochs":
            return Predictions(**scores, best_epoch=1, epochs=[EpochPredictions(epoch, scores["valid"], scores["test"] + epoch) for epoch in (0, 1)])
        return Predictions(**scores)
'''

MUST_RETURN = "a method's run(task, encoder, backbone, context) must return harness.task.Predictions("


@pytest.fixture
def plugin(tmp_path: Path) -> Path:
    path = tmp_path / "returns_plugin.py"
    path.write_text(PLUGIN)
    return path


@pytest.mark.parametrize(
    "what, found",
    [
        ("none", "the method returned None;"),
        ("tensor", "the method returned a torch.Tensor;"),
        ("dict", "the method returned a builtins.dict;"),
        ("list-scores", "the method's Predictions.valid is a list, not a torch.Tensor;"),
        ("scalar-scores", "the method returned a scalar valid predictions;"),
        ("short-epoch", "the method returned 19 valid predictions in Predictions.epochs[0]; the task has 20 valid items;"),
        ("epoch-not-int", "the method's Predictions.epochs[0] is not a harness.task.EpochPredictions(epoch=<int>"),
    ],
)
def test_a_wrong_return_value_fails_the_cell_saying_what_a_method_returns(harness_run, plugin, what, found):
    grid = {
        "seeds": 1,
        "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 120}}],
        "backbones": ["gcn"],
        "methods": [{"name": "returns", "params": {"what": what}}, {"name": "returns", "params": {"what": "good"}}],
    }
    summary, records = harness_run(grid, plugin_files=[plugin])
    by_what = {record["cell"]["method"]["params"]["what"]: record for record in records}
    bad, good = by_what[what], by_what["good"]
    assert bad["status"] == "failed" and found in bad["error"] and MUST_RETURN in bad["error"], bad["error"]
    assert good["status"] == "complete", good.get("error")


@pytest.mark.parametrize("isolate", [True, False])
def test_predictions_kept_per_epoch_are_scored_by_the_harness_into_the_record(harness_run, plugin, isolate):
    grid = {
        "seeds": 1,
        "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 120}}],
        "backbones": ["gcn"],
        "methods": [{"name": "returns", "params": {"what": "epochs"}}, {"name": "returns", "params": {"what": "good"}}],
    }
    summary, records = harness_run(grid, plugin_files=[plugin], isolate=isolate)
    by_what = {record["cell"]["method"]["params"]["what"]: record for record in records}
    kept, plain = by_what["epochs"], by_what["good"]
    assert kept["status"] == "complete", kept.get("error")
    assert [point["epoch"] for point in kept["epoch_scores"]] == [0, 1]
    for point in kept["epoch_scores"]:
        assert set(point) == {"epoch", "valid", "test"} and 0.0 <= point["test"] <= 1.0
        assert point["valid"] == kept["valid"]  # the same validation scores every epoch
    assert plain["epoch_scores"] == []
