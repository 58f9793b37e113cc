"""Self-supervised pre-training objectives for graph neural networks, as reusable components.

The objectives of Hu et al., "Strategies for Pre-training Graph Neural Networks" (ICLR 2020;
official code: https://github.com/snap-stanford/pretrain-gnns, folder ``chem/``), one module each:

- :mod:`~harness.objectives.attribute_masking`: ``AttributeMasking``, predict the masked atoms'
  types from the embeddings the gnn computes on the masked molecule (``choose_masked`` picks
  the atoms).
- :mod:`~harness.objectives.context_prediction`: ``ContextPrediction``, tell a root atom's
  K-hop substructure apart from the context ring around it of another molecule
  (``extract_context_pairs`` finds the root, substructure, context and anchors).
- :mod:`~harness.objectives.edge_prediction`: ``EdgePrediction``, tell bonded atom pairs from
  non-bonded pairs of the same molecule by the dot product of their embeddings; it also takes a
  single large graph (a ``Data`` without ``batch``), for auxiliary link prediction.
- :mod:`~harness.objectives.infomax`: ``Infomax``, Deep Graph Infomax on graph batches: tell a
  node's pairing with its own graph's summary from one with another graph's summary.

And the attribute-reconstruction auxiliary task of Han et al., "Adaptive Transfer Learning on
Graph Neural Networks" (KDD 2021; https://github.com/Sean-Huang65/AUX-TS):

- :mod:`~harness.objectives.feature_reconstruction`: ``FeatureReconstruction``, decode masked
  nodes' numeric feature rows from the gnn's embeddings of the masked graph.

Shared pieces: :mod:`~harness.objectives.graphs` (the batch vector of a ``Batch`` or a single
``Data``, random orders within graphs) and :mod:`~harness.objectives.contrast` (the binary
contrastive loss, the cyclic pairing of graphs, ``NotEnoughGraphs``).

The contract every objective keeps:

- It is an ``nn.Module`` with ``loss(gnn, batch, generator=None) -> Tensor``, a scalar to
  minimise, and ``per_example(gnn, batch, generator=None) -> Tensor``, the same loss as one term
  per example (a masked atom or node, a scored pair), whose mean is ``loss`` for the same random
  draws (AUX-TS weights each example). ``gnn`` is any module called as ``gnn(x, edge_index, edge_attr)`` that returns one
  row per node (``edge_attr`` is ``None`` for graphs without edge features); ``batch`` is a PyG
  ``Batch`` as ``torch_geometric.loader.DataLoader`` makes it (molecules: ``x`` (n, 2) long,
  [atom type, chirality]; ``edge_attr`` (e, 2) long, [bond type, bond direction]; each bond
  stored in both directions).
- The objective's own heads (prediction layer, context gnn, discriminator) are its parameters:
  ``torch.optim.Adam([*gnn.parameters(), *objective.parameters()])`` trains both; only the
  gnn is kept after pre-training.
- The input batch is never modified. Random choices come from torch's global generator (seed it
  with ``torch.manual_seed``) or from the ``generator`` passed to ``loss``, which must live on
  the batch's device.
- Objectives that contrast graphs (context prediction, infomax) need two usable graphs in the
  batch and raise :class:`~harness.objectives.contrast.NotEnoughGraphs` otherwise, so that a
  training loop can skip such a batch (or use ``drop_last``).

Importing this package imports no torch (the harness keeps ``import harness...`` cheap); each
submodule does, so import them where training runs. Plugins build on this package; it imports
none of them.
"""
