"""Leaderboards: aggregation over seeds, ranking, significance, submitted entries, rendering,
and the ``harness leaderboard`` / ``harness compare`` commands."""

from __future__ import annotations

import csv
import io
import re
import statistics
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats as scipy_stats

from harness.compare import comparison_table
from harness.leaderboard import Row, build_tables, rank, render, rows_from_records
from harness.stats import ScoreSummary, significance_mark, welch_p_value
from harness.submissions import SubmissionError, load_submission, load_submissions, submitted_datasets
from leaderboard_records import make_record, records_for, write_records

REPO = Path(__file__).resolve().parent.parent
SUBMISSIONS = REPO / "leaderboards" / "submissions"
DOC = REPO.parent / "shared" / "docs" / "leaderboards.md"
SEEDED = ("ogbn-proteins", "ogbn-arxiv", "ogbn-products", "cora", "citeseer")
FOUR_DECIMALS = re.compile(r"^\d+\.\d{4} ± \d+\.\d{4}$")


def harness(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def table_of(records) -> tuple[str, bool, list[Row]]:
    tables = rows_from_records(records)
    assert len(tables) == 1
    return next(iter(tables.values()))


def submitted_row(name: str, mean: float, std: float | None = None, n: int = 10, **match) -> Row:
    return Row(method=name, test=ScoreSummary(mean, std, n), valid=None, ext_data=False, params=None, hardware=None,
               date=None, references="ref", submitted=True, config={axis: {"name": name} for axis, name in match.items()})


# -- aggregation -------------------------------------------------------------------------------


def test_mean_and_unbiased_std_over_seeds():
    tests = [0.80, 0.82, 0.87, 0.79]
    valids = [0.70, 0.71, 0.75, 0.73]
    records = [make_record(seed=s, test=t, valid=v) for s, (t, v) in enumerate(zip(tests, valids))]
    metric, higher, [row] = table_of(records)
    assert (metric, higher) == ("acc", True)
    assert row.test.n == 4 and row.valid.n == 4
    assert row.test.mean == pytest.approx(statistics.fmean(tests))
    assert row.test.std == pytest.approx(statistics.stdev(tests))
    assert row.test.std == pytest.approx(pd.Series(tests).std())  # pandas' default is ddof=1
    assert row.test.std != pytest.approx(statistics.pstdev(tests))
    assert row.valid.std == pytest.approx(statistics.stdev(valids))
    assert sorted(row.test_scores) == sorted(tests)
    assert not row.submitted and row.params == 1000 and row.date == "2024-05-01"


def test_single_seed_has_no_std():
    _, _, [row] = table_of([make_record(test=0.8)])
    assert row.test.n == 1 and row.test.std is None
    assert row.test.format() == "0.8000"


def test_rows_group_by_configuration_without_the_seed():
    records = (
        records_for([0.80, 0.81, 0.82], backbone="gcn")
        + records_for([0.70, 0.72], backbone="mlp")
        + records_for([0.90, 0.91, 0.92], backbone="gcn", backbone_params={"hidden": 64})
    )
    _, _, rows = table_of(records)
    by_scores = {tuple(sorted(row.test_scores)): row for row in rows}
    assert set(by_scores) == {(0.80, 0.81, 0.82), (0.70, 0.72), (0.90, 0.91, 0.92)}
    assert [by_scores[(0.70, 0.72)].test.n, by_scores[(0.80, 0.81, 0.82)].test.n] == [2, 3]
    assert all("seed" not in row.config for row in rows)
    # two gcn rows with different hidden widths keep different configurations (and config ids)
    gcn_rows = [row for row in rows if row.config["backbone"]["name"] == "gcn"]
    assert len(gcn_rows) == 2 and gcn_rows[0].references != gcn_rows[1].references
    assert {row.method for row in rows} == {"supervised + gcn", "supervised + mlp"}


def test_rows_are_per_dataset_with_their_metric():
    records = records_for([0.8, 0.9], dataset="cora") + records_for([0.5, 0.6], dataset="synthetic-graph-regression", metric="rmse")
    tables = rows_from_records(records)
    assert set(tables) == {"cora", "synthetic-graph-regression"}
    assert tables["cora"][:2] == ("acc", True)
    assert tables["synthetic-graph-regression"][:2] == ("rmse", False)


def test_failed_records_are_excluded():
    records = records_for([0.80, 0.84]) + [
        make_record(seed=2, status="failed"),
        make_record(seed=3, status="timeout"),
        make_record(dataset="citeseer", seed=0, status="failed"),
    ]
    tables = rows_from_records(records)
    assert set(tables) == {"cora"}  # a dataset with failures only has no table
    [row] = tables["cora"][2]
    assert row.test.n == 2 and row.test.mean == pytest.approx(0.82)


def test_labels_and_encoder_in_method_name():
    records = records_for([0.8, 0.9], encoder="sbert", external_data=True, labels={"method": "Supervised", "backbone": "GCN-2"})
    _, _, [row] = table_of(records)
    assert row.method == "Supervised + GCN-2 [sbert]"
    assert row.ext_data is True


# -- ranking and significance ------------------------------------------------------------------


def test_competition_ranks_for_equal_means():
    rows = [submitted_row("c", 0.80), submitted_row("a", 0.90), submitted_row("b", 0.90), submitted_row("d", 0.70)]
    ordered = rank(rows, higher_is_better=True)
    assert [row.method for row in ordered][2:] == ["c", "d"]
    assert [row.rank for row in ordered] == [1, 1, 3, 4]

    ordered = rank([submitted_row("x", 0.9), submitted_row("y", 0.8), submitted_row("z", 0.8), submitted_row("w", 0.7)], True)
    assert [row.rank for row in ordered] == [1, 2, 2, 4]


def test_equal_means_up_to_float_noise_share_a_rank():
    # 0.8 over three seeds averages to 0.8000000000000002, over two to 0.8
    three, two = ScoreSummary.of([0.8, 0.8, 0.8]), ScoreSummary.of([0.8, 0.8])
    assert three.mean != two.mean
    ordered = rank([submitted_row("three", three.mean, three.std, 3), submitted_row("two", two.mean, two.std, 2),
                    submitted_row("low", 0.7, 0.0, 2)], True)
    assert [row.rank for row in ordered] == [1, 1, 3]
    assert ordered[1].tied_with_best and ordered[2].p_vs_best == 0.0 and not ordered[2].tied_with_best


def test_lower_is_better_ranks_ascending(tmp_path):
    records = (
        records_for([0.50, 0.52, 0.51], dataset="synthetic-graph-regression", metric="rmse", backbone="gin")
        + records_for([0.30, 0.31, 0.29], dataset="synthetic-graph-regression", metric="rmse", backbone="gcn")
        + records_for([0.90, 0.95, 0.93], dataset="synthetic-graph-regression", metric="rmse", backbone="mlp")
    )
    metric, higher, rows = table_of(records)
    assert higher is False
    ordered = rank(rows, higher)
    assert [row.config["backbone"]["name"] for row in ordered] == ["gcn", "gin", "mlp"]
    assert [row.rank for row in ordered] == [1, 2, 3]
    md_path, _ = render("synthetic-graph-regression", metric, higher, rows, tmp_path)
    text = md_path.read_text()
    assert "lower is better" in text and "Test rmse" in text
    assert text.index("supervised + gcn") < text.index("supervised + gin") < text.index("supervised + mlp")


def test_rows_tied_with_the_best_are_marked(tmp_path):
    best = [0.800, 0.810, 0.790, 0.805, 0.800]
    close = [0.799, 0.806, 0.792, 0.801, 0.800]
    far = [0.700, 0.710, 0.705, 0.695, 0.702]
    records = records_for(best, backbone="gcn") + records_for(close, backbone="sage") + records_for(far, backbone="mlp")
    metric, higher, rows = table_of(records)
    ordered = {row.config["backbone"]["name"]: row for row in rank(rows, higher)}
    expected_close = scipy_stats.ttest_ind(close, best, equal_var=False).pvalue
    assert ordered["sage"].p_vs_best == pytest.approx(expected_close, rel=1e-6)
    assert expected_close >= 0.05 and ordered["sage"].tied_with_best
    assert ordered["mlp"].p_vs_best < 0.05 and not ordered["mlp"].tied_with_best
    assert ordered["gcn"].rank == 1 and ordered["gcn"].tied_with_best and ordered["gcn"].p_vs_best is None

    md_path, csv_path = render("cora", metric, higher, rows, tmp_path)
    ranks = {row["Method"]: row["Rank"] for row in csv.DictReader(io.StringIO(csv_path.read_text()))}
    assert ranks == {"supervised + gcn (ours)": "1", "supervised + sage (ours)": "2*", "supervised + mlp (ours)": "3"}


def test_rows_without_a_spread_are_never_marked_tied():
    ordered = rank([submitted_row("best", 0.83, 0.007, 100), submitted_row("bare", 0.829, None, 100)], True)
    assert ordered[1].p_vs_best is None and not ordered[1].tied_with_best


def test_submitted_rows_mix_with_ours(tmp_path):
    records = records_for([0.820, 0.822, 0.818, 0.821, 0.819], dataset="cora", backbone="gcn")
    tables = build_tables(records, SUBMISSIONS, ["cora"])
    metric, higher, rows = tables["cora"]
    assert (metric, higher) == ("acc", True)
    ordered = rank(rows, higher)
    assert [(row.method, row.submitted) for row in ordered] == [
        ("GAT", True), ("supervised + gcn", False), ("GCN", True)]
    assert [row.rank for row in ordered] == [1, 2, 3]
    # ours (n = 5) against GAT's reported 0.830 ± 0.007 over 100 runs
    p_value = scipy_stats.ttest_ind_from_stats(0.82, statistics.stdev([0.820, 0.822, 0.818, 0.821, 0.819]), 5,
                                               0.830, 0.007, 100, equal_var=False).pvalue
    assert ordered[1].p_vs_best == pytest.approx(p_value, rel=1e-6)


def test_build_tables_lists_datasets_with_submissions_only():
    tables = build_tables([], SUBMISSIONS)
    assert set(SEEDED) <= set(tables)
    assert tables["ogbn-proteins"][:2] == ("rocauc", True)
    assert all(row.submitted for row in tables["ogbn-arxiv"][2])


def test_submission_contact_is_shown(tmp_path):
    folder = tmp_path / "subs" / "cora"
    folder.mkdir(parents=True)
    (folder / "x.yaml").write_text("method: X\ntest: {mean: 0.8, std: 0.01}\nseeds: 10\nsource: s\ncontact: Jane Doe (jane@example.org)\n")
    metric, higher, rows = build_tables(records_for([0.7, 0.71]), tmp_path / "subs", ["cora"])["cora"]
    _, csv_path = render("cora", metric, higher, rows, tmp_path / "boards")
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    assert frame.set_index("Method")["Contact"].to_dict() == {"X": "Jane Doe (jane@example.org)", "supervised + gcn (ours)": ""}


def test_build_tables_metric_from_dataset_file(tmp_path):
    folder = tmp_path / "subs" / "toy-regression"
    folder.mkdir(parents=True)
    (folder / "_dataset.yaml").write_text("metric: rmse\n")
    (folder / "a.yaml").write_text("method: A\ntest: {mean: 0.5, std: 0.1}\nseeds: 10\nsource: test\n")
    (folder / "b.yaml").write_text("method: B\ntest: {mean: 0.3, std: 0.1}\nseeds: 10\nsource: test\n")
    metric, higher, rows = build_tables([], tmp_path / "subs")["toy-regression"]
    assert (metric, higher) == ("rmse", False)
    assert [row.method for row in rank(rows, higher)] == ["B", "A"]


# -- rendering ---------------------------------------------------------------------------------


def test_markdown_and_csv_have_ogb_columns(tmp_path):
    records = records_for([0.7101, 0.7123, 0.7089], dataset="ogbn-arxiv", num_params=110120)
    metric, higher, rows = build_tables(records, SUBMISSIONS, ["ogbn-arxiv"])["ogbn-arxiv"]
    md_path, csv_path = render("ogbn-arxiv", metric, higher, rows, tmp_path / "boards")
    assert md_path == tmp_path / "boards" / "ogbn-arxiv.md" and csv_path.name == "ogbn-arxiv.csv"

    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    for column in ("Rank", "Method", "Ext. data", "Test acc", "Validation acc", "Runs", "Protocol", "#Params", "Hardware", "Date", "Contact", "References"):
        assert column in frame.columns, column
    assert list(frame.columns[:5]) == ["Rank", "Method", "Ext. data", "Test acc", "Validation acc"]
    assert len(frame) == 10  # 9 submitted entries + ours
    assert all(FOUR_DECIMALS.match(value) for value in frame["Test acc"]), list(frame["Test acc"])
    top = frame.iloc[0]
    assert (top["Method"], top["Test acc"], top["Validation acc"], top["#Params"], top["Ext. data"]) == (
        "SimTeG+TAPE+RevGAT", "0.7803 ± 0.0007", "0.7846 ± 0.0004", "1,386,219,488", "Yes")
    ours = frame[frame["Method"] == "supervised + gcn (ours)"].iloc[0]
    scores = [0.7101, 0.7123, 0.7089]
    assert ours["Test acc"] == f"{statistics.fmean(scores):.4f} ± {statistics.stdev(scores):.4f}"
    assert (ours["Runs"], ours["Protocol"], ours["#Params"], ours["Ext. data"], ours["Date"]) == ("3", "1 split x 3 seeds", "110,120", "No", "2024-05-01")
    assert ours["References"].startswith("this harness (config ")
    assert frame["Rank"].tolist()[:3] == ["1", "2", "3"]

    text = md_path.read_text()
    header = next(line for line in text.splitlines() if line.startswith("| Rank"))
    assert [cell.strip() for cell in header.strip("|").split("|")][:5] == ["Rank", "Method", "Ext. data", "Test acc", "Validation acc"]
    assert "| SimTeG+TAPE+RevGAT " in text and "0.7803 ± 0.0007" in text
    assert "higher is better" in text and "Welch" in text
    config = ours["References"].removeprefix("this harness (config ").rstrip(")")
    configurations = text.split("## Configurations", 1)[1]
    assert f"config {config} (supervised + gcn)" in configurations and '{"hidden": 16}' in configurations


# -- statistics --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        ([0.71, 0.72, 0.70, 0.73, 0.715], [0.69, 0.70, 0.695, 0.705, 0.70, 0.698]),
        ([0.5, 0.6, 0.55], [0.52, 0.58, 0.61, 0.49]),
        ([0.9, 0.91], [0.1, 0.2, 0.15]),
    ],
)
def test_welch_p_value_matches_scipy(a, b):
    expected = scipy_stats.ttest_ind(a, b, equal_var=False).pvalue
    got = welch_p_value(ScoreSummary.of(a), ScoreSummary.of(b))
    assert got == pytest.approx(expected, rel=1e-9)
    assert welch_p_value(ScoreSummary.of(b), ScoreSummary.of(a)) == pytest.approx(expected, rel=1e-9)


