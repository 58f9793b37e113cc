"""ArtifactCache: content-addressed keys, build once, integrity checks, leftovers of killed
writers, cross-process build-once, and refusal of payloads that need arbitrary unpickling."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import multiprocessing
import os
import pickle
import time
from functools import partial
from pathlib import Path

import pytest
import torch

from harness.atomic import TEMP_PREFIX
from harness.cache import META, PAYLOAD, ArtifactCache, cache_key
from helpers.processes import dead_pid

DESCRIPTION = {
    "kind": "encoder-output",
    "dataset": {"name": "cora", "params": {"split": "public"}, "version": "1"},
    "encoder": {"name": "sbert", "params": {"model": "all-MiniLM-L6-v2", "max_length": 128}, "version": "3"},
    "seed": 0,
}


class Counter:
    """A build function that counts its calls."""

    def __init__(self, value=None):
        self.calls = 0
        self.value = value if value is not None else {"x": torch.arange(6, dtype=torch.float32).view(2, 3)}

    def __call__(self):
        self.calls += 1
        return self.value




def assert_same(a, b) -> None:
    """Deep equality for tensors, dicts, lists, tuples and plain values, dtypes included."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert torch.equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    else:
        assert a == b


# --- keys ---------------------------------------------------------------------------------


def _changed(path: tuple, value):
    description = copy.deepcopy(DESCRIPTION)
    target = description
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return description


def test_same_description_same_key():
    assert cache_key(DESCRIPTION) == cache_key(copy.deepcopy(DESCRIPTION))
    key = cache_key(DESCRIPTION)
    assert len(key) == 32 and int(key, 16) >= 0


def test_key_does_not_depend_on_dict_order():
    def reverse(value):
        if isinstance(value, dict):
            return {k: reverse(value[k]) for k in reversed(list(value))}
        return value

    reordered = reverse(DESCRIPTION)
    assert list(reordered) != list(DESCRIPTION)
    assert list(reordered["encoder"]["params"]) != list(DESCRIPTION["encoder"]["params"])
    assert cache_key(reordered) == cache_key(DESCRIPTION)


@pytest.mark.parametrize("path,value", [
    (("encoder", "params", "max_length"), 256),
    (("encoder", "params", "model"), "all-mpnet-base-v2"),
    (("encoder", "params", "pooling"), "mean"),  # a new parameter
    (("encoder", "version"), "4"),
    (("dataset", "version"), "2"),
    (("dataset", "params", "split"), "random"),
    (("dataset", "name"), "citeseer"),
    (("seed",), 1),
    (("kind",), "tokenised-input"),
])
def test_any_change_gives_another_key(path, value):
    assert cache_key(_changed(path, value)) != cache_key(DESCRIPTION)


def test_types_matter_in_the_key():
    assert cache_key({"seed": 1}) != cache_key({"seed": "1"})
    assert cache_key({"lr": 1}) != cache_key({"lr": 1.5})


# --- build once ---------------------------------------------------------------------------


def test_get_or_build_builds_once_then_serves_from_disk(tmp_path):
    cache = ArtifactCache(tmp_path)
    build = Counter()
    assert cache.get(DESCRIPTION) is None

    first = cache.get_or_build(DESCRIPTION, build)
    assert build.calls == 1
    assert_same(first, build.value)

    entry = cache.entry_dir(cache_key(DESCRIPTION))
    assert entry == tmp_path / cache_key(DESCRIPTION)[:2] / cache_key(DESCRIPTION)
    assert (entry / PAYLOAD).is_file() and (entry / META).is_file()
    meta = json.loads((entry / META).read_text())
    assert meta["description"] == DESCRIPTION
    assert meta["sha256"] == hashlib.sha256((entry / PAYLOAD).read_bytes()).hexdigest()

    for _ in range(3):
        assert_same(cache.get_or_build(DESCRIPTION, build), build.value)
    assert build.calls == 1

    # A new cache on the same folder (a later run) serves it from disk, too.
    later = ArtifactCache(tmp_path)
    other_build = Counter()
    assert_same(later.get_or_build(DESCRIPTION, other_build), build.value)
    assert_same(later.get(DESCRIPTION), build.value)
    assert other_build.calls == 0

    # A different description is a different entry.
    changed = _changed(("seed",), 7)
    assert_same(later.get_or_build(changed, Counter({"y": torch.ones(1)})), {"y": torch.ones(1)})
    assert_same(later.get(DESCRIPTION), build.value)
    assert_same(later.get(changed), {"y": torch.ones(1)})


