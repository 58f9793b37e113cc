"""A local plugin for the stage tests: a method that pre-trains on a corpus dataset (a stage of
its own seed) and then "fine-tunes" on the cell's dataset, and a frozen encoder whose output is
an encoder-owned stage. The versions are module constants so that a test can register a
modified declaration (a copy of this file with one version bumped)."""

from harness import Component, Param, hookimpl

METHOD_VERSION = "1"
ENCODER_VERSION = "1"


@hookimpl
def harness_methods():
    return [
        Component(
            kind="method",
            name="pretrain-finetune",
            factory="harness_local_stage_plugin:PretrainFinetune",
            doc="Pre-trains on a corpus (a stage per pre-training seed), then a constant prediction.",
            version=METHOD_VERSION,
            params=(
                Param("corpus", "str", "synthetic-node", "the dataset pre-trained on"),
                Param("corpus_nodes", "int", 100, "the corpus's size (a parameter of its dataset)"),
                Param("pretrain_epochs", "int", 2, "a parameter of the pre-training stage"),
                Param("pretrain_seed", "int", 0, "the pre-training stage's seed"),
                Param("head_scale", "float", 1.0, "a downstream-only parameter"),
                Param("counter_file", "str", "", "a line is appended here each time the stage is built"),
            ),
        )
    ]


@hookimpl
def harness_encoders():
    return [
        Component(
            kind="encoder",
            name="toy-encoder",
            factory="harness_local_stage_plugin:ToyEncoder",
            doc="The dataset's features doubled (its output is a cached, encoder-owned stage).",
            version=ENCODER_VERSION,
        )
    ]


class ToyEncoder:
    cacheable = True

    def encode(self, task):
        return task.data.x * 2

    def modules(self):
        return []


class PretrainFinetune:
    def __init__(self, corpus, corpus_nodes, pretrain_epochs, pretrain_seed, head_scale, counter_file):
        self.corpus, self.corpus_nodes, self.pretrain_epochs = corpus, corpus_nodes, pretrain_epochs
        self.pretrain_seed, self.head_scale, self.counter_file = pretrain_seed, head_scale, counter_file

    def _pretrain(self, corpus):
        import torch

        with open(self.counter_file, "a") as handle:
            handle.write("built\n")
        # a random draw: the harness seeds the build with the stage's seed
        return {"weights": torch.rand(3), "corpus_nodes": corpus.data.num_nodes, "epochs": self.pretrain_epochs}

    def run(self, task, encoder, backbone, context):
        import torch

        from harness.task import Predictions

        task = context.encode(task, encoder)
        corpus = context.load_task(self.corpus, num_nodes=self.corpus_nodes)
        checkpoint = context.stage("pretrain", lambda: self._pretrain(corpus), params={"epochs": self.pretrain_epochs},
                                   datasets=[corpus], seed=self.pretrain_seed)
        after = torch.rand(2)  # the same whether the stage was built or reused
        shape = lambda split: (task.items[split].size(-1), task.num_outputs)
        return Predictions(valid=torch.zeros(shape("valid")), test=torch.zeros(shape("test")),
                           extra={"weights": checkpoint["weights"].tolist(), "after": after.tolist(), "head_scale": self.head_scale})
