"""The backbone contract Label Deconvolution relies on: ``hops`` and a forward without
propagation that applies the backbone's own weights to each node alone, i.e. the forward pass
on a graph where every node is its own only neighbour."""

from __future__ import annotations

import pytest
import torch

from harness_pyg_backbones.appnp import appnp
from harness_pyg_backbones.revgat import revgat
from harness_pyg_backbones.sgc import sgc
from harness_pyg_backbones.sign import sign
from harness_pyg_backbones.stack import gat, gcn, gin, mlp, sage

COMMON = dict(num_layers=3, hidden=8, dropout=0.0, activation="elu", norm="layer", residual=True)
N, IN, OUT = 12, 5, 4
REVGAT = dict(num_layers=4, hidden=4, heads=2, groups=2, dropout=0.0, activation="elu", norm="layer")


def _inputs(seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(N, IN, generator=generator)
    edges = torch.randint(0, N, (2, 40), generator=generator)
    return x, edges


def _self_loops():
    nodes = torch.arange(N)
    return torch.stack([nodes, nodes])


@pytest.mark.parametrize("make", [
    lambda: gcn(IN, OUT, "node-classification", **COMMON),
    lambda: sage(IN, OUT, "node-classification", aggregation="mean", **COMMON),
    lambda: sage(IN, OUT, "node-classification", aggregation="max", **COMMON),
    lambda: gat(IN, OUT, "node-classification", heads=3, out_heads=2, attention_dropout=0.0, **COMMON),
    lambda: mlp(IN, OUT, "node-classification", **COMMON),
    lambda: sign(IN, OUT, "node-classification", hops=3, operator="mean", **COMMON),
    lambda: sign(IN, OUT, "node-classification", hops=2, operator="sym", **COMMON),
    lambda: revgat(IN, OUT, "node-classification", **REVGAT),
    lambda: appnp(IN, OUT, "node-classification", K=5, alpha=0.2, **COMMON),
    lambda: sgc(IN, OUT, "node-classification", K=2),
], ids=["gcn", "sage-mean", "sage-max", "gat", "mlp", "sign-mean", "sign-sym", "revgat", "appnp", "sgc"])
def test_equals_the_forward_where_each_node_is_its_only_neighbour(make):
    torch.manual_seed(0)
    model = make().eval()
    x, edges = _inputs()
    local = model.forward_without_propagation(x)
    assert torch.allclose(local, model(x, _self_loops()), atol=1e-5)
    if model.hops:
        assert not torch.allclose(local, model(x, edges), atol=1e-3)  # the graph matters elsewhere


def test_gat_with_edge_features_ignores_attention_without_neighbours():
    torch.manual_seed(0)
    model = gat(IN, OUT, "node-classification", heads=2, edge_dim=3, attention_dropout=0.0, **COMMON).eval()
    x, _ = _inputs()
    before = model.forward_without_propagation(x)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "att" in name or "lin_edge" in name:
                parameter.add_(1.0)
    assert torch.allclose(before, model.forward_without_propagation(x))


def test_gradients_reach_the_weights_the_full_forward_uses():
    torch.manual_seed(0)
    model = sage(IN, OUT, "node-classification", **COMMON)
    x, _ = _inputs()
    model.forward_without_propagation(x).pow(2).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for name, p in model.named_parameters() if "lin_" in name)


def test_hops_and_layers_without_such_a_forward():
    assert gcn(IN, OUT, "node-classification", **COMMON).hops == 3
    assert mlp(IN, OUT, "node-classification", **COMMON).hops == 0
    model = gin(IN, OUT, "node-classification", **COMMON)
    assert not model.has_forward_without_propagation
    with pytest.raises(TypeError, match="GINConv layers have no forward without propagation"):
        model.forward_without_propagation(torch.zeros(N, IN))