def test_a_failing_build_leaves_nothing(tmp_path):
    cache = ArtifactCache(tmp_path)

    def broken():
        raise RuntimeError("out of memory (simulated)")

    with pytest.raises(RuntimeError, match="simulated"):
        cache.get_or_build(DESCRIPTION, broken)
    assert cache.get(DESCRIPTION) is None
    assert list(tmp_path.rglob(f"{TEMP_PREFIX}*")) == []
    build = Counter()
    cache.get_or_build(DESCRIPTION, build)
    assert build.calls == 1


PAYLOADS = {
    "tensor": torch.randn(5, 4, generator=torch.Generator().manual_seed(0)),
    "int tensor": torch.arange(10, dtype=torch.int64),
    "bool tensor": torch.tensor([True, False, True]),
    "half tensor": torch.linspace(0, 1, 7).half(),
    "dict of tensors": {"input_ids": torch.randint(0, 100, (3, 8)), "attention_mask": torch.ones(3, 8, dtype=torch.int64)},
    "list of tensors": [torch.zeros(2), torch.ones(3, 3), torch.full((1,), 7.0)],
    "nested": {"layers": [torch.eye(2), torch.eye(3)], "meta": {"dim": 384, "name": "sbert", "scale": 0.5}, "pair": (torch.ones(1), 2)},
    "state dict": torch.nn.Linear(3, 2).state_dict(),
}


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_payloads_round_trip(tmp_path, name):
    payload = PAYLOADS[name]
    description = {**DESCRIPTION, "payload": name}
    ArtifactCache(tmp_path).get_or_build(description, lambda: payload)
    loaded = ArtifactCache(tmp_path).get(description)  # from disk, by a new instance
    if name == "state dict":
        payload, loaded = dict(payload), dict(loaded)
    assert_same(loaded, payload)


def test_views_are_stored_as_their_values(tmp_path):
    base = torch.arange(100.0)
    payload = {"view": base[10:13]}
    ArtifactCache(tmp_path).get_or_build(DESCRIPTION, lambda: payload)
    assert_same(ArtifactCache(tmp_path).get(DESCRIPTION), {"view": torch.tensor([10.0, 11.0, 12.0])})


# --- integrity ----------------------------------------------------------------------------


def _flip_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    for i in range(middle, middle + 8):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def test_corrupted_payload_is_detected_quarantined_and_rebuilt(tmp_path):
    cache = ArtifactCache(tmp_path)
    original = {"x": torch.arange(1000, dtype=torch.float32)}
    cache.get_or_build(DESCRIPTION, lambda: original)
    entry = cache.entry_dir(cache_key(DESCRIPTION))
    _flip_bytes(entry / PAYLOAD)
    corrupted = (entry / PAYLOAD).read_bytes()

    rebuilt_value = {"x": torch.arange(1000, dtype=torch.float32) * 2}
    build = Counter(rebuilt_value)
    got = ArtifactCache(tmp_path).get_or_build(DESCRIPTION, build)
    assert build.calls == 1
    assert_same(got, rebuilt_value)
    assert_same(ArtifactCache(tmp_path).get(DESCRIPTION), rebuilt_value)

    quarantined = list((tmp_path / "corrupt").iterdir())
    assert len(quarantined) == 1
    assert (quarantined[0] / PAYLOAD).read_bytes() == corrupted  # kept for inspection, not served


def test_corrupted_payload_is_not_served_by_get(tmp_path):
    cache = ArtifactCache(tmp_path)
    cache.get_or_build(DESCRIPTION, Counter())
    _flip_bytes(cache.entry_dir(cache_key(DESCRIPTION)) / PAYLOAD)
    assert cache.get(DESCRIPTION) is None
    assert not cache.entry_dir(cache_key(DESCRIPTION)).exists()
    assert len(list((tmp_path / "corrupt").iterdir())) == 1


