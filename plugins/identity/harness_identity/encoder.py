from harness.encoder import Encoder


class IdentityEncoder(Encoder):
    cacheable = False

    def encode(self, task):
        return None
