"""The ``supervised`` method: train the backbone on the training labels, select the epoch on
validation, predict validation and test items. It takes sparse node features
(:mod:`harness.sparse_features`): they go to the backbone as they are (node-sampled mini-batches
make them dense first)."""

from harness import Component, Param, hookimpl
from harness.sparse_features import CAPABILITY as SPARSE
from harness.training.params import TRAINING_PARAMS


@hookimpl
def harness_methods():
    return [
        Component(
            kind="method",
            name="supervised",
            factory="harness_supervised.method:Supervised",
            doc="Supervised training with Adam and early stopping on the validation metric.",
            version="1",
            capabilities=frozenset({SPARSE}),
            params=(
                *TRAINING_PARAMS,
                Param("embedding_dim", "int", 64, "node embedding width for graph, link and edge tasks (before pooling, scoring or the edge head)", minimum=1),
                Param("pooling", "str", "mean", "graph pooling for graph tasks", choices=("mean", "sum", "max")),
            ),
        )
    ]