@pytest.mark.parametrize("damage", ["truncate payload", "delete payload", "delete meta", "garble meta", "meta without sha256", "meta not an object"])
def test_damaged_entries_are_rebuilt(tmp_path, damage):
    cache = ArtifactCache(tmp_path)
    cache.get_or_build(DESCRIPTION, Counter())
    entry = cache.entry_dir(cache_key(DESCRIPTION))
    if damage == "truncate payload":
        data = (entry / PAYLOAD).read_bytes()
        (entry / PAYLOAD).write_bytes(data[: len(data) // 2])
    elif damage == "delete payload":
        (entry / PAYLOAD).unlink()
    elif damage == "delete meta":
        (entry / META).unlink()
    elif damage == "garble meta":
        (entry / META).write_text('{"sha256": ')
    elif damage == "meta without sha256":
        (entry / META).write_text(json.dumps({"description": DESCRIPTION}))
    else:
        (entry / META).write_text(json.dumps([DESCRIPTION]))

    build = Counter({"fresh": torch.ones(2)})
    assert_same(cache.get_or_build(DESCRIPTION, build), {"fresh": torch.ones(2)})
    assert build.calls == 1
    assert_same(ArtifactCache(tmp_path).get(DESCRIPTION), {"fresh": torch.ones(2)})
    assert len(list((tmp_path / "corrupt").iterdir())) == 1


# --- leftovers of killed writers ----------------------------------------------------------


def _write_entry(folder: Path, payload, description=DESCRIPTION) -> None:
    """An entry as the cache writes one (payload and meta with a matching sha256); bytes are
    written as they are."""
    folder.mkdir(parents=True)
    if isinstance(payload, bytes):
        data = payload
    else:
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        data = buffer.getvalue()
    (folder / PAYLOAD).write_bytes(data)
    (folder / META).write_text(json.dumps({"description": description, "sha256": hashlib.sha256(data).hexdigest(), "created": time.time()}))


def test_temporary_folder_of_a_killed_writer_is_never_served_and_is_swept(tmp_path):
    opened_before = ArtifactCache(tmp_path)
    key = cache_key(DESCRIPTION)
    leftover = tmp_path / key[:2] / f"{TEMP_PREFIX}{dead_pid()}-{key}"
    _write_entry(leftover, {"poison": torch.full((3,), -1.0)})

    # Before any sweep, the leftover is not served.
    assert opened_before.get(DESCRIPTION) is None
    assert leftover.exists()

    cache = ArtifactCache(tmp_path)  # opening sweeps it
    assert not leftover.exists()
    assert list(tmp_path.rglob(f"{TEMP_PREFIX}*")) == []
    build = Counter({"good": torch.ones(3)})
    assert_same(cache.get_or_build(DESCRIPTION, build), {"good": torch.ones(3)})
    assert build.calls == 1
    assert_same(ArtifactCache(tmp_path).get(DESCRIPTION), {"good": torch.ones(3)})


def test_temporary_folder_of_a_live_writer_is_kept(tmp_path):
    key = cache_key({"other": 1})
    in_progress = tmp_path / key[:2] / f"{TEMP_PREFIX}{os.getpid()}-{key}"
    _write_entry(in_progress, {"partial": torch.zeros(1)})
    ArtifactCache(tmp_path)
    assert (in_progress / PAYLOAD).is_file()


def test_own_leftover_temporary_folder_is_replaced_on_build(tmp_path):
    cache = ArtifactCache(tmp_path)
    key = cache_key(DESCRIPTION)
    leftover = tmp_path / key[:2] / f"{TEMP_PREFIX}{os.getpid()}-{key}"
    _write_entry(leftover, {"poison": torch.full((3,), -1.0)})
    (leftover / "junk").write_text("x")

    build = Counter({"good": torch.ones(3)})
    assert_same(cache.get_or_build(DESCRIPTION, build), {"good": torch.ones(3)})
    assert not leftover.exists()
    entry = cache.entry_dir(key)
    assert sorted(p.name for p in entry.iterdir()) == sorted([META, PAYLOAD])
    assert_same(ArtifactCache(tmp_path).get(DESCRIPTION), {"good": torch.ones(3)})


# --- payloads that would need arbitrary unpickling ----------------------------------------


class _Trap:
    """Unpickling this runs ``open(marker, "w")``: proof that arbitrary code ran."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_the_trap_fires_when_loaded_without_weights_only(tmp_path):
    """The control for the next test: the trap payload does run code when fully unpickled."""
    marker = tmp_path / "control-marker"
    buffer = io.BytesIO()
    torch.save({"x": torch.ones(1), "trap": _Trap(marker)}, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    loaded["trap"].close()
    assert marker.exists()


@pytest.mark.parametrize("payload_kind", ["trap object", "custom class", "raw pickle", "empty", "garbage"])
def test_payload_needing_arbitrary_unpickling_is_refused_and_rebuilt(tmp_path, payload_kind):
    marker = tmp_path / "marker"
    cache_root = tmp_path / "cache"
    cache = ArtifactCache(cache_root)
    key = cache_key(DESCRIPTION)
    payload = {
        "trap object": {"x": torch.ones(2), "trap": _Trap(marker)},
        "custom class": {"x": Counter()},
        "raw pickle": pickle.dumps(_Trap(marker), protocol=2),  # not a torch zip file at all
        "empty": b"",
        "garbage": b"bad payload",
    }[payload_kind]
    _write_entry(cache.entry_dir(key), payload)

    assert cache.get(DESCRIPTION) is None
    assert not marker.exists()

    _write_entry(cache.entry_dir(key), payload)
    build = Counter({"safe": torch.zeros(2)})
    assert_same(cache.get_or_build(DESCRIPTION, build), {"safe": torch.zeros(2)})
    assert build.calls == 1
    assert not marker.exists()
    assert_same(ArtifactCache(cache_root).get(DESCRIPTION), {"safe": torch.zeros(2)})
    # Both untrusted entries were set aside, not deleted.
    assert len(list((cache_root / "corrupt").iterdir())) == 2


# --- two processes, one build -------------------------------------------------------------


def _slow_build(counter: str, tag: str):
    """Top level (importable by a spawned process): count the call, take a while, return a payload."""
    with open(counter, "a") as handle:
        handle.write(f"{tag} {os.getpid()}\n")
    time.sleep(0.5)
    return {"value": torch.arange(4) * 10, "built_by": tag}


def _build_in_process(root: str, counter: str, tag: str, barrier, out: str) -> None:
    cache = ArtifactCache(root)
    barrier.wait(timeout=60)
    payload = cache.get_or_build(DESCRIPTION, partial(_slow_build, counter, tag))
    Path(out).write_text(json.dumps({"value": payload["value"].tolist(), "built_by": payload["built_by"]}))


def test_concurrent_processes_build_once(tmp_path):
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    counter = tmp_path / "builds.txt"
    counter.touch()
    outs = [tmp_path / f"out-{i}.json" for i in range(2)]
    processes = [
        context.Process(target=_build_in_process, args=(str(tmp_path / "cache"), str(counter), f"p{i}", barrier, str(out)))
        for i, out in enumerate(outs)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    for process in processes:
        if process.is_alive():
            process.kill()
    assert [p.exitcode for p in processes] == [0, 0]

    builds = counter.read_text().splitlines()
    assert len(builds) == 1, builds
    results = [json.loads(out.read_text()) for out in outs]
    assert results[0] == results[1] == {"value": [0, 10, 20, 30], "built_by": builds[0].split()[0]}
    assert_same(ArtifactCache(tmp_path / "cache").get(DESCRIPTION), {"value": torch.arange(4) * 10, "built_by": builds[0].split()[0]})


def test_every_quarantined_entry_is_kept(tmp_path, monkeypatch):
    """Two entries of one key set aside within the same millisecond both stay in corrupt/."""
    import harness.cache

    frozen = time.time()
    monkeypatch.setattr(harness.cache.time, "time", lambda: frozen)
    cache = ArtifactCache(tmp_path)
    key = cache_key(DESCRIPTION)
    for i in range(3):
        entry = cache.entry_dir(key)
        _write_entry(entry, f"bad payload {i}".encode())
        (entry / META).write_text(json.dumps({"description": DESCRIPTION, "sha256": "0" * 64}))
        assert cache.get(DESCRIPTION) is None
    build = Counter()
    assert_same(cache.get_or_build(DESCRIPTION, build), build.value)
    monkeypatch.undo()
    kept = sorted((entry / PAYLOAD).read_bytes() for entry in (tmp_path / "corrupt").iterdir())
    assert kept == [f"bad payload {i}".encode() for i in range(3)]


def test_a_quarantined_entry_is_reported_in_one_line_with_why(tmp_path):
    """A corrupt entry used to be moved aside silently."""
    warnings: list[str] = []
    cache = ArtifactCache(tmp_path, warn=warnings.append)
    cache.get_or_build(DESCRIPTION, Counter())
    entry = cache.entry_dir(cache_key(DESCRIPTION))
    _flip_bytes(entry / PAYLOAD)
    assert cache.get(DESCRIPTION) is None
    warning, = warnings
    assert str(entry) in warning and "does not match its recorded sha256" in warning and "\n" not in warning
    assert cache.quarantined[0]["path"] == str(entry) and "sha256" in cache.quarantined[0]["reason"]
    # verify names its reason too: here a meta.json without the hash
    cache.get_or_build(DESCRIPTION, Counter())
    (entry / META).write_text(json.dumps({"description": DESCRIPTION}))
    assert cache.verify(cache_key(DESCRIPTION)) is False
    assert str(entry) in warnings[1] and "meta.json lacks 'sha256'" in warnings[1]
