"""The ``karate`` task: the graph read from ``karate.npz`` by the dataset toolkit, one training
node per class (the lowest-numbered node of each community, as PyG's ``train_mask``), the other
nodes halved into validation and test by ``seed``."""

import torch

from harness.data.readers import read_npz_graph
from harness.task import Task
from harness_example_plugin import TABLE


def load(root, seed=0):
    (path,) = TABLE.require(root, "karate")
    data = read_npz_graph(path)
    classes = int(data.y.max()) + 1
    train = torch.stack([(data.y == c).nonzero()[0, 0] for c in range(classes)]).sort().values
    rest = torch.tensor(sorted(set(range(data.num_nodes)) - set(train.tolist())))
    rest = rest[torch.randperm(len(rest), generator=torch.Generator().manual_seed(seed))]
    half = len(rest) // 2
    items = {"train": train, "valid": rest[:half].sort().values, "test": rest[half:].sort().values}
    labels = {split: data.y[index] for split, index in items.items()}
    return Task(name="karate", task_type="node-classification", metric="acc", num_outputs=classes, data=data, items=items, labels=labels, info={"file": str(path)})
