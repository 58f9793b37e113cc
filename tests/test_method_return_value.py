"""A method whose ``run`` returns something other than :class:`harness.task.Predictions` (None,
a tensor, a dict, Predictions holding lists or scalars) gives a failed cell whose error says what
a method must return, and the run goes on to the next cell."""

from __future__ import annotations

from pathlib import Path

import pytest

PLUGIN = '''
from harness import Component, Param, hookimpl

RETURNS = ("none", "tensor", "dict", "list-scores", "scalar-scores", "good")


@hookimpl
def harness_methods():
    return [Component(kind="method", name="returns", factory="harness_local_returns_plugin:Returns",
                      doc="Returns what its parameter says.", params=(Param("what", "str", "good", "what run returns", choices=RETURNS),))]


class Returns:
    def __init__(self, what):
        self.what = what

    def run(self, task, encoder, backbone, context):
        import torch

        from harness.task import Predictions

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
