"""The categorical feature declaration of the typed graphs (``synthetic-categorical``), kept
free of torch so that the dataset's declaration can carry it: node codes (type in 0..4, charge in
0..2) and edge codes (bond type in 0..2)."""

from harness.features import CategoricalFeatures

TYPED_CODES = CategoricalFeatures(node=(5, 3), edge=(3,), vocabulary="synthetic-typed")
