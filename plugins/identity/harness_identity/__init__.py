"""The ``identity`` encoder: nodes keep the dataset's own features. Nothing is cached because
nothing is computed."""

from harness import Component, hookimpl


@hookimpl
def harness_encoders():
    return [
        Component(
            kind="encoder",
            name="identity",
            factory="harness_identity.encoder:IdentityEncoder",
            doc="The dataset's own node features, unchanged.",
            version="1",
            # its output is the dataset's own features: integer codes stay codes
            capabilities={"keeps-features"},
        )
    ]