def test_welch_p_value_edge_cases():
    assert welch_p_value(ScoreSummary.of([0.8]), ScoreSummary.of([0.7, 0.75])) is None
    assert welch_p_value(ScoreSummary(0.8, None, 100), ScoreSummary(0.7, 0.01, 10)) is None
    assert welch_p_value(ScoreSummary.of([0.8, 0.8]), ScoreSummary.of([0.8, 0.8, 0.8])) == 1.0
    assert welch_p_value(ScoreSummary.of([0.8, 0.8]), ScoreSummary.of([0.7, 0.7])) == 0.0
    assert [significance_mark(p) for p in (None, 0.0005, 0.005, 0.03, 0.2)] == ["?", "***", "**", "*", "n.s."]


# -- compare -----------------------------------------------------------------------------------


def test_comparison_table_pairs_matched_and_best_entries():
    ours = table_of(records_for([0.700, 0.702, 0.698, 0.701, 0.699], dataset="ogbn-arxiv", backbone="gcn"))[2]
    submitted = [submitted_row("GCN", 0.7174, 0.0029, 10, backbone="gcn", method="supervised"),
                 submitted_row("Best", 0.7803, 0.0007, 10), submitted_row("GAT", 0.75, 0.001, 10, backbone="gat", method="supervised")]
    headers, table = comparison_table(ours + submitted, True)
    assert headers[3:6] == ["Matched entry", "Δ", "Sig. (p)"]
    [line] = table
    assert line[0] == "supervised + gcn" and line[2] == "5"
    assert line[3] == "GCN" and line[4] == "-0.0174"
    assert line[5].startswith("***")
    assert line[6] == "Best" and line[7] == "-0.0803"


