"""``harness cache ls|rm|verify`` on a cache filled by a real run (stages of a method and of an
encoder) plus a loader's entry: listing, selection, refusals with exit 2, removal and the
quarantine of a corrupt entry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from harness.cache import PAYLOAD, ArtifactCache
from harness.cli import main

STAGE_PLUGIN = Path(__file__).parent / "helpers" / "stage_plugin.py"


@pytest.fixture
def cache_dir(harness_run, tmp_path) -> Path:
    """Two pre-training stages (seeds 0, 1), one encoder output, one loader entry (tokens)."""
    methods = [{"name": "pretrain-finetune", "label": f"seed-{seed}", "params": {"pretrain_seed": seed, "counter_file": str(tmp_path / "builds")}} for seed in (0, 1)]
    grid = {"seeds": 1, "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 120}}], "encoders": ["toy-encoder"], "backbones": ["mlp"], "methods": methods}
    folder = tmp_path / "cache"
    _, records = harness_run(grid, plugin_files=[STAGE_PLUGIN], cache_dir=str(folder))
    assert all(r["status"] == "complete" for r in records)
    ArtifactCache(folder).get_or_build({"kind": "tokens", "dataset": {"name": "synthetic-text"}}, lambda: {"ids": torch.arange(5)})
    return folder


def _cache(capsys, *args) -> tuple[int, str, str]:
    code = main(["cache", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _keys(folder: Path) -> list[str]:
    return [entry.key for entry in ArtifactCache(folder).entries()]


def _key_of(folder: Path, stage: str, seed=None) -> str:
    (key,) = [e.key for e in ArtifactCache(folder).entries() if (e.description.get("stage") or e.description.get("kind")) == stage
              and (seed is None or e.description.get("seed") == seed)]
    return key


def test_ls_lists_each_entry_with_its_stage_owner_datasets_and_size(cache_dir, capsys):
    code, out, _ = _cache(capsys, "ls", "--cache-dir", str(cache_dir))
    assert code == 0
    lines = out.splitlines()
    pretrain = [line for line in lines if " pretrain " in line]
    assert len(pretrain) == 2 and all("pretrain-finetune v1" in line and "synthetic-node" in line for line in pretrain)
    (encoder,) = [line for line in lines if "encoder-output" in line]
    assert "toy-encoder v1" in encoder and "synthetic-node" in encoder
    (tokens,) = [line for line in lines if " tokens " in line]
    assert "synthetic-text" in tokens
    assert lines[-1].startswith("4 entries")
    code, out, _ = _cache(capsys, "ls", "--cache-dir", str(cache_dir), "--component", "toy-encoder")
    assert code == 0 and "encoder-output" in out and " pretrain " not in out and out.splitlines()[-1].startswith("1 entry")


def test_cache_commands_do_not_import_torch(cache_dir):
    script = f"import sys; from harness.cli import main; main(['cache', 'ls', '--cache-dir', {str(cache_dir)!r}]); " \
             f"main(['cache', 'verify', '--cache-dir', {str(cache_dir)!r}]); assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)


@pytest.mark.parametrize("args, message", [
    (["rm"], "needs the entries to remove"),
    (["rm", "--all", "--stage", "pretrain"], "--all removes every entry"),
    (["rm", "zz12"], "hex digits"),
    (["rm", "ab"], "hex digits"),
    (["rm", "--component", "pretrain-finetun"], "did you mean 'pretrain-finetune'"),
    (["rm", "--stage", "pretrian"], "did you mean 'pretrain'"),
    (["ls", "--dataset", "synthetic-nod"], "did you mean 'synthetic-node'"),
])
def test_invalid_selections_exit_2_and_remove_nothing(cache_dir, capsys, args, message):
    before = _keys(cache_dir)
    code, _, err = _cache(capsys, args[0], "--cache-dir", str(cache_dir), *args[1:])
    assert code == 2 and message in err
    assert _keys(cache_dir) == before


def test_a_prefix_that_matches_no_entry_exits_2(cache_dir, capsys):
    unused = next(prefix for prefix in ("0000", "ffff", "1234") if not any(key.startswith(prefix) for key in _keys(cache_dir)))
    code, _, err = _cache(capsys, "rm", "--cache-dir", str(cache_dir), unused)
    assert code == 2 and "no entry's key starts with" in err and len(_keys(cache_dir)) == 4


def test_a_missing_cache_folder_exits_2(tmp_path, capsys):
    code, _, err = _cache(capsys, "ls", "--cache-dir", str(tmp_path / "nowhere"))
    assert code == 2 and "no cache folder" in err


def test_rm_removes_exactly_the_selected_entries(cache_dir, capsys):
    seed_one = _key_of(cache_dir, "pretrain", seed=1)
    code, out, _ = _cache(capsys, "rm", "--cache-dir", str(cache_dir), seed_one[:8].upper())
    assert code == 0 and seed_one in out and seed_one not in _keys(cache_dir) and len(_keys(cache_dir)) == 3
    code, _, _ = _cache(capsys, "rm", "--cache-dir", str(cache_dir), "--component", "pretrain-finetune")
    assert code == 0 and sorted(_keys(cache_dir)) == sorted([_key_of(cache_dir, "encoder-output"), _key_of(cache_dir, "tokens")])
    code, out, _ = _cache(capsys, "rm", "--cache-dir", str(cache_dir), "--all")
    assert code == 0 and _keys(cache_dir) == [] and "removed 2 entries" in out


def test_verify_quarantines_a_corrupt_entry_and_keeps_the_others(cache_dir, capsys):
    corrupt = _key_of(cache_dir, "pretrain", seed=0)
    cache = ArtifactCache(cache_dir)
    payload = cache.entry_dir(corrupt) / PAYLOAD
    data = bytearray(payload.read_bytes())
    data[len(data) // 2] ^= 0xFF
    payload.write_bytes(bytes(data))
    (cache.entry_dir(_key_of(cache_dir, "tokens")) / "meta.json").write_text("{not json")
    code, out, _ = _cache(capsys, "verify", "--cache-dir", str(cache_dir))
    assert code == 1 and corrupt in out and "2 corrupt" in out
    assert len(_keys(cache_dir)) == 2 and corrupt not in _keys(cache_dir)
    assert len(list((cache_dir / "corrupt").iterdir())) == 2
    code, out, _ = _cache(capsys, "verify", "--cache-dir", str(cache_dir))
    assert code == 0 and "verified 2 entries" in out and "0 corrupt" in out
