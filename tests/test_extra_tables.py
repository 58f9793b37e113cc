"""Extra leaderboards a grid asks for (harness.extra_tables): a dataset's table in another
metric its records report, and a group's average over its datasets, per seed, only over seeds
where every dataset of the group has a record."""

from __future__ import annotations

import statistics

import pytest
import yaml

from harness.extra_tables import TableRequest, extra_tables, group_tables
from harness.record import Record

GRID = {
    "name": "tables",
    "seeds": [0, 1],
    "groups": {"pair": [{"name": "synthetic-ranking", "params": {"num_nodes": 60}}, {"name": "synthetic-ranking", "params": {"num_nodes": 80}}]},
    "datasets": ["pair"],
    "backbones": [{"name": "anygraph-expert", "params": {"layers": 1}}],
    "methods": [{"name": "anygraph-features", "params": {"dim": 8}}, {"name": "anygraph-untrained", "params": {"dim": 8}}],
    "leaderboards": {"metrics": ["recall@20", "ndcg@20"], "groups": ["pair"]},
}


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    from harness import metrics
    from harness.executors import LocalExecutor
    from harness.grid import load_grid
    from harness.registry import load_registry
    from harness.runner import run_grid
    from harness.settings import RunSettings
    from harness.store import ResultStore

    folder = tmp_path_factory.mktemp("tables")
    (folder / "grid.yaml").write_text(yaml.safe_dump(GRID))
    plugins, registry = load_registry(())
    metrics.use(registry)
    settings = RunSettings(results_dir=str(folder / "results"), cache_dir=str(folder / "cache"), data_root=str(folder / "data"))
    grid = load_grid(folder / "grid.yaml", registry)
    assert grid.tables == TableRequest(metrics=("recall@20", "ndcg@20"), groups={"pair": ("synthetic-ranking", "synthetic-ranking")})
    run_grid(grid, settings, plugins, registry, LocalExecutor())
    typed = [Record.of(r) for r in ResultStore(settings.results_dir).records()]
    assert len(typed) == 8 and all(r.complete for r in typed)
    return typed


def _row(table, method):
    return next(row for row in table[2] if row.method.startswith(method))


def test_a_metric_table_ranks_by_the_metric_the_records_report(records):
    tables = extra_tables(records, TableRequest(metrics=("recall@20",)))
    assert set(tables) == {"synthetic-ranking-recall-at-20"}
    metric, higher, rows = tables["synthetic-ranking-recall-at-20"]
    assert metric == "recall@20" and higher and len(rows) == 4  # 2 methods x 2 dataset entries
    recorded = sorted(r.metrics["test"]["recall@20"] for r in records)
    assert sorted(score for row in rows for score in row.test_scores) == pytest.approx(recorded)


def test_a_group_row_averages_its_datasets_per_seed(records):
    tables = group_tables(records, "pair", ["synthetic-ranking"], ["recall@20"])
    assert set(tables) == {"group-pair-mrr", "group-pair-recall-at-20"}
    row = _row(tables["group-pair-recall-at-20"], "anygraph-features")
    per_seed = []
    for seed in (0, 1):
        scores = [r.metrics["test"]["recall@20"] for r in records if r.seed == seed and r.config["method"]["name"] == "anygraph-features"]
        assert len(scores) == 2
        per_seed.append(statistics.mean(scores))
    assert sorted(row.test_scores) == pytest.approx(sorted(per_seed))
    assert row.config["dataset"]["params"]["datasets"] == ["synthetic-ranking", "synthetic-ranking"]


def test_a_seed_missing_one_dataset_leaves_the_group_row(records):
    missing = next(r for r in records if r.seed == 1 and r.config["method"]["name"] == "anygraph-features")
    tables = group_tables([r for r in records if r is not missing], "pair", ["synthetic-ranking"])
    assert len(_row(tables["group-pair-mrr"], "anygraph-features").test_scores) == 1
    assert len(_row(tables["group-pair-mrr"], "anygraph-untrained").test_scores) == 2


def test_the_grid_refuses_unknown_metrics_and_groups(tmp_path, capsys):
    from harness.cli import main

    grid = {**GRID, "leaderboards": {"metrics": ["recal@20"], "groups": ["pairs"], "colours": []}}
    (tmp_path / "grid.yaml").write_text(yaml.safe_dump(grid))
    assert main(["run", "--grid", str(tmp_path / "grid.yaml"), "--results-dir", str(tmp_path / "results"), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "leaderboards.metrics[0]: unknown metric 'recal@20'" in err and "leaderboards.groups[0]: unknown group 'pairs'" in err
    assert "leaderboards.colours: unknown key" in err


def test_the_leaderboard_command_renders_the_grids_extra_tables(records, tmp_path):
    from harness.cli import main
    from harness.store import ResultStore

    store = ResultStore(str(tmp_path / "results"))
    for record in records:
        store.write(record)
    (tmp_path / "grid.yaml").write_text(yaml.safe_dump(GRID))
    assert main(["leaderboard", "--results-dir", str(tmp_path / "results"), "--out", str(tmp_path / "tables"), "--grid", str(tmp_path / "grid.yaml")]) == 0
    rendered = {path.name for path in (tmp_path / "tables").glob("*.md")}
    assert {"synthetic-ranking.md", "synthetic-ranking-ndcg-at-20.md", "group-pair-mrr.md", "group-pair-recall-at-20.md", "group-pair-ndcg-at-20.md"} <= rendered
