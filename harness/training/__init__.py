"""Shared training pieces: the public API a method plugin trains with.

- :mod:`harness.training.params` (torch-free, for declarations): the shared parameters
  ``epochs``, ``lr``, ``weight_decay``, ``patience``, ``batch_size``, ``fanout`` with one set of
  defaults (``TRAINING_PARAMS``; :func:`~harness.training.params.training_params` selects some
  and overrides defaults where a method's own setting differs) and ``TrainingSettings``, their
  values for one cell.
- :mod:`harness.training.epochs`: ``train_epochs``, the epoch loop with best-validation
  selection and patience; it logs each epoch through the run context (where the cell's time
  limit applies) and leaves the model in its best state (``BestEpoch``).
- :mod:`harness.training.neighbor_sampler`: ``neighbor_loader``, neighbour-sampled
  mini-batches of seed nodes (PyG's compiled sampler when installed, else
  ``PlainNeighborSampler``, plain torch).

Importing this package imports no torch: the last two modules do, so import them where a cell
runs (inside a method's factory or ``run``), never from a plugin's declaration module.
"""
