"""The ``supervised`` method: train the backbone on the training labels, select the epoch on
validation, predict validation and test items."""

from harness import Component, Param, hookimpl


@hookimpl
def harness_methods():
    return [
        Component(
            kind="method",
            name="supervised",
            factory="harness_supervised.method:Supervised",
            doc="Supervised training with Adam and early stopping on the validation metric.",
            version="1",
            params=(
                Param("epochs", "int", 200, "maximum number of epochs", minimum=1),
                Param("lr", "float", 0.01, "Adam learning rate", minimum=0),
                Param("weight_decay", "float", 5e-4, "Adam weight decay (L2)", minimum=0),
                Param("patience", "int", 100, "stop after this many epochs without a better validation score; 0 never stops early", minimum=0),
                Param("batch_size", "int", 0, "graphs (graph tasks) or seed nodes (node tasks) per batch; 0 means full batch", minimum=0),
                Param("fanout", "list", [10, 10], "neighbours sampled per layer for mini-batch node tasks; -1 keeps all"),
                Param("embedding_dim", "int", 64, "node embedding width for graph, link and edge tasks (before pooling, scoring or the edge head)", minimum=1),
                Param("pooling", "str", "mean", "graph pooling for graph tasks", choices=("mean", "sum", "max")),
            ),
        )
    ]
