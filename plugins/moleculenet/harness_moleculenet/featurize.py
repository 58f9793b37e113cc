"""SMILES -> molecular graph with RDKit, in one of two integer featurisations.

- ``ogb``: OGB's ``ogb.utils.smiles2graph`` features, computed with OGB's own
  ``atom_to_feature_vector`` / ``bond_to_feature_vector`` on the molecule parsed here (the same
  output as ``smiles2graph``, whose edge order is kept: each bond gives ``(i, j)`` then
  ``(j, i)``). 9 atom features (sizes ``ogb.utils.features.get_atom_feature_dims()``:
  119, 5, 12, 12, 10, 6, 6, 2, 2) and 3 bond features (5, 6, 2); OGB maps values outside its
  vocabularies to each feature's last ("misc") index.
- ``hu``: Hu et al. (ICLR 2020) features. Atom: ``[atomic number index, chirality tag]`` with
  index ``Z - 1`` for ``Z`` in 1..118 (0..117), 119 reserved as the mask token; chirality tag
  0 unspecified, 1 tetrahedral CW, 2 tetrahedral CCW, 3 other. Bond: ``[bond type, bond
  direction]`` with type 0 single, 1 double, 2 triple, 3 aromatic (4 = self-loop and 5 = mask
  are reserved for the model) and direction 0 none, 1 end-up-right, 2 end-down-right.
  Where the reference code raises on a value outside these lists, this one maps it (and says
  so): a dummy atom ``*`` (Z = 0; one in ClinTox) gets index 118, which the reference leaves
  unused; RDKit's newer chirality tags (allene, square-planar, ...) become 3 ("other"); bond
  types outside the four (2 dative bonds in HIV under RDKit 2026.09) become single; bond
  directions other than the end-up/down-right pair become none.

A SMILES that RDKit cannot parse, or that parses to a molecule without atoms, is *invalid*: it
gives no graph, and its row is reported (:func:`featurize_smiles` returns the rows). RDKit's own
log lines are silenced while parsing; the loaders log one summary line instead.

Every valid molecule also gets its RDKit canonical SMILES (``Chem.MolToSmiles(mol)``: isomeric,
RDKit's default), written from the parsed molecule the graph comes from, so that the string and
the graph describe the same atoms. It names a molecule across files and spellings: the same
molecule written two ways in two MoleculeNet CSVs has one canonical SMILES, which is how a
downstream set's validation and test molecules are kept out of a pre-training corpus
(:mod:`harness_pretraining.labelled_corpus`).

Scaffolds are Bemis-Murcko scaffold SMILES with chirality
(``MurckoScaffold.MurckoScaffoldSmiles(mol=..., includeChirality=True)``), computed from the
same parsed molecule.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from rdkit import Chem
from rdkit.Chem.Scaffolds import MurckoScaffold
from rdkit.rdBase import BlockLogs

# Hu et al.'s vocabularies (the sizes the gin-mol embeddings use) live with the declarations.
from harness_moleculenet.vocabularies import (
    BY_FEATURIZATION,
    HU_MASK_ATOM,
    HU_MASK_BOND,
    HU_NUM_ATOM_TYPES,
    HU_NUM_BOND_DIRECTIONS,
    HU_NUM_BOND_TYPES,
    HU_NUM_CHIRALITY_TAGS,
    HU_SELF_LOOP_BOND,
    HU_UNKNOWN_ATOM,
)

FEATURIZATIONS = ("ogb", "hu")

#: width of ``x`` and ``edge_attr`` per featurisation
NUM_ATOM_FEATURES = {name: len(features.node) for name, features in BY_FEATURIZATION.items()}
NUM_BOND_FEATURES = {name: len(features.edge) for name, features in BY_FEATURIZATION.items()}


_BOND_TYPE = {
    Chem.rdchem.BondType.SINGLE: 0,
    Chem.rdchem.BondType.DOUBLE: 1,
    Chem.rdchem.BondType.TRIPLE: 2,
    Chem.rdchem.BondType.AROMATIC: 3,
}
_BOND_DIRECTION = {
    Chem.rdchem.BondDir.NONE: 0,
    Chem.rdchem.BondDir.ENDUPRIGHT: 1,
    Chem.rdchem.BondDir.ENDDOWNRIGHT: 2,
}


def parse(smiles: str):
    """The RDKit molecule of ``smiles``, or None when RDKit refuses it or it has no atoms."""
    with BlockLogs():
        mol = Chem.MolFromSmiles(smiles)
    if mol is None or mol.GetNumAtoms() == 0:
        return None
    return mol


def canonical_smiles(mol) -> str:
    """RDKit's canonical isomeric SMILES of ``mol``."""
    with BlockLogs():
        return Chem.MolToSmiles(mol)


