import torch
from torch_geometric.datasets import KarateClub

from harness.task import Task


def load(root, seed=0):
    data = KarateClub()[0]
    train = data.train_mask.nonzero().view(-1)
    rest = (~data.train_mask).nonzero().view(-1)
    rest = rest[torch.randperm(len(rest), generator=torch.Generator().manual_seed(seed))]
    half = len(rest) // 2
    items = {"train": train, "valid": rest[:half].sort().values, "test": rest[half:].sort().values}
    labels = {split: data.y[index] for split, index in items.items()}
    del data.train_mask
    return Task(name="karate", task_type="node-classification", metric="acc", num_outputs=int(data.y.max()) + 1, data=data, items=items, labels=labels)
