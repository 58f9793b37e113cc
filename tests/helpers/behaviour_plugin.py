"""A local plugin for tests: methods that misbehave on purpose, and one that reports what it
was given. Loaded with ``--plugin`` / ``Plugins(local_files=...)``."""

import os
import signal
import sys
import time

from harness import Component, Param, hookimpl


@hookimpl
def harness_methods():
    return [
        Component(
            kind="method",
            name="misbehave",
            factory="harness_local_behaviour_plugin:Misbehave",
            doc="Fails in the way its mode says.",
            params=(
                Param("mode", "str", "ok", "what to do", choices=("ok", "raise", "sigkill", "sleep", "nap", "slow-epochs", "fail-if-file", "sys-exit", "os-exit", "swallow-timeout", "block-sigalrm", "smuggle", "announce")),
                Param("flag_file", "str", "", "for fail-if-file: fail while this file exists; for announce: the folder to announce in"),
                Param("seconds", "float", 1.0, "for nap: how long to sleep", minimum=0),
            ),
        ),
        Component(
            kind="method",
            name="staged",
            factory="harness_local_behaviour_plugin:Staged",
            doc="A cached pre-training stage shared by every seed, then a constant prediction.",
            params=(Param("counter_file", "str", "", "a line is appended here each time the stage is built"),),
        ),
        Component(
            kind="method",
            name="spy",
            factory="harness_local_behaviour_plugin:Spy",
            doc="Reports what the task it receives holds, then predicts constant scores.",
        ),
    ]


def _constant(task):
    import torch

    width = task.num_outputs if task.task_type != "link-prediction" else None
    shape = lambda split: (task.items[split].size(-1),) + ((width,) if width else ())
    from harness.task import Predictions

    return Predictions(valid=torch.zeros(shape("valid")), test=torch.zeros(shape("test")))


class Misbehave:
    def __init__(self, mode, flag_file, seconds):
        self.mode, self.flag_file, self.seconds = mode, flag_file, seconds

    def run(self, task, encoder, backbone, context):
        if self.mode == "raise" or (self.mode == "fail-if-file" and os.path.exists(self.flag_file)):
            raise RuntimeError("misbehaving on purpose")
        if self.mode == "sigkill":
            os.kill(os.getpid(), signal.SIGKILL)
        if self.mode == "sleep":
            time.sleep(60)
        if self.mode == "nap":
            time.sleep(self.seconds)
        if self.mode == "announce":  # a file named by this process's id, holding its torch threads; then a nap
            _announce(self.flag_file)
            time.sleep(self.seconds)
        if self.mode == "sys-exit":
            sys.exit(0)
        if self.mode == "os-exit":
            os._exit(0)
        if self.mode == "swallow-timeout":  # catches the time limit's exception and goes on
            for epoch in range(100_000):
                try:
                    time.sleep(0.1)
                    context.log_epoch(epoch, valid=0.0)
                except Exception:  # noqa: BLE001 - misbehaving on purpose
                    pass
        if self.mode == "smuggle":  # predictions that run a command when unpickled
            predictions = _constant(task)
            predictions.test = _smuggler(predictions.test, f"touch {self.flag_file}")
            return predictions
        if self.mode == "block-sigalrm":
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            time.sleep(60)
        if self.mode == "slow-epochs":
            for epoch in range(600):
                time.sleep(0.1)
                context.log_epoch(epoch, valid=0.0)
        return _constant(task)


def _announce(folder):
    import torch

    from harness.atomic import write_bytes_atomic

    write_bytes_atomic(os.path.join(folder, str(os.getpid())), str(torch.get_num_threads()).encode())


def _smuggler(tensor, command):
    """``tensor`` as a subclass whose pickle runs ``command`` where it is loaded."""
    import torch

    class Smuggled(torch.Tensor):
        def __reduce_ex__(self, protocol):
            return (os.system, (command,))

    return tensor.as_subclass(Smuggled)


class Spy:
    def run(self, task, encoder, backbone, context):
        from harness.task import HiddenLabelError

        seen = {"label_splits": sorted(task.labels), "data_has_y": None, "graphs_have_y": None}
        if task.data is not None:
            seen["data_has_y"] = getattr(task.data, "y", None) is not None
        if task.graphs is not None:
            seen["graphs_have_y"] = any(getattr(g, "y", None) is not None for g in task.graphs)
        try:
            task.labels["test"]
            seen["test_labels_readable"] = True
        except HiddenLabelError:
            seen["test_labels_readable"] = False
        predictions = _constant(task)
        predictions.extra["seen"] = seen
        return predictions


class Staged:
    """Pre-trains once per dataset (not per seed): a stage without a seed."""

    def __init__(self, counter_file):
        self.counter_file = counter_file

    def _pretrain(self):
        import torch

        with open(self.counter_file, "a") as handle:
            handle.write("built\n")
        return {"weight": torch.arange(6.0).view(2, 3), "steps": torch.tensor(100)}

    def run(self, task, encoder, backbone, context):
        checkpoint = context.stage("test-checkpoint", self._pretrain, params={}, datasets=[task])
        predictions = _constant(task)
        predictions.extra["checkpoint_sum"] = float(checkpoint["weight"].sum())
        return predictions
