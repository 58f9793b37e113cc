"""Categorical node and edge features: the declaration a dataset makes when its features are
integer codes (atom types, bond types, ...) rather than numbers, so that backbones can embed them.

A dataset says so twice, with the same data:

- in its task bundle: :attr:`harness.task.Task.categorical`, a :class:`CategoricalFeatures`
  giving the number of values of every column of ``x`` (``node``) and of ``edge_attr``
  (``edge``), and the name of the coding (``vocabulary``);
- in its declaration, so that a grid can drop an incompatible combination before anything runs:
  ``metadata["categorical_features"]``, made with :func:`metadata_entry`, a list of cases, each a
  declaration with the parameter values it holds for (``when``; a dataset whose featurisation is
  a parameter declares one case per featurisation, and none for featurisations that give floats).

Backbones that embed such codes declare the capability :data:`CAPABILITY` and receive the task's
declaration as the keyword argument ``categorical`` (see ``harness_backbones`` in
``docs/plugin_hooks.md``). An encoder that replaces the node features with numbers removes the
node part of the declaration; an encoder that keeps the dataset's own features (the identity)
declares the capability :data:`KEEPS_FEATURES`. A backbone that takes nothing but such codes
``needs`` :data:`NODE_CODES`.

This module does not import torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

#: backbone capability: embeds integer-coded features (takes the ``categorical`` argument)
CAPABILITY = "categorical-features"
#: encoder capability: the encoder's output is the dataset's own node features, unchanged
KEEPS_FEATURES = "keeps-features"
#: what a component that takes only integer-coded node features ``needs`` (``gin-mol``); a
#: combination provides it where the dataset's node codes reach the backbone
NODE_CODES = "categorical-node-features"
#: the declaration's key in a dataset component's ``metadata``
METADATA_KEY = "categorical_features"


@dataclass(frozen=True)
class CategoricalFeatures:
    """Integer-coded features: column ``i`` of ``x`` takes values ``0 .. node[i] - 1`` (and
    likewise ``edge`` for ``edge_attr``). ``vocabulary`` names the coding so that a backbone can
    use an embedding made for it (``"ogb"``: OGB's molecule features, for which OGB's
    ``AtomEncoder`` and ``BondEncoder`` exist); other names get a generic embedding.

    ``node_mask``, where the coding reserves one, is the row a masked node takes, one code per
    column (Hu et al.'s atoms: ``(119, 0)``, the mask atom type with no chirality); attribute
    masking (:mod:`harness.objectives.attribute_masking`) needs it."""

    node: tuple[int, ...] = ()
    edge: tuple[int, ...] = ()
    vocabulary: str = ""
    node_mask: tuple[int, ...] = ()

    def __post_init__(self):
        for name in ("node", "edge", "node_mask"):
            object.__setattr__(self, name, tuple(int(value) for value in getattr(self, name)))
        if any(size < 1 for size in (*self.node, *self.edge)):
            raise ValueError(f"every categorical column needs at least one value; got node {self.node}, edge {self.edge}")
        if self.node_mask and (len(self.node_mask) != len(self.node) or any(not 0 <= code < size for code, size in zip(self.node_mask, self.node))):
            raise ValueError(f"node_mask needs one code per node column within its vocabulary {self.node}; got {self.node_mask}")

    def __bool__(self) -> bool:
        return bool(self.node or self.edge)

    def without_node(self) -> "CategoricalFeatures | None":
        """The declaration once an encoder has replaced the node features with numbers (None
        when nothing categorical is left)."""
        rest = CategoricalFeatures(edge=self.edge, vocabulary=self.vocabulary)
        return rest or None

    def to_dict(self) -> dict[str, Any]:
        entry = {"node": list(self.node), "edge": list(self.edge), "vocabulary": self.vocabulary}
        if self.node_mask:
            entry["node_mask"] = list(self.node_mask)
        return entry

    @classmethod
    def from_dict(cls, entry: Mapping[str, Any]) -> "CategoricalFeatures":
        return cls(node=tuple(entry.get("node", ())), edge=tuple(entry.get("edge", ())), vocabulary=entry.get("vocabulary", ""),
                   node_mask=tuple(entry.get("node_mask", ())))


#: OGB's molecule features (``ogb.utils.features.get_atom_feature_dims()`` and
#: ``get_bond_feature_dims()``; a test checks them against OGB's): 9 atom and 3 bond columns.
OGB_MOLECULE = CategoricalFeatures(node=(119, 5, 12, 12, 10, 6, 6, 2, 2), edge=(5, 6, 2), vocabulary="ogb")


def metadata_entry(*cases: tuple[CategoricalFeatures, Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """``metadata`` for a dataset declaration: ``{METADATA_KEY: [...]}`` from
    ``(declaration, when)`` pairs, where ``when`` maps parameter names to the values for which
    the declaration holds (``{}``: always)."""
    return {METADATA_KEY: [{**features.to_dict(), "when": dict(when)} for features, when in cases]}


def declared(component, params: Mapping[str, Any]) -> CategoricalFeatures | None:
    """The categorical features a dataset declaration says its task has with ``params`` (the
    defaults filling what is not given), or None."""
    values = {**component.defaults(), **params}
    for entry in component.metadata.get(METADATA_KEY, ()):
        if all(values.get(name) == value for name, value in entry.get("when", {}).items()):
            return CategoricalFeatures.from_dict(entry) or None
    return None


def after_encoder(features: CategoricalFeatures | None, encoder) -> CategoricalFeatures | None:
    """What is left of ``features`` once the encoder component ``encoder`` has run: everything
    when it keeps the dataset's node features, the edge part otherwise."""
    if features is None or KEEPS_FEATURES in encoder.capabilities:
        return features
    return features.without_node()


def provided(features: CategoricalFeatures | None) -> frozenset[str]:
    """What the features that reach the backbone provide toward components' ``needs``."""
    return frozenset({NODE_CODES}) if features is not None and features.node else frozenset()