def test_a_match_with_parameters_pairs_only_the_row_with_those_values():
    def ours(label: str, init: str) -> Row:
        config = {"backbone": {"name": "gin-mol", "params": {}}, "method": {"name": "supervised-pretrain", "params": {"init": init, "epochs": 100}}}
        return Row(method=label, test=ScoreSummary(0.7, 0.01, 10), valid=None, ext_data=False, params=None, hardware=None, date=None,
                   references="", submitted=False, config=config)

    entry = Row(method="ContextPred + Sup (paper)", test=ScoreSummary(0.742, None, 10), valid=None, ext_data=False, params=None,
                hardware=None, date=None, references="ref", submitted=True,
                config={"method": {"name": "supervised-pretrain", "params": {"init": "contextpred"}}})
    _, table = comparison_table([ours("naive", "none"), ours("node-then-graph", "contextpred"), entry], True)
    matched = {line[0]: line[3] for line in table}
    assert matched == {"naive": "", "node-then-graph": "ContextPred + Sup (paper)"}


def test_a_submitted_match_may_name_parameters(tmp_path):
    (tmp_path / "bace").mkdir()
    (tmp_path / "bace" / "_dataset.yaml").write_text("metric: rocauc\n")
    path = tmp_path / "bace" / "contextpred-sup.yaml"
    path.write_text("method: ContextPred + Sup\nsource: s\ntest: {mean: 0.845, std: null}\nseeds: 10\nreferences: [r]\n"
                    "match: {method: {name: supervised-pretrain, params: {init: contextpred}}}\n")
    (entry,) = load_submissions(tmp_path, "bace")
    assert entry.match == {"method": {"name": "supervised-pretrain", "params": {"init": "contextpred"}}}
    path.write_text(path.read_text().replace("params: {init: contextpred}", "params: [init]"))
    with pytest.raises(SubmissionError, match=r"match\.method.*must be a component name \(a string\) or \{name"):
        load_submissions(tmp_path, "bace")