def test_every_backbone_declaring_the_capability_honours_it(harness_registry):
    # (backbones unavailable here, the DGL ones in the main environment, are checked in their lane)
    declared = sorted(name for name, c in harness_registry.components["backbone"].items() if "no-propagation" in c.capabilities and not c.unavailable)
    assert {"gcn", "sage", "gat", "mlp", "sign", "revgat", "appnp", "sgc"} <= set(declared)
    for name in declared:
        component = harness_registry.get("backbone", name)
        model = component.load()(IN, OUT, "node-classification", **component.defaults())
        assert isinstance(model.hops, int) and model.has_forward_without_propagation, name
        assert model.eval().forward_without_propagation(torch.randn(N, IN)).shape == (N, OUT)


def test_revgat_reversible_layers_give_the_gradients_of_plain_residual_layers():
    """The reversible layers free their inputs and recompute them in the backward pass; with the
    same dropout mask the gradients must equal those of the same layers run without that trick."""
    x, edges = _inputs()
    attributes = torch.randn(edges.size(1), 3)
    gradients, saved = [], []
    for reversible in (True, False):
        torch.manual_seed(0)
        model = revgat(IN, OUT, "node-classification", **{**REVGAT, "dropout": 0.3, "norm": "batch"}, edge_dim=3)
        for block in model.blocks:
            block.disable = not reversible
        kept = []
        with torch.autograd.graph.saved_tensors_hooks(lambda tensor: kept.append(tensor) or tensor, lambda tensor: tensor):
            loss = model(x, edges, attributes).pow(2).sum()
        loss.backward()
        gradients.append({name: p.grad for name, p in model.named_parameters()})
        saved.append(len(kept))
    assert saved[0] < saved[1] / 2  # the reversible layers keep nothing for the backward pass
    assert gradients[0].keys() == gradients[1].keys() and len(gradients[0]) > 10
    assert all(gradients[0][name] is not None and torch.allclose(gradients[0][name], gradients[1][name], atol=1e-5) for name in gradients[0])
    assert any("blocks.1.convs.1.conv.lin_edge" in name for name in gradients[0])  # edge features reach every block


def test_revgat_trains_as_a_head_without_propagation():
    torch.manual_seed(0)
    model = revgat(IN, OUT, "node-classification", **{**REVGAT, "dropout": 0.3}, edge_dim=3)
    model.forward_without_propagation(torch.randn(N, IN)).pow(2).sum().backward()  # attention weights unused
    assert model.blocks[0].convs[0].conv.lin.weight.grad.abs().sum() > 0 and model.blocks[0].convs[0].conv.att_src.grad is None
    assert all(not block.disable for block in model.blocks)  # reversible again for the full forward


def test_revgat_refuses_shapes_it_cannot_split():
    with pytest.raises(ValueError, match="hidden must be a multiple of groups"):
        revgat(IN, OUT, "node-classification", **{**REVGAT, "hidden": 5})
    with pytest.raises(ValueError, match="num_layers >= 2"):
        revgat(IN, OUT, "node-classification", **{**REVGAT, "num_layers": 1})


def test_sign_propagates_with_the_operator_it_names():
    from harness_pyg_backbones.sign import propagate, propagation_weights

    x, edges = _inputs()
    operator_edges, weights = propagation_weights(edges, N, "mean")
    dense = torch.zeros(N, N)
    dense[operator_edges[1], operator_edges[0]] = weights
    assert torch.allclose(dense.sum(1), torch.ones(N))  # rows of the mean operator sum to 1
    assert torch.allclose(propagate(x, operator_edges, weights), dense @ x, atol=1e-6)
    sym_edges, sym = propagation_weights(edges, N, "sym")
    dense_sym = torch.zeros(N, N)
    dense_sym[sym_edges[1], sym_edges[0]] = sym
    adjacency = (dense > 0).float()
    degree = adjacency.sum(1)
    assert torch.allclose(dense_sym, adjacency / torch.sqrt(degree.unsqueeze(1) * degree.unsqueeze(0)), atol=1e-6)
