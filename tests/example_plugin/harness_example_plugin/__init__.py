"""An example third-party plugin: one dataset and one method, declared the way any plugin does,
and reference entries for its leaderboard.

- ``karate``: Zachary's karate club with the four communities of PyG's ``KarateClub`` as
  classes, one training node per class. A row of ``datasets.csv``; its file ``karate.npz`` (the
  gnn-benchmark ``.npz`` format) is looked for under the data root (``<root>/karate/``) and
  then in the copy this package ships (``data/``), and read with the dataset toolkit
  (:mod:`harness.data`).
- ``label-propagation``: Zhu and Ghahramani's label propagation (PyG's ``LabelPropagation``),
  which spreads the training labels over the graph; it trains nothing and ignores the backbone.
- ``transferred-propagation``: label propagation whose ``alpha`` is the training-edge homophily
  measured on the dataset its ``corpus`` parameter references (a stage: measured once per
  corpus, reused by every cell and seed), to show a method with a stage and a dataset reference.
- ``submissions/karate/*.yaml``: entries the leaderboard shows beside this harness's rows.
"""

from pathlib import Path

from harness import Component, Param, TaskType, hookimpl
from harness.data.table import DatasetTable

#: The dataset table; the shipped copy of each file is the last place looked at.
TABLE = DatasetTable(__name__, layouts=("{folder}", str(Path(__file__).parent / "data")))


@hookimpl
def harness_datasets():
    return TABLE.components(
        params=lambda row: (Param("seed", "int", 0, "seed of the validation/test split", minimum=0),),
        preflight="harness_example_plugin:TABLE.check",
    )


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
        ),
        Component(
            kind="method",
            name="transferred-propagation",
            factory="harness_example_plugin.transferred:TransferredPropagation",
            doc="Label propagation with alpha set to the training-edge homophily of a reference dataset (a shared stage).",
            task_types={TaskType.NODE_CLASSIFICATION},
            params=(
                Param("corpus", "dataset", "synthetic-node", "the dataset whose training labels set alpha (one with many labelled neighbours)"),
                Param("num_layers", "int", 10, "propagation steps", minimum=1),
            ),
        ),
    ]
