"""L2P-GNN's task sampler: links come from the task's own graph, non-links are non-edges of it
(no self-pairs), complete and edgeless graphs are handled, a seed reproduces the tasks."""

from __future__ import annotations

import pytest
import torch

from harness_pretraining.l2p_tasks import EdgeTasks, sample_edge_tasks


def undirected(bonds: list[tuple[int, int]]) -> torch.Tensor:
    pairs = [pair for u, v in bonds for pair in ((u, v), (v, u))]
    return torch.tensor(pairs, dtype=torch.long).t().reshape(2, -1)


def batched(graphs: list[tuple[int, list[tuple[int, int]]]]) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(edge_index, batch vector, number of graphs) of graphs given as (atoms, bonds)."""
    edges, graph_of_node, offset = [], [], 0
    for index, (atoms, bonds) in enumerate(graphs):
        edges.append(undirected(bonds) + offset)
        graph_of_node.append(torch.full((atoms,), index, dtype=torch.long))
        offset += atoms
    return torch.cat(edges, dim=1), torch.cat(graph_of_node), len(graphs)


CHAIN_5 = (5, [(0, 1), (1, 2), (2, 3), (3, 4)])
RING_6 = (6, [(i, (i + 1) % 6) for i in range(6)])
SINGLE_BOND = (2, [(0, 1)])
LONE_ATOM = (1, [])
TRIANGLE = (3, [(0, 1), (1, 2), (2, 0)])


def edge_set(edge_index: torch.Tensor) -> set[tuple[int, int]]:
    return set(map(tuple, edge_index.t().tolist()))


def pairs_by_task(pairs: torch.Tensor, tasks: EdgeTasks) -> list[list[tuple[int, int]]]:
    per_task = pairs.size(1) // tasks.num_tasks
    return [list(map(tuple, pairs[:, t * per_task:(t + 1) * per_task].t().tolist())) for t in range(tasks.num_tasks)]


def test_shapes_and_the_graphs_that_get_a_task():
    edge_index, graph_of_node, num_graphs = batched([CHAIN_5, LONE_ATOM, RING_6])
    tasks = sample_edge_tasks(edge_index, graph_of_node, num_graphs, support_size=4, query_size=3, generator=torch.Generator().manual_seed(0))
    assert tasks.graphs.tolist() == [0, 2]  # the lone atom has nothing to predict
    assert tasks.support_positive.shape == tasks.support_negative.shape == (2, 2 * 4)
    assert tasks.query_positive.shape == tasks.query_negative.shape == (2, 2 * 3)
    assert (tasks.support_size, tasks.query_size) == (4, 3)


def test_links_are_edges_of_their_task_graph_and_non_links_are_not():
    edge_index, graph_of_node, num_graphs = batched([CHAIN_5, RING_6, TRIANGLE, CHAIN_5])
    edges = edge_set(edge_index)
    tasks = sample_edge_tasks(edge_index, graph_of_node, num_graphs, support_size=10, query_size=5, generator=torch.Generator().manual_seed(1))
    for field in ("support_positive", "query_positive", "support_negative", "query_negative"):
        for graph, pairs in zip(tasks.graphs.tolist(), pairs_by_task(getattr(tasks, field), tasks)):
            if graph == 2 and field.endswith("negative"):
                continue  # the triangle is complete: see the cross-graph test
            assert all(graph_of_node[u] == graph_of_node[v] == graph for u, v in pairs), field
            if field.endswith("positive"):
                assert all(pair in edges for pair in pairs)
            else:
                assert all(pair not in edges and pair[0] != pair[1] for pair in pairs)


def test_edges_need_not_be_stored_graph_by_graph():
    edge_index, graph_of_node, num_graphs = batched([CHAIN_5, RING_6])
    shuffled = edge_index[:, torch.randperm(edge_index.size(1), generator=torch.Generator().manual_seed(0))]
    tasks = sample_edge_tasks(shuffled, graph_of_node, num_graphs, generator=torch.Generator().manual_seed(2))
    for graph, pairs in zip(tasks.graphs.tolist(), pairs_by_task(tasks.support_positive, tasks)):
        assert all(graph_of_node[u] == graph_of_node[v] == graph for u, v in pairs)


def test_every_non_edge_is_drawn_about_equally_often():
    edge_index, graph_of_node, num_graphs = batched([CHAIN_5])  # 20 ordered pairs, 8 edges: 12 non-edges
    tasks = sample_edge_tasks(edge_index, graph_of_node, num_graphs, support_size=6000, query_size=1, generator=torch.Generator().manual_seed(3))
    counts = {}
    for pair in map(tuple, tasks.support_negative.t().tolist()):
        counts[pair] = counts.get(pair, 0) + 1
    assert len(counts) == 12
    assert all(abs(count - 500) < 100 for count in counts.values()), counts  # ~4.5 standard deviations


def test_a_complete_graph_takes_its_non_links_from_other_graphs():
    edge_index, graph_of_node, num_graphs = batched([SINGLE_BOND, CHAIN_5, TRIANGLE])
    tasks = sample_edge_tasks(edge_index, graph_of_node, num_graphs, generator=torch.Generator().manual_seed(4))
    negatives = [support + query for support, query in
                 zip(pairs_by_task(tasks.support_negative, tasks), pairs_by_task(tasks.query_negative, tasks))]
    for graph in (0, 2):
        assert all(graph_of_node[u] == graph and graph_of_node[v] != graph for u, v in negatives[graph])
    assert {int(graph_of_node[v]) for _, v in negatives[0]} == {1, 2}


def test_a_batch_of_one_complete_graph_falls_back_to_self_pairs():
    edge_index, graph_of_node, num_graphs = batched([SINGLE_BOND])
    tasks = sample_edge_tasks(edge_index, graph_of_node, num_graphs, generator=torch.Generator().manual_seed(5))
    assert edge_set(tasks.support_positive) <= {(0, 1), (1, 0)}
    assert bool((tasks.support_negative[0] == tasks.support_negative[1]).all())


def test_a_seed_reproduces_the_tasks():
    edge_index, graph_of_node, num_graphs = batched([CHAIN_5, RING_6, SINGLE_BOND])

    def draw(seed: int) -> list[torch.Tensor]:
        tasks = sample_edge_tasks(edge_index, graph_of_node, num_graphs, generator=torch.Generator().manual_seed(seed))
        return [tasks.support_positive, tasks.support_negative, tasks.query_positive, tasks.query_negative]

    assert all(torch.equal(a, b) for a, b in zip(draw(7), draw(7)))
    assert not all(torch.equal(a, b) for a, b in zip(draw(7), draw(8)))


def test_refuses_a_batch_without_edges_and_an_unsorted_batch_vector():
    edge_index, graph_of_node, num_graphs = batched([LONE_ATOM, LONE_ATOM])
    with pytest.raises(ValueError, match="no graph of this batch has an edge"):
        sample_edge_tasks(edge_index, graph_of_node, num_graphs)
    edge_index, graph_of_node, num_graphs = batched([CHAIN_5, RING_6])
    with pytest.raises(ValueError, match="contiguous"):
        sample_edge_tasks(edge_index, graph_of_node.flip(0), num_graphs)