# -- the shipped submissions -------------------------------------------------------------------


def test_every_shipped_submission_loads_with_a_source():
    assert set(SEEDED) <= set(submitted_datasets(SUBMISSIONS))
    for dataset in submitted_datasets(SUBMISSIONS):
        meta = SUBMISSIONS / dataset / "_dataset.yaml"
        assert meta.is_file(), meta
        entries = load_submissions(SUBMISSIONS, dataset)
        assert entries, dataset
        for entry in entries:
            assert entry.source.strip(), entry.path
            assert entry.references, entry.path
            assert entry.params is None or isinstance(entry.params, int), entry.path
            assert entry.test.std is None or entry.test.n > 1, entry.path
            # OGB and Hu et al. (the molecule sets) average 10 runs; Planetoid's papers 100
            expected_seeds = 100 if dataset in ("cora", "citeseer") else 10
            assert entry.test.n == expected_seeds, entry.path
            assert Path(entry.path).stem == re.sub(r"[^a-z0-9]+", "-", entry.method.lower()).strip("-")
    import yaml

    metrics = {d: yaml.safe_load((SUBMISSIONS / d / "_dataset.yaml").read_text())["metric"] for d in SEEDED}
    assert metrics == {"ogbn-proteins": "rocauc", "ogbn-arxiv": "acc", "ogbn-products": "acc", "cora": "acc", "citeseer": "acc"}


