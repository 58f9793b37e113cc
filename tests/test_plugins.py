"""Plugin discovery: a third-party distribution's entry point, a broken plugin, local plugin
files, and the environment switches. Distributions are made real for importlib.metadata by
writing a ``.dist-info`` folder beside the package on a temporary path entry."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.plugins import INTERNAL_PLUGINS, PluginError, Plugins
from harness.registry import Registry

EXAMPLE = Path(__file__).parent / "example_plugin" / "harness_example_plugin"


def _distribution(site: Path, name: str, entry_points: dict[str, str]) -> None:
    info = site / f"{name.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[harness]\n" + "".join(f"{k} = {v}\n" for k, v in entry_points.items()))


@pytest.fixture
def site(tmp_path):
    """A path entry holding the example plugin and a broken plugin, both as distributions."""
    site = tmp_path / "site"
    shutil.copytree(EXAMPLE, site / EXAMPLE.name)
    _distribution(site, "harness-example-plugin", {"example": "harness_example_plugin"})
    broken = site / "harness_broken_plugin"
    broken.mkdir()
    (broken / "__init__.py").write_text('raise RuntimeError("this plugin is broken on purpose")\n')
    _distribution(site, "harness-broken-plugin", {"broken": "harness_broken_plugin"})
    return site


@pytest.fixture
def on_path(site, monkeypatch):
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in ("harness_example_plugin", "harness_broken_plugin"):
        for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[module]


def _cli(args, site=None, cwd=None, **env):
    environment = {**os.environ, **env}
    if site is not None:
        environment["PYTHONPATH"] = os.pathsep.join([str(site), environment.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, env=environment, cwd=cwd, timeout=300)


def test_third_party_plugin_is_discovered_with_its_distribution(on_path):
    plugins = Plugins()
    registry = Registry.from_plugins(plugins)
    info = plugins.info("example")
    assert info is not None and info.distribution == "harness-example-plugin" and info.version == "0.1.0"
    assert registry.owners[("dataset", "karate")] == "example"
    assert registry.owners[("method", "label-propagation")] == "example"
    assert info.components == ["dataset:karate", "method:label-propagation", "method:transferred-propagation"]


def test_broken_plugin_is_reported_and_skipped(on_path):
    plugins = Plugins()
    (failure,) = [f for f in plugins.failed if f.name == "broken"]
    assert "broken on purpose" in failure.error and failure.distribution == "harness-broken-plugin"
    assert plugins.info("example") is not None  # the others still load


def test_strict_plugins_makes_a_broken_plugin_fatal(on_path):
    with pytest.raises(PluginError, match="broken on purpose"):
        Plugins(strict=True)


def test_environment_disables_or_restricts_autoloading(on_path, monkeypatch):
    monkeypatch.setenv("HARNESS_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert [p.name for p in Plugins().loaded] == list(INTERNAL_PLUGINS)
    monkeypatch.delenv("HARNESS_DISABLE_PLUGIN_AUTOLOAD")
    monkeypatch.setenv("HARNESS_PLUGINS", "example")
    plugins = Plugins()
    assert {p.name for p in plugins.loaded} == {*INTERNAL_PLUGINS, "example"} and not plugins.failed
    monkeypatch.delenv("HARNESS_PLUGINS")
    monkeypatch.setenv("HARNESS_BLOCK_PLUGINS", "broken")
    plugins = Plugins()
    assert not plugins.failed and plugins.info("example") is not None


def test_plugins_command_shows_distribution_file_components_and_failures(site):
    result = _cli(["plugins"], site=site)
    assert result.returncode == 0, result.stderr
    assert "example: harness-example-plugin 0.1.0" in result.stdout
    assert "harness_example_plugin/__init__.py" in result.stdout
    assert "dataset:karate, method:label-propagation, method:transferred-propagation" in result.stdout
    assert "broken: harness-broken-plugin 0.1.0 FAILED TO LOAD" in result.stdout
    assert "broken on purpose" in result.stdout
    strict = _cli(["plugins", "--strict-plugins"], site=site)
    assert strict.returncode == 2 and "broken on purpose" in strict.stderr and "Traceback" not in strict.stderr


def test_third_party_components_run_in_a_grid(site, tmp_path):
    grid = tmp_path / "grid.yaml"
    grid.write_text(yaml.safe_dump({"seeds": [0, 1], "datasets": ["karate"], "backbones": ["mlp"], "methods": ["label-propagation"]}))
    result = _cli(["run", "--grid", str(grid), "--results-dir", "results", "--cache-dir", "cache", "--leaderboard-dir", "boards"], site=site, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 complete, 0 failed" in result.stdout
    board = (tmp_path / "boards" / "karate.md").read_text()
    assert "label-propagation + mlp (ours)" in board
    assert "| Label propagation over 10 splits |" in board  # the entry the plugin ships
    compare = _cli(["compare", "--dataset", "karate", "--results-dir", "results"], site=site, cwd=tmp_path)
    assert compare.returncode == 0 and "Label propagation over 10 splits" in compare.stdout


def test_plugin_submission_folders_are_found_only_in_plugin_packages(on_path):
    from harness.submissions import load_submissions, plugin_folders

    folders = plugin_folders(Plugins())
    assert folders == [on_path / "harness_example_plugin" / "submissions"]
    (entry,) = load_submissions(["/nonexistent", *folders], "karate")
    assert entry.test.n == 10 and entry.match == {"method": "label-propagation"}


def test_example_dataset_is_read_from_its_table_and_the_data_root_first(on_path, tmp_path):
    import numpy as np

    from harness_example_plugin import TABLE

    (shipped,) = TABLE.require(str(tmp_path), "karate")
    assert shipped == on_path / "harness_example_plugin" / "data" / "karate.npz" and TABLE.check("karate", str(tmp_path), {}) == []
    own = tmp_path / "karate" / "karate.npz"
    own.parent.mkdir()
    arrays = dict(np.load(shipped))
    np.savez(own, **{**arrays, "labels": np.zeros_like(arrays["labels"])})  # a copy under the data root wins
    registry = Registry.from_plugins(Plugins())
    task = registry.get("dataset", "karate").load()(root=str(tmp_path), seed=3)
    assert task.info["file"] == str(own) and task.num_outputs == 1


def test_local_plugin_file(tmp_path):
    plugin = tmp_path / "my_local_plugin.py"
    plugin.write_text(
        '"""A local plugin."""\n'
        "from harness import Component, hookimpl\n\n"
        "@hookimpl\n"
        "def harness_encoders():\n"
        "    return [Component(kind='encoder', name='local-identity', factory='harness.identity:IdentityEncoder', doc='Identity again.')]\n"
    )
    plugins = Plugins(local_files=[plugin])
    registry = Registry.from_plugins(plugins)
    assert registry.owners[("encoder", "local-identity")] == "harness_local_my_local_plugin"
    listing = _cli(["list", "encoders", "--plugin", str(plugin)])
    assert listing.returncode == 0 and "local-identity" in listing.stdout


def test_local_plugin_file_that_raises_is_reported(tmp_path):
    plugin = tmp_path / "bad_local.py"
    plugin.write_text("raise ImportError('missing dependency xyz')\n")
    plugins = Plugins(local_files=[plugin])
    assert any("missing dependency xyz" in f.error for f in plugins.failed)
    result = _cli(["list", "--plugin", str(plugin)])
    assert result.returncode == 0 and "missing dependency xyz" in result.stderr
    assert _cli(["list", "--plugin", str(tmp_path / "absent.py"), "--strict-plugins"]).returncode == 2


def test_duplicate_component_names_are_reported_not_overwritten(tmp_path):
    plugin = tmp_path / "dup.py"
    plugin.write_text(
        "from harness import Component, hookimpl\n\n"
        "@hookimpl\n"
        "def harness_backbones():\n"
        "    return [Component(kind='backbone', name='gcn', factory='x:y', doc='An impostor.')]\n"
    )
    plugins = Plugins(local_files=[plugin])
    registry = Registry.from_plugins(plugins)
    assert registry.get("backbone", "gcn").doc != "An impostor."
    assert any("already provided" in p for p in registry.problems)


def test_listing_imports_no_torch():
    code = "import sys; from harness.cli import main; main(['list']); main(['plugins']); assert 'torch' not in sys.modules, 'torch imported'"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


MISSPELLED = (
    "from harness import Component, hookimpl\n\n"
    "@hookimpl\n"
    "def harness_dataset():\n"
    "    return [Component(kind='dataset', name='never-seen', factory='x:y', doc='Misspelled hook.')]\n"
)


def test_misspelled_hook_is_reported_like_a_broken_plugin(tmp_path):
    plugin = tmp_path / "misspelled.py"
    plugin.write_text(MISSPELLED)
    plugins = Plugins(local_files=[plugin])
    (failure,) = plugins.failed
    assert "unknown hook 'harness_dataset'" in failure.error
    assert "did you mean 'harness_datasets'?" in failure.error and "harness_methods" in failure.error
    assert plugins.info("harness_local_misspelled") is None
    with pytest.raises(PluginError, match="harness_dataset"):
        Plugins(local_files=[plugin], strict=True)
    listing = _cli(["list", "datasets", "--plugin", str(plugin)])
    assert listing.returncode == 0 and "unknown hook 'harness_dataset'" in listing.stderr
    strict = _cli(["list", "datasets", "--plugin", str(plugin), "--strict-plugins"])
    assert strict.returncode == 2 and "did you mean 'harness_datasets'?" in strict.stderr


def test_hook_without_marker_is_reported(tmp_path):
    plugin = tmp_path / "unmarked.py"
    plugin.write_text(MISSPELLED.replace("@hookimpl\n", "").replace("harness_dataset(", "harness_datasets("))
    (failure,) = Plugins(local_files=[plugin]).failed
    assert "'harness_datasets' without the @harness.hookimpl marker" in failure.error


def test_the_default_encoder_is_part_of_the_core(monkeypatch):
    monkeypatch.setenv("HARNESS_DISABLE_PLUGIN_AUTOLOAD", "1")
    registry = Registry.from_plugins(Plugins())
    assert registry.owners[("encoder", "identity")] == "harness.identity"
    assert registry.get("encoder", "identity").load()().encode(None) is None


def test_the_core_imports_no_plugin():
    """The core never names a plugin: no module of ``harness/`` imports a plugin package."""
    import ast

    core = Path(__file__).resolve().parent.parent / "harness"
    plugin_packages = {p.name for p in (core.parent / "plugins").glob("*/harness_*")}
    offenders = []
    for path in core.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.name}: {name}" for name in names if name.split(".")[0] in plugin_packages]
    assert plugin_packages and not offenders


def test_third_party_method_with_a_stage_and_a_dataset_reference(site, tmp_path):
    """The example plugin's ``transferred-propagation`` measures alpha on the dataset its
    ``corpus`` references: once per corpus (a stage), reused by every other cell."""
    import json

    methods = ["transferred-propagation", {"name": "transferred-propagation", "label": "from-seed-1", "params": {"corpus": {"name": "synthetic-node", "params": {"seed": 1}}}}]
    grid = tmp_path / "grid.yaml"
    grid.write_text(yaml.safe_dump({"seeds": [0, 1, 2], "datasets": ["karate"], "backbones": ["mlp"], "methods": methods}))
    result = _cli(["run", "--grid", str(grid), "--results-dir", "results", "--cache-dir", "cache"], site=site, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    records = [json.loads(p.read_text()) for p in (tmp_path / "results" / "karate").glob("*.json")]
    by_corpus = {}
    for record in records:
        corpus = record["config"]["method"]["params"]["corpus"]
        assert corpus["name"] == "synthetic-node" and corpus["version"]  # the reference's identity is in the cell id
        (stage,) = record["stages"]
        by_corpus.setdefault(json.dumps(corpus, sort_keys=True), []).append(stage)
    assert len(by_corpus) == 2
    for stages in by_corpus.values():
        assert len({s["key"] for s in stages}) == 1 and sorted(s["status"] for s in stages) == ["built", "reused", "reused"]
    keys = {stages[0]["key"] for stages in by_corpus.values()}
    assert len(keys) == 2  # another corpus, another stage
    alphas = {record["extra"]["alpha"] for record in records}
    assert len(alphas) == 2 and all(0.5 < alpha < 1 for alpha in alphas)  # the block model's homophily

    grid.write_text(yaml.safe_dump({"seeds": 1, "datasets": ["karate"], "backbones": ["mlp"], "methods": [{"name": "transferred-propagation", "params": {"corpus": "karat"}}]}))
    misspelled = _cli(["run", "--grid", str(grid), "--results-dir", "other"], site=site, cwd=tmp_path)
    assert misspelled.returncode == 2 and not (tmp_path / "other").exists()
    assert "methods[0].params.corpus: unknown dataset 'karat'" in misspelled.stderr and "did you mean 'karate'?" in misspelled.stderr
