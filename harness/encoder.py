"""The node-encoder contract.

An encoder turns a task's raw attributes (or its features) into node features. A frozen encoder
implements :meth:`Encoder.encode`; its output is cached per (dataset, encoder, parameters,
version) by :meth:`harness.context.RunContext.encode`. A trainable encoder (a language model)
also exposes its module, tokenised inputs and pooling so that methods can fine-tune it; the
methods that need that declare ``needs={"trainable"}`` and such encoders declare the
``trainable`` capability.
"""

from __future__ import annotations

from typing import Any


class Encoder:
    #: False for encoders whose output is cheap or already stored (identity): nothing is cached.
    cacheable: bool = True

    def encode(self, task) -> Any:
        """Node features for every node of ``task`` (a :class:`harness.task.TaskView`), rows in
        node order (graphs concatenated for graph-level tasks); None keeps the task's own."""
        raise NotImplementedError

    def modules(self) -> list:
        """The ``torch.nn.Module`` objects whose parameters count toward the cell's #params."""
        return []

    def to(self, device) -> "Encoder":
        """Run on ``device`` (the run's ``--device``, resolved): the harness calls this before
        the method runs. Encoders that compute on the CPU only keep the default, which does
        nothing."""
        return self
