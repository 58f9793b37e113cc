"""Context prediction's extraction (``harness.objectives.context_prediction.extract_context_pairs``)
on a batch of 256 drug-like molecules: the time to draw the roots and find every molecule's
substructure, context and anchors, Hu et al.'s radii for a 5-layer gnn (K = 5, r1 = 4, r2 = 7),
CPU, one torch thread; then the same plus the two induced subgraphs the gnns run on.

The batch: 16 drugs (acetaminophen to atorvastatin, 11 to 41 heavy atoms; RDKit reads the
SMILES) repeated to 256 molecules, 21.8 atoms on average; the roots are drawn at random in each
round.

Target: well under 100 ms (no timing assert; median in ``extra_info``). Functional check
(asserted): every kept molecule has at least one anchor and every anchor is a context atom.
"""

from __future__ import annotations

import pytest

DRUGS = [
    "CC(=O)Oc1ccccc1C(=O)O", "CN1C=NC2=C1C(=O)N(C(=O)N2C)C", "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
    "Cc1ccc(cc1Nc2nccc(n2)c3cccnc3)NC(=O)c4ccc(cc4)CN5CCN(CC5)C",
    "CC(C)c1c(C(=O)Nc2ccccc2)c(c3ccccc3)c(c4ccc(F)cc4)n1CC[C@@H](O)C[C@@H](O)CC(=O)O",
    "CN1CCC[C@H]1c2cccnc2", "COc1ccc2[nH]cc(CCN(C)C)c2c1", "CC(=O)Nc1ccc(O)cc1",
    "CN(C)CCCN1c2ccccc2CCc3ccccc13", "Clc1ccc(cc1)C(c2ccccc2)N3CCN(CC3)CCOCC(=O)O",
    "O=C(O)c1cn(C2CC2)c3cc(N4CCNCC4)c(F)cc3c1=O", "CC1(C)S[C@@H]2[C@H](NC(=O)Cc3ccccc3)C(=O)N2[C@H]1C(=O)O",
    "COc1cc2c(cc1OC)C(=O)C(CC1CCN(Cc3ccccc3)CC1)C2", "CCOC(=O)C1=C(COCCN)NC(C)=C(C1c1ccccc1Cl)C(=O)OC",
    "CC(C)NCC(O)COc1cccc2ccccc12", "OC(=O)CCC(=O)c1ccc(cc1)-c1ccccc1",
]
BATCH_SIZE, NUM_LAYERS, R1, R2 = 256, 5, 4, 7


@pytest.fixture(scope="module")
def drug_batch():
    chem = pytest.importorskip("rdkit.Chem")
    import torch
    from torch_geometric.data import Batch, Data

    graphs = []
    for smiles in DRUGS:
        mol = chem.MolFromSmiles(smiles)
        bonds = torch.tensor([(b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in mol.GetBonds()]).T
        edge_index = torch.cat([bonds, bonds.flip(0)], dim=1)
        graphs.append(Data(x=torch.zeros(mol.GetNumAtoms(), 2, dtype=torch.long), edge_index=edge_index,
                           edge_attr=torch.zeros(edge_index.size(1), 2, dtype=torch.long)))
    return Batch.from_data_list([graphs[index % len(graphs)] for index in range(BATCH_SIZE)])


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def test_extract_context_pairs(benchmark, drug_batch):
    import torch

    from harness.objectives.context_prediction import extract_context_pairs

    def extract():
        return extract_context_pairs(drug_batch.edge_index, drug_batch.batch, BATCH_SIZE, NUM_LAYERS, R1, R2)

    pairs = benchmark.pedantic(extract, rounds=50, iterations=1, warmup_rounds=3)
    kept_with_anchor = torch.bincount(drug_batch.batch[pairs.anchors], minlength=BATCH_SIZE)[pairs.graphs]
    assert (kept_with_anchor > 0).all()
    assert torch.isin(pairs.anchors, pairs.context).all()
    median = _median_ms(benchmark)
    benchmark.extra_info.update(median_ms=median, atoms=drug_batch.num_nodes, kept=pairs.graphs.numel())
    print(f"\nextraction, {BATCH_SIZE} molecules ({drug_batch.num_nodes} atoms): median {median:.2f} ms;"
          f" {pairs.graphs.numel()} molecules kept")


def test_extract_and_induce_subgraphs(benchmark, drug_batch):
    from torch_geometric.utils import subgraph

    from harness.objectives.context_prediction import extract_context_pairs

    def extract_and_induce():
        pairs = extract_context_pairs(drug_batch.edge_index, drug_batch.batch, BATCH_SIZE, NUM_LAYERS, R1, R2)
        for nodes in (pairs.substructure, pairs.context):
            subgraph(nodes, drug_batch.edge_index, drug_batch.edge_attr, relabel_nodes=True, num_nodes=drug_batch.num_nodes)

    benchmark.pedantic(extract_and_induce, rounds=50, iterations=1, warmup_rounds=3)
    median = _median_ms(benchmark)
    benchmark.extra_info.update(median_ms=median)
    print(f"\nextraction and both induced subgraphs: median {median:.2f} ms")


def _median_ms(benchmark) -> float:
    """The median round in milliseconds; NaN under ``--benchmark-disable`` (one untimed run)."""
    stats = getattr(benchmark, "stats", None)
    return float("nan") if stats is None else round(stats.stats.median * 1e3, 3)
