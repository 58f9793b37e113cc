"""A local plugin for the dataset-reference tests: a method with a ``dataset`` and a
``datasets`` parameter that loads what they name and reports what it saw. Loaded with
``--plugin`` / ``Plugins(local_files=...)``."""

from harness import Component, Param, hookimpl


@hookimpl
def harness_methods():
    return [
        Component(
            kind="method",
            name="pretrainer",
            factory="harness_local_reference_plugin:Pretrainer",
            doc="Loads its corpus and its training group through context.load_task, then predicts constant scores.",
            params=(
                Param("corpus", "dataset", None, "a dataset to pre-train on", nullable=True),
                Param("train_on", "datasets", None, "datasets to train on together", nullable=True),
            ),
        )
    ]


def _seen(view) -> dict:
    from harness.task import HiddenLabelError

    seen = {"identity": view.identity, "data_has_y": None, "graphs_have_y": None}
    if view.data is not None:
        seen["data_has_y"] = getattr(view.data, "y", None) is not None
    if view.graphs is not None:
        seen["graphs_have_y"] = any(getattr(g, "y", None) is not None for g in view.graphs)
    try:
        view.labels["test"]
        seen["test_labels_readable"] = True
    except HiddenLabelError:
        seen["test_labels_readable"] = False
    return seen


class Pretrainer:
    def __init__(self, corpus, train_on):
        self.corpus, self.train_on = corpus, train_on

    def run(self, task, encoder, backbone, context):
        import torch

        from harness.task import Predictions

        references = ([self.corpus] if self.corpus else []) + list(self.train_on or [])
        seen = [{"reference": reference, **_seen(context.load_task(reference))} for reference in references]
        width = (task.num_outputs,)
        predictions = Predictions(valid=torch.zeros((task.items["valid"].size(-1), *width)), test=torch.zeros((task.items["test"].size(-1), *width)))
        predictions.extra["seen"] = seen
        return predictions
