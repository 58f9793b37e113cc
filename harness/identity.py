"""The ``identity`` encoder, part of the core: nodes keep the dataset's own features.

A grid without an ``encoders`` axis uses it, so the core owns it instead of naming a plugin. It is
registered through the encoder hook like any plugin's encoder. Nothing is cached because nothing
is computed.
"""

from __future__ import annotations

from harness import Component, hookimpl
from harness.encoder import Encoder
from harness.features import KEEPS_FEATURES

#: the encoder of a grid that names none; tables leave it out of the method's name.
DEFAULT_ENCODER = "identity"


class IdentityEncoder(Encoder):
    """Keeps the task's own node features."""

    cacheable = False

    def encode(self, task):
        return None


@hookimpl
def harness_encoders():
    return [
        Component(
            kind="encoder",
            name=DEFAULT_ENCODER,
            factory="harness.identity:IdentityEncoder",
            doc="The dataset's own node features, unchanged.",
            version="1",
            # categorical node features (atom types) stay codes that backbones embed
            capabilities={KEEPS_FEATURES},
        )
    ]
