"""A local plugin for tests: a method that tries every route to the test labels it can think of
while it runs, predicts with what it found, and reports each route's findings in
``extra["found"]`` (route -> what it found there; empty when it found nothing).

Routes: the objects reachable from what the method was given (the view, the encoder, the
backbone factory, the context: attributes, containers, closures), the callers' frames and their
locals, every live object (``gc.get_objects()``), the context's old private handles, the view's
``info``, the environment (``os.environ`` and ``/proc/self/environ``) and the hidden mapping's
insides. What it looks for: a task bundle (``harness.task.Task``), a registry, plugin manager or
dataset component (a way to call a dataset factory), a file path naming the data, and integer
tensors as long as the test split (candidate test labels: their sha256 goes in
``extra["candidates"]`` for the test to compare with the truth).

It does not import a dataset plugin or open files under the data root itself: that is the
matter of trust the isolation docs name.
"""

import gc
import hashlib
import os
import sys
import types

from harness import Component, hookimpl


@hookimpl
def harness_methods():
    return [Component(kind="method", name="label-thief", factory="harness_local_label_thief:LabelThief",
                      doc="Looks for the test labels by every route it knows; predicts with what it finds.")]


LOOKED_FOR = ("Task", "Registry", "PluginManager", "Plugins")


def label_hash(tensor) -> str:
    import torch

    return hashlib.sha256(tensor.to(torch.int64).contiguous().numpy().tobytes()).hexdigest()


class LabelThief:
    def run(self, task, encoder, backbone, context):
        import torch

        from harness.task import Predictions

        test_size = task.items["test"].size(-1)
        self.found = {route: [] for route in ("given", "frames", "gc", "context", "info", "environ", "hidden")}
        self.candidates = {}
        self.stolen = None
        self._walk("given", [task, encoder, backbone, context], test_size)
        self._frames(test_size)
        self._gc(test_size)
        for name in ("_registry", "_plugins", "data_root"):
            if hasattr(context, name):
                self.found["context"].append(name)
        self.found["info"] = [f"{key}={value}" for key, value in task.info.items() if isinstance(value, str) and os.sep in value]
        self._environ()
        if "test" in getattr(task.labels, "_labels", {}):
            self.found["hidden"].append("test split inside the hidden mapping")

        test = torch.zeros(test_size, task.num_outputs)
        stolen = self.stolen if self.stolen is not None else next(iter(self.candidates.values()), None)
        if stolen is not None:
            test[torch.arange(test_size), stolen.clamp(0, task.num_outputs - 1)] = 1.0
        valid = torch.zeros(task.items["valid"].size(-1), task.num_outputs)
        found = {route: sorted(set(map(str, items)))[:200] for route, items in self.found.items()}
        return Predictions(valid=valid, test=test, extra={"found": found, "candidates": sorted(self.candidates)})

    # -- what counts as a find ---------------------------------------------------------------

    def _inspect(self, route, value, test_size):
        import torch

        kind = type(value).__name__
        if kind in LOOKED_FOR and type(value).__module__.startswith(("harness", "pluggy")):
            self.found[route].append(f"{type(value).__module__}.{kind}")
            if kind == "Task":  # the bundle itself: its test labels are the best find
                self.stolen = value.labels["test"]
        elif kind == "Component" and getattr(value, "kind", None) == "dataset":
            self.found[route].append(f"dataset component {value.name}")
        elif isinstance(value, str) and os.sep in value and ("shared" in value or "data" in value.split(os.sep)) and os.path.exists(value):
            self.found[route].append(f"path {value}")
        elif isinstance(value, torch.Tensor) and value.dim() == 1 and len(value) == test_size and not value.is_floating_point() and value.dtype != torch.bool:
            self.candidates.setdefault(label_hash(value), value)

    def _walk(self, route, roots, test_size, limit=200_000):
        """Everything reachable from ``roots`` by attributes, containers and closures (not
        module globals: importing a module is the trust the docs name)."""
        seen, stack = set(), list(roots)
        while stack and len(seen) < limit:
            value = stack.pop()
            if id(value) in seen or isinstance(value, (types.ModuleType, type)):
                continue
            seen.add(id(value))
            self._inspect(route, value, test_size)
            stack.extend(_children(value))

    def _frames(self, test_size):
        frame = sys._getframe(1)
        roots = []
        while frame is not None:
            roots.extend(frame.f_locals.values())
            frame = frame.f_back
        self._walk("frames", roots, test_size)

    def _gc(self, test_size):
        for value in gc.get_objects():
            try:
                self._inspect("gc", value, test_size)
            except Exception:  # noqa: BLE001 - an object that refuses inspection hides nothing
                pass

    def _environ(self):
        if os.environ.get("HARNESS_DATA_ROOT"):
            self.found["environ"].append("HARNESS_DATA_ROOT in os.environ")
        try:
            with open("/proc/self/environ", "rb") as handle:
                if b"HARNESS_DATA_ROOT=" in handle.read():
                    self.found["environ"].append("HARNESS_DATA_ROOT in /proc/self/environ")
        except OSError:
            pass


def _children(value):
    import torch

    if isinstance(value, (str, bytes, int, float, bool, type(None), torch.Tensor)):
        return []
    children = []
    if isinstance(value, dict) or hasattr(value, "items") and callable(getattr(value, "items", None)) and not isinstance(value, type):
        try:
            children.extend(v for pair in value.items() for v in pair)
        except Exception:  # noqa: BLE001
            pass
    elif isinstance(value, (list, tuple, set, frozenset)):
        children.extend(value)
    if isinstance(value, types.FunctionType):
        children.extend(cell.cell_contents for cell in (value.__closure__ or ()) if _filled(cell))
        children.extend(value.__defaults__ or ())
    elif isinstance(value, types.MethodType):
        children.append(value.__self__)
    attributes = getattr(value, "__dict__", None)
    if isinstance(attributes, dict):
        children.extend(attributes.values())
    for slot in getattr(type(value), "__slots__", ()):
        if isinstance(slot, str) and hasattr(value, slot):
            children.append(getattr(value, slot))
    if isinstance(value, torch.nn.Module):
        children.extend(value.modules())
    if hasattr(value, "to_dict") and type(value).__module__.startswith("torch_geometric"):
        children.extend(value.to_dict().values())  # a graph's stored attributes
    return children


def _filled(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True
