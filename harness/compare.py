"""``harness compare``: this project's rows beside the submitted ones, with the difference and
its significance (Welch's t-test on per-seed scores; on mean, std and n for submitted rows)."""

from __future__ import annotations

from harness.leaderboard import Row
from harness.stats import significance_mark, welch_p_value


def _versus(row: Row, reference: Row | None) -> list[str]:
    if reference is None:
        return ["", "", ""]
    p_value = welch_p_value(row.test, reference.test)
    p_text = "" if p_value is None else f"{p_value:.3g}"
    return [reference.method, f"{row.test.mean - reference.test.mean:+.4f}", f"{significance_mark(p_value)} {p_text}".strip()]


def comparison_table(rows: list[Row], higher_is_better: bool) -> tuple[list[str], list[list[str]]]:
    ours = [r for r in rows if not r.submitted]
    submitted = [r for r in rows if r.submitted]
    best = max(submitted, key=lambda r: r.test.mean if higher_is_better else -r.test.mean, default=None)
    headers = ["Ours", "Test", "Seeds", "Matched entry", "Δ", "Sig. (p)", "Best submitted", "Δ best", "Sig. best (p)"]
    table = []
    for row in sorted(ours, key=lambda r: -r.test.mean if higher_is_better else r.test.mean):
        matched = next((s for s in submitted if s.config and _same(row, s)), None)
        table.append([row.method, row.test.format(), str(row.test.n), *_versus(row, matched), *_versus(row, best)])
    return headers, table


def _same(row: Row, submitted: Row) -> bool:
    """Whether ``row`` has the components (and the parameter values, where the entry gives some)
    that a submitted entry's ``match`` names."""
    for axis, entry in submitted.config.items():
        ours = row.config.get(axis, {})
        if ours.get("name") != entry["name"]:
            return False
        if any(ours.get("params", {}).get(name) != value for name, value in entry.get("params", {}).items()):
            return False
    return True
