"""Node encoder (NE) + GNN methods on graphs whose nodes carry raw text or sequences.

A pretrained encoder (``lm``, ``plm``) turns each node's raw attribute into a vector and a GNN
backbone turns vectors plus graph into predictions. Training both end to end is costly, so every
method here trains them in stages and differs in what the encoder is trained toward. Each method
is its own plugin (its own entry point; declaration torch-free in ``<method>/__init__.py``, the
training in ``<method>/method.py``); they share the stages in this package:

- :mod:`.gnn_stage`: train a backbone on fixed node features, select the epoch on validation;
- :mod:`.encoder_stage`: fine-tune the encoder on mini-batches of nodes through a head;
- :mod:`.targets`: gold labels, soft pseudo-labels and the soft losses;
- :mod:`.propagation`: the mean-aggregation operator and its hop stack (Label Deconvolution);
- :mod:`.stage_encoder`: the encoder as a stage trains it; with only the top k blocks trainable
  (:mod:`.trainable_layers`, a CPU-budget switch) the frozen blocks' output is computed once
  for every node and cached (:mod:`.frozen_prefix`);
- :mod:`.params`: the shared parameter declarations and :func:`~.params.ne_method`.

Every method records the wall time of its parts in ``extra.seconds`` (``encoder``, ``gnn``,
``joint``); earlier stages are declared through ``context.stage`` with what they depend on (the
harness derives their keys, the method's version included), and the random state after a cached
stage is reseeded from the cell's seed, so a cell's result does not depend on whether another
cell filled the cache first.

Only node tasks (single-label and multi-label classification) are served.
"""
