"""Full-batch node classification written the way PyTorch Geometric's examples are written
(``examples/gcn.py``, ``examples/gat.py``, ``examples/graph_sage_unsup.py``'s model): dense
features, PyG layers, one training step and one evaluation per epoch, the best validation
epoch's weights kept. The benchmarks run it as a whole process beside the same training in a
harness cell.

    python node_classification.py DATA.pt --model gcn --epochs 200 --threads 1 --out result.json

``DATA.pt`` holds ``x`` (dense), ``edge_index``, ``y`` and the ``train``/``valid``/``test`` node
indices (written by the benchmark from the harness's own loader, so that both train on the very
same split).
"""

import argparse
import copy
import json
import random

import numpy as np
import torch
import torch.nn.functional as F
from torch_geometric.nn import GATConv, GCNConv, SAGEConv

parser = argparse.ArgumentParser()
parser.add_argument("data")
parser.add_argument("--model", choices=["gcn", "sage", "gat"], default="gcn")
parser.add_argument("--hidden", type=int, default=16)
parser.add_argument("--heads", type=int, default=8)
parser.add_argument("--dropout", type=float, default=0.5)
parser.add_argument("--attention_dropout", type=float, default=0.6)
parser.add_argument("--activation", choices=["relu", "elu"], default="relu")
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--weight_decay", type=float, default=5e-4)
parser.add_argument("--epochs", type=int, default=200)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--threads", type=int, default=0)
parser.add_argument("--out", default=None)
args = parser.parse_args()

if args.threads:
    torch.set_num_threads(args.threads)
random.seed(args.seed)
np.random.seed(args.seed)
torch.manual_seed(args.seed)

data = torch.load(args.data, weights_only=True)
x, edge_index, y = data["x"], data["edge_index"], data["y"]
train_idx, valid_idx, test_idx = data["train"], data["valid"], data["test"]
num_classes = int(y.max()) + 1


class Net(torch.nn.Module):
    def __init__(self, in_channels, hidden, out_channels):
        super().__init__()
        if args.model == "gcn":
            self.conv1 = GCNConv(in_channels, hidden)
            self.conv2 = GCNConv(hidden, out_channels)
        elif args.model == "sage":
            self.conv1 = SAGEConv(in_channels, hidden)
            self.conv2 = SAGEConv(hidden, out_channels)
        else:
            self.conv1 = GATConv(in_channels, hidden, heads=args.heads, dropout=args.attention_dropout)
            self.conv2 = GATConv(hidden * args.heads, out_channels, heads=1, concat=False, dropout=args.attention_dropout)
        self.act = F.elu if args.activation == "elu" else F.relu

    def forward(self, x, edge_index):
        x = F.dropout(x, p=args.dropout, training=self.training)
        x = self.act(self.conv1(x, edge_index))
        x = F.dropout(x, p=args.dropout, training=self.training)
        return self.conv2(x, edge_index)


model = Net(x.size(1), args.hidden, num_classes)
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)


def train():
    model.train()
    optimizer.zero_grad()
    out = model(x, edge_index)
    loss = F.cross_entropy(out[train_idx], y[train_idx])
    loss.backward()
    optimizer.step()
    return loss.item()


@torch.no_grad()
def test():
    model.eval()
    pred = model(x, edge_index).argmax(dim=-1)
    return [float((pred[idx] == y[idx]).float().mean()) for idx in (valid_idx, test_idx)]


best_val, best_epoch, best_state = -1.0, 0, None
for epoch in range(args.epochs):
    loss = train()
    val_acc, _ = test()
    if val_acc > best_val:
        best_val, best_epoch, best_state = val_acc, epoch, copy.deepcopy(model.state_dict())

model.load_state_dict(best_state)
val_acc, test_acc = test()
result = {"valid": val_acc, "test": test_acc, "best_epoch": best_epoch}
print(json.dumps(result))
if args.out:
    with open(args.out, "w") as file:
        json.dump(result, file)
