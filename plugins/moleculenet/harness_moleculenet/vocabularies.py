"""The vocabularies of the two integer featurisations (:mod:`.featurize`), as the categorical
feature declarations (:class:`harness.features.CategoricalFeatures`) of the molecule tasks.
Neither torch nor RDKit is imported here, so that the dataset declarations can carry them.

- ``hu`` (Hu et al., ICLR 2020): atom ``[type, chirality tag]``, bond ``[type, direction]``;
  the sizes include the tokens the reference code reserves for its models (mask atom, self-loop
  and mask bond types), so that an embedding built from the declaration has rows for them.
- ``ogb``: OGB's 9 atom and 3 bond features (:data:`harness.features.OGB_MOLECULE`).
"""

from harness.features import OGB_MOLECULE, CategoricalFeatures

HU_NUM_ATOM_TYPES = 120  # 0..117 elements, 118 dummy/unknown atom, 119 mask token
HU_UNKNOWN_ATOM = 118
HU_MASK_ATOM = 119
HU_NUM_CHIRALITY_TAGS = 4  # 0 unspecified, 1 CW, 2 CCW, 3 other
HU_NUM_BOND_TYPES = 6  # 0..3 single/double/triple/aromatic, 4 self-loop, 5 mask
HU_SELF_LOOP_BOND = 4
HU_MASK_BOND = 5
HU_NUM_BOND_DIRECTIONS = 3  # 0 none, 1 end-up-right, 2 end-down-right

#: a masked atom: the mask type, chirality unspecified (as Hu et al.'s attribute masking sets it)
HU = CategoricalFeatures(node=(HU_NUM_ATOM_TYPES, HU_NUM_CHIRALITY_TAGS), edge=(HU_NUM_BOND_TYPES, HU_NUM_BOND_DIRECTIONS), vocabulary="hu",
                         node_mask=(HU_MASK_ATOM, 0))

#: featurisation -> its declaration
BY_FEATURIZATION = {"hu": HU, "ogb": OGB_MOLECULE}