def scaffold_of(mol) -> str:
    """Bemis-Murcko scaffold SMILES with chirality ('' for a molecule without rings)."""
    with BlockLogs():
        return MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=True)


def _hu_atom(atom) -> tuple[int, int]:
    number = atom.GetAtomicNum()
    index = number - 1 if 1 <= number <= 118 else HU_UNKNOWN_ATOM
    tag = int(atom.GetChiralTag())
    return index, tag if tag <= 3 else 3


def _hu_bond(bond) -> tuple[int, int]:
    return _BOND_TYPE.get(bond.GetBondType(), 0), _BOND_DIRECTION.get(bond.GetBondDir(), 0)


def _features(featurization: str):
    if featurization == "hu":
        return _hu_atom, _hu_bond
    if featurization == "ogb":
        from ogb.utils.features import atom_to_feature_vector, bond_to_feature_vector

        return atom_to_feature_vector, bond_to_feature_vector
    raise ValueError(f"unknown featurization {featurization!r}; valid: {', '.join(FEATURIZATIONS)}")


def featurize_smiles(smiles: Sequence[str], featurization: str, scaffolds: bool = True) -> dict:
    """Featurise every SMILES. Returns numpy arrays over the valid molecules, concatenated:
    ``x`` (atoms, F), ``edge_index`` (2, edges) with indices local to each molecule,
    ``edge_attr`` (edges, Fe), ``num_nodes`` and ``num_edges`` per molecule; the lists
    ``valid_rows`` (input position of each graph), ``invalid_rows`` and ``smiles`` (the
    canonical SMILES of each graph); and ``scaffolds`` (one per graph) unless ``scaffolds`` is
    False."""
    atom_features, bond_features = _features(featurization)
    width, bond_width = NUM_ATOM_FEATURES[featurization], NUM_BOND_FEATURES[featurization]
    x, sources, targets, edge_attr = [], [], [], []
    num_nodes, num_edges, valid_rows, invalid_rows, canonical, scaffold_list = [], [], [], [], [], []
    with BlockLogs():
        for row, text in enumerate(smiles):
            mol = Chem.MolFromSmiles(text)
            if mol is None or mol.GetNumAtoms() == 0:
                invalid_rows.append(row)
                continue
            for atom in mol.GetAtoms():
                x.extend(atom_features(atom))
            count = 0
            for bond in mol.GetBonds():
                i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
                features = bond_features(bond)
                sources += (i, j)
                targets += (j, i)
                edge_attr.extend(features)
                edge_attr.extend(features)
                count += 2
            num_nodes.append(mol.GetNumAtoms())
            num_edges.append(count)
            valid_rows.append(row)
            if scaffolds:
                scaffold_list.append(MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=True))
            # last, after everything else is read from the molecule: writing a SMILES leaves
            # output-order properties on it
            canonical.append(canonical_smiles(mol))
    return {
        "x": np.asarray(x, dtype=np.int64).reshape(-1, width),
        "edge_index": np.asarray([sources, targets], dtype=np.int64).reshape(2, -1),
        "edge_attr": np.asarray(edge_attr, dtype=np.int64).reshape(-1, bond_width),
        "num_nodes": np.asarray(num_nodes, dtype=np.int64),
        "num_edges": np.asarray(num_edges, dtype=np.int64),
        "valid_rows": valid_rows,
        "invalid_rows": invalid_rows,
        "smiles": canonical,
        "scaffolds": scaffold_list if scaffolds else None,
    }
