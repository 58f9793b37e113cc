"""An example third-party plugin: one dataset and one method, declared the way any plugin does.

- ``karate``: Zachary's karate club (PyG's ``KarateClub``, built in code, no download), the four
  communities of PyG's version as classes, one training node per class.
- ``label-propagation``: Zhu and Ghahramani's label propagation (PyG's ``LabelPropagation``),
  which spreads the training labels over the graph; it trains nothing and ignores the backbone.
"""

from harness import Component, Param, TaskType, hookimpl


@hookimpl
def harness_datasets():
    return [
        Component(
            kind="dataset",
            name="karate",
            factory="harness_example_plugin.karate:load",
            doc="Zachary's karate club, 4 communities, one training node per class.",
            task_types={TaskType.NODE_CLASSIFICATION},
            params=(Param("seed", "int", 0, "seed of the validation/test split", minimum=0),),
            metadata={"metric": "acc"},
        )
    ]


@hookimpl
def harness_methods():
    return [
        Component(
            kind="method",
            name="label-propagation",
            factory="harness_example_plugin.propagation:LabelPropagationMethod",
            doc="Label propagation over the graph from the training labels (no training).",
            task_types={TaskType.NODE_CLASSIFICATION},
            params=(
                Param("num_layers", "int", 10, "propagation steps", minimum=1),
                Param("alpha", "float", 0.9, "weight of propagated versus original labels", minimum=0),
            ),
        )
    ]
