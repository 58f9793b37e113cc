"""Featurisation speed of the MoleculeNet plugin: molecules per second turning SMILES into
integer graphs (RDKit parse + atom/bond features) for every shared MoleculeNet file, once with
Hu et al.'s features and once with OGB's.

What a first load of a dataset costs on top (CSV reading, Bemis-Murcko scaffolds, tensors,
the cache write) is not timed here; later loads read the artifact cache instead.

Target: none fixed (no timing asserts). The figures (per dataset and overall) go to
``extra_info`` and are printed. Functional checks (asserted): every file gives as many graphs
as it has rows less the SMILES RDKit refuses, and that number of refused SMILES is the table's
``rdkit_invalid``. Needs the shared data (``../shared/data`` or ``HARNESS_SHARED_DATA``);
skipped where it is absent. One round per featurisation (about a minute each on a quiet
2-core machine: 163,048 molecules).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("HARNESS_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="module")
def moleculenet_smiles():
    from harness_moleculenet import files

    if not (SHARED_DATA / "moleculenet_chemprop").is_dir():
        pytest.skip(f"the shared MoleculeNet files are not at {SHARED_DATA} (set HARNESS_SHARED_DATA)")
    sets = {}
    for name, row in files.table().items():
        if row.get("unlabelled") == "true":
            continue
        smiles, _, _ = files.read_smiles_csv(files.require_file(str(SHARED_DATA), name))
        sets[name] = (smiles, int(row["rdkit_invalid"]))
    return sets


@pytest.mark.parametrize("featurization", ["hu", "ogb"])
def test_featurize_moleculenet(benchmark, moleculenet_smiles, featurization):
    from harness_moleculenet import featurize

    featurize.featurize_smiles(["CCO"], featurization)  # imports (OGB's feature module) outside the timing

    def featurize_all():
        results = {}
        for name, (smiles, _) in moleculenet_smiles.items():
            start = time.perf_counter()
            features = featurize.featurize_smiles(smiles, featurization, scaffolds=False)
            results[name] = (time.perf_counter() - start, features)
        return results

    results = benchmark.pedantic(featurize_all, rounds=1, iterations=1)
    per_dataset = {}
    for name, (seconds, features) in results.items():
        smiles, invalid = moleculenet_smiles[name]
        assert len(features["invalid_rows"]) == invalid, name
        assert len(features["num_nodes"]) == len(smiles) - invalid, name
        per_dataset[name] = round(len(smiles) / seconds)
    molecules = sum(len(smiles) for smiles, _ in moleculenet_smiles.values())
    seconds = sum(seconds for seconds, _ in results.values())
    benchmark.extra_info.update(featurization=featurization, molecules=molecules, seconds=round(seconds, 2), mol_per_s=round(molecules / seconds), per_dataset_mol_per_s=per_dataset)
    print(f"\nfeaturization {featurization}: {molecules} molecules in {seconds:.1f} s = {molecules / seconds:.0f} mol/s")
    print("  " + ", ".join(f"{name} {rate}" for name, rate in per_dataset.items()))