def test_plain_baselines_are_matched_to_supervised_rows():
    for dataset in SEEDED:
        for entry in load_submissions(SUBMISSIONS, dataset):
            base = entry.method.split(" (")[0]
            expected = {"GCN": "gcn", "GAT": "gat", "GraphSAGE": "sage", "MLP": "mlp"}.get(base)
            if expected:
                assert entry.match == {"backbone": expected, "method": "supervised"}, entry.path
            else:
                assert entry.match == {}, entry.path


def _doc_tables(text: str) -> dict[str, dict[str, dict[str, str]]]:
    tables, current = {}, None
    for line in text.splitlines():
        heading = re.match(r"^(ogbn-\w+) \(", line)
        if heading:
            current = tables.setdefault(heading.group(1), {})
        elif current is not None and line.startswith("| ") and not line.startswith("| method"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            current[cells[0]] = dict(zip(("test", "valid", "params", "hardware", "date"), cells[1:]))
        elif not line.strip() and current:
            current = None
    return tables


def _summary_text(summary: ScoreSummary | None) -> str:
    if summary is None:
        return ""
    return f"{summary.mean:.4f} ± {summary.std:.4f}"


@pytest.mark.skipif(not DOC.is_file(), reason="shared/docs/leaderboards.md is not beside the repository")
def test_shipped_ogb_entries_are_exactly_the_documented_ones():
    documented = _doc_tables(DOC.read_text())
    assert set(documented) == {"ogbn-proteins", "ogbn-arxiv", "ogbn-products"}
    for dataset, rows in documented.items():
        shipped = {entry.method: entry for entry in load_submissions(SUBMISSIONS, dataset)}
        assert set(shipped) == set(rows), dataset
        for method, row in rows.items():
            entry = shipped[method]
            assert _summary_text(entry.test) == row["test"], (dataset, method)
            assert _summary_text(entry.valid) == row["valid"], (dataset, method)
            params = row.get("params", "")
            assert entry.params == (int(params.replace(",", "")) if params else None), (dataset, method)
            assert (entry.hardware or "") == row.get("hardware", ""), (dataset, method)
            assert (entry.date or "") == row.get("date", ""), (dataset, method)


def test_shipped_planetoid_entries():
    for dataset, gcn, gat in (("cora", 0.815, 0.830), ("citeseer", 0.703, 0.725)):
        shipped = {entry.method: entry for entry in load_submissions(SUBMISSIONS, dataset)}
        assert set(shipped) == {"GCN", "GAT"}
        assert shipped["GCN"].test == ScoreSummary(gcn, None, 100)
        assert shipped["GAT"].test == ScoreSummary(gat, 0.007, 100)
        assert shipped["GCN"].valid is None and shipped["GAT"].valid is None


# -- submission files --------------------------------------------------------------------------


def test_submission_with_per_seed_scores(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("method: X\ntest: [0.70, 0.72, 0.71]\nvalid: 0.8\nseeds: 3\nsource: a test\nreferences: https://example.org/x\n")
    entry = load_submission(path, "toy")
    assert entry.test == ScoreSummary.of([0.70, 0.72, 0.71])
    assert entry.valid == ScoreSummary(0.8, None, 3)
    assert entry.references == ["https://example.org/x"]


@pytest.mark.parametrize(
    "content, message",
    [
        ("method: [unclosed\n", "YAML syntax error"),
        ("- just\n- a list\n", "must be a mapping"),
        ("method: X\ntest: {mean: 0.7, std: 0.01}\n", "missing ['source']"),
        ("method: X\ntest: 0.7\nsource: s\ntset: 1\n", "unknown ['tset']"),
        ("method: X\ntest: {mean: 0.7, std: high}\nsource: s\n", "test.std: must be a number"),
        ("method: X\ntest: seventy\nsource: s\n", "test: must be"),
        ("method: X\ntest: null\nsource: s\n", "test: must be"),
        ("method: X\ntest: 0.7\nsource: s\nparams: 664,233,700\n", "params: must be a positive integer"),
        ("method: X\ntest: 0.7\nsource: s\nseeds: ten\n", "seeds: must be a positive integer"),
    ],
)
def test_malformed_submission_is_refused(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(SubmissionError) as error:
        load_submission(path, "toy")
    assert str(path) in str(error.value) and message in str(error.value)


# -- the command line --------------------------------------------------------------------------


@pytest.fixture
def results(tmp_path):
    """A results folder with hand-written records on cora and ogbn-arxiv, failures included."""
    records = (
        records_for([0.820, 0.822, 0.818, 0.821, 0.819], dataset="cora", backbone="gcn")
        + records_for([0.790, 0.800, 0.810], dataset="cora", backbone="gat")
        + [make_record(dataset="cora", backbone="mlp", seed=0, status="failed")]
        + records_for([0.700, 0.702, 0.698, 0.701, 0.699], dataset="ogbn-arxiv", backbone="gcn", num_params=110120)
    )
    return write_records(tmp_path / "results", records)


def test_cli_leaderboard_renders_every_dataset(results, tmp_path):
    out = tmp_path / "boards"
    done = harness("leaderboard", "--results-dir", str(results), "--out", str(out), "--submissions", str(SUBMISSIONS), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert {path.name for path in out.glob("*.md")} >= {f"{d}.md" for d in SEEDED}
    assert f"leaderboard: {out / 'cora.md'}" in done.stdout
    cora = pd.read_csv(out / "cora.csv", dtype=str, keep_default_na=False)
    assert cora["Method"].tolist() == ["GAT", "supervised + gcn (ours)", "GCN", "supervised + gat (ours)"]
    assert cora["Runs"].tolist() == ["100", "5", "100", "3"]
    assert cora["Test acc"].tolist()[2] == "0.8150"  # reported without a std
    assert "supervised + mlp" not in (out / "cora.md").read_text()  # failed only
    proteins = pd.read_csv(out / "ogbn-proteins.csv", dtype=str, keep_default_na=False)
    assert proteins.iloc[0]["Method"] == "LD+GAT" and proteins.iloc[0]["#Params"] == "664,233,700"
    assert proteins.iloc[0]["Test rocauc"] == "0.8942 ± 0.0007" and proteins.iloc[0]["Hardware"] == "RTX 3090 24GB"


def test_cli_leaderboard_default_submissions_folder(results, tmp_path):
    """Run from the repository root without --submissions: the shipped entries are used."""
    out = tmp_path / "boards"
    done = harness("leaderboard", "--results-dir", str(results), "--out", str(out), cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "GIPA (Wide&Deep)" in (out / "ogbn-proteins.md").read_text()


def test_cli_compare_shows_delta_and_significance(results, tmp_path):
    done = harness("compare", "--dataset", "ogbn-arxiv", "--results-dir", str(results), "--submissions", str(SUBMISSIONS), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "Δ" in lines[0] and "ogbn-arxiv" in lines[0]
    header = [cell.strip() for cell in lines[1].strip("|").split("|")]
    [ours] = [line for line in lines if line.startswith("| supervised + gcn")]
    cells = dict(zip(header, [cell.strip() for cell in ours.strip("|").split("|")]))
    assert cells["Matched entry"] == "GCN"
    assert cells["Δ"] == "-0.0174"  # 0.7000 - 0.7174
    p_value = scipy_stats.ttest_ind_from_stats(0.700, statistics.stdev([0.700, 0.702, 0.698, 0.701, 0.699]), 5,
                                               0.7174, 0.0029, 10, equal_var=False).pvalue
    assert cells["Sig. (p)"] == f"{significance_mark(p_value)} {p_value:.3g}"
    assert cells["Sig. (p)"].startswith("***")
    assert cells["Best submitted"] == "SimTeG+TAPE+RevGAT" and cells["Δ best"] == "-0.0803"


def test_cli_compare_on_cora_pairs_each_backbone(results, tmp_path):
    done = harness("compare", "--dataset", "cora", "--results-dir", str(results), "--submissions", str(SUBMISSIONS), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.strip("|").split("|")] for line in done.stdout.splitlines() if line.startswith("| supervised")}
    assert rows["supervised + gcn"][3:6] == ["GCN", "+0.0050", "?"]  # Kipf and Welling give no std
    assert rows["supervised + gat"][3] == "GAT" and rows["supervised + gat"][4] == "-0.0300"
    assert rows["supervised + gat"][5].split()[0] in {"*", "**", "***"}


def test_cli_missing_results_folder_exit_2(tmp_path):
    missing = tmp_path / "nowhere"
    for command in (["leaderboard", "--out", str(tmp_path / "boards")], ["compare", "--dataset", "cora"], ["plot", "--out", str(tmp_path / "plots")]):
        done = harness(*command, "--results-dir", str(missing), "--submissions", str(SUBMISSIONS), cwd=tmp_path)
        assert done.returncode == 2, (command, done.stderr)
        assert "error:" in done.stderr and "nowhere" in done.stderr and "Traceback" not in done.stderr
        assert not missing.exists(), f"{command[0]} created the missing results folder"


def test_cli_compare_unknown_dataset_exit_2(results, tmp_path):
    done = harness("compare", "--dataset", "ogbn-arxvi", "--results-dir", str(results), "--submissions", str(SUBMISSIONS), cwd=tmp_path)
    assert done.returncode == 2
    assert "error:" in done.stderr and "'ogbn-arxvi'" in done.stderr and "Traceback" not in done.stderr


def test_cli_compare_dataset_without_our_records_exit_2(results, tmp_path):
    done = harness("compare", "--dataset", "ogbn-products", "--results-dir", str(results), "--submissions", str(SUBMISSIONS), cwd=tmp_path)
    assert done.returncode == 2
    assert "no records of this project" in done.stderr


@pytest.mark.parametrize("command", ["leaderboard", "compare", "plot"])
def test_cli_malformed_submission_exit_2(results, tmp_path, command):
    subs = tmp_path / "subs"
    (subs / "cora").mkdir(parents=True)
    (subs / "cora" / "broken.yaml").write_text("method: Broken\ntest: {mean: 0.8, std: 0.01}\n")  # no source
    args = {"leaderboard": ["--out", str(tmp_path / "boards")], "compare": ["--dataset", "cora"], "plot": ["--out", str(tmp_path / "plots")]}[command]
    done = harness(command, *args, "--results-dir", str(results), "--submissions", str(subs), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "broken.yaml" in done.stderr and "missing ['source']" in done.stderr


def test_cli_bad_dataset_metric_file_exit_2(results, tmp_path):
    subs = tmp_path / "subs"
    (subs / "toy").mkdir(parents=True)
    (subs / "toy" / "_dataset.yaml").write_text("metric: accuracy\n")
    (subs / "toy" / "a.yaml").write_text("method: A\ntest: 0.5\nsource: s\n")
    done = harness("leaderboard", "--results-dir", str(results), "--out", str(tmp_path / "boards"), "--submissions", str(subs), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "_dataset.yaml" in done.stderr and "accuracy" in done.stderr


# -- real records ------------------------------------------------------------------------------


@pytest.mark.slow
def test_real_records_aggregate_like_hand_made_ones(harness_run):
    grid = {
        "name": "leaderboard-test",
        "seeds": [0, 1],
        "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 120}}],
        "backbones": ["gcn", "mlp"],
        "methods": [{"name": "supervised", "params": {"epochs": 3, "patience": 0}}],
        "defaults": {"backbones": {"hidden": 8}},
    }
    summary, records = harness_run(grid)
    assert len(records) == 4 and all(r["status"] == "complete" for r in records)
    assert set(make_record()) <= set(records[0]), "the hand-made records lack keys of real ones"
    metric, higher, rows = table_of(records)
    assert (metric, higher) == ("acc", True) and len(rows) == 2
    for row in rows:
        mine = [r["test"] for r in records if r["config"]["backbone"]["name"] == row.config["backbone"]["name"]]
        assert row.test.n == 2 and row.test.mean == pytest.approx(statistics.fmean(mine))
        assert row.test.std == pytest.approx(statistics.stdev(mine))
        assert row.params > 0


def test_records_with_different_metrics_are_never_ranked_together():
    records = records_for([0.7, 0.72], dataset="toy", metric="acc") + records_for([0.9, 0.91], dataset="toy", metric="rocauc", backbone="gat")
    tables = rows_from_records(records)
    assert set(tables) == {"toy-acc", "toy-rocauc"}
    assert tables["toy-acc"][0] == "acc" and [r.method for r in tables["toy-acc"][2]] == ["supervised + gcn"]


def test_our_rows_show_the_mean_wall_time_per_cell(tmp_path):
    from harness.leaderboard import format_seconds

    records = [make_record(dataset="cora", seed=s) for s in range(3)]
    for record, seconds in zip(records, (60.0, 90.0, 150.0)):
        record["wall_time_s"] = seconds
    metric, higher, rows = rows_from_records(records)["cora"]
    assert rows[0].seconds == pytest.approx(100.0)
    md, csv_path = render("cora", metric, higher, rows, tmp_path)
    table = pd.read_csv(csv_path)
    assert list(table["Time / cell"]) == ["100.0 s"]
    assert (format_seconds(None), format_seconds(30), format_seconds(150), format_seconds(4 * 3600)) == ("", "30.0 s", "2.5 min", "4.0 h")
