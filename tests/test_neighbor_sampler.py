"""The plain-torch neighbour sampler: sampled edges exist, fan-outs hold, seeds come first, and
with unlimited fan-out a mean-aggregation GNN on a batch equals the full-graph result."""

import torch
from torch_geometric.data import Data
from torch_geometric.loader import NodeLoader
from torch_geometric.nn import SAGEConv
from torch_geometric.sampler import NodeSamplerInput
from torch_geometric.utils import erdos_renyi_graph

from harness.training.neighbor_sampler import PlainNeighborSampler


def _graph(n=80, p=0.08, seed=0):
    torch.manual_seed(seed)
    return Data(x=torch.randn(n, 5), edge_index=erdos_renyi_graph(n, p, directed=True), num_nodes=n)


def test_sampled_edges_exist_and_fanout_holds():
    data = _graph()
    sampler = PlainNeighborSampler(data, [3, 2])
    seeds = torch.tensor([4, 17, 33])
    out = sampler.sample_from_nodes(NodeSamplerInput(input_id=None, node=seeds))
    assert torch.equal(out.node[:3], seeds) and len(out.node.unique()) == len(out.node)
    existing = set(map(tuple, data.edge_index.t().tolist()))
    sampled = torch.stack([out.node[out.row], out.node[out.col]]).t().tolist()
    assert all(tuple(edge) in existing for edge in sampled)
    assert torch.equal(data.edge_index[:, out.edge], torch.stack([out.node[out.row], out.node[out.col]]))
    first_hop = out.num_sampled_edges[0]
    per_seed = torch.bincount(out.col[:first_hop], minlength=3)
    in_degree = torch.bincount(data.edge_index[1], minlength=data.num_nodes)[seeds]
    assert torch.equal(per_seed, torch.minimum(in_degree, torch.tensor(3)))


def test_sampling_is_uniform_over_neighbours():
    # A star: node 0 receives from 1..10; with fan-out 2 every neighbour is drawn about equally.
    edge_index = torch.stack([torch.arange(1, 11), torch.zeros(10, dtype=torch.long)])
    sampler = PlainNeighborSampler(Data(edge_index=edge_index, num_nodes=11), [2])
    torch.manual_seed(0)
    counts = torch.zeros(11)
    for _ in range(2000):
        out = sampler.sample_from_nodes(NodeSamplerInput(input_id=None, node=torch.tensor([0])))
        assert len(out.row) == 2 and out.node[out.row].unique().numel() == 2  # without replacement
        counts[out.node[out.row]] += 1
    assert counts[0] == 0 and (counts[1:] - 400).abs().max() < 80


def test_full_fanout_batch_matches_full_graph_for_mean_aggregation():
    data = _graph(n=60, p=0.1)
    torch.manual_seed(1)
    model = torch.nn.ModuleList([SAGEConv(5, 8), SAGEConv(8, 3)])

    def forward(x, edge_index):
        return model[1](model[0](x, edge_index).relu(), edge_index)

    full = forward(data.x, data.edge_index)
    loader = NodeLoader(data, node_sampler=PlainNeighborSampler(data, [-1, -1]), input_nodes=torch.arange(60), batch_size=16)
    seen = 0
    for batch in loader:
        out = forward(batch.x, batch.edge_index)[: batch.batch_size]
        assert torch.allclose(out, full[batch.n_id[: batch.batch_size]], atol=1e-5)
        seen += batch.batch_size
    assert seen == 60


def test_supervised_minibatch_runs_end_to_end(harness_run):
    grid = {"seeds": [0], "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 200}}], "backbones": ["sage"],
            "methods": [{"name": "supervised", "params": {"epochs": 5, "batch_size": 32, "fanout": [5, 5]}}]}
    _, (record,) = harness_run(grid)
    assert record["status"] == "complete", record.get("traceback")
    assert len(record["curve"]) == 5
