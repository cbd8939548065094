"""The perf gates table and page from run data alone (pure: no pytest run, no clock)."""

from __future__ import annotations

import itertools
import re

from pytest_gtguard.perf.html import plot_svg, render_page, rows_from_report
from pytest_gtguard.perf.table import GateRow, render_table, row_from


def gate(**extra: object) -> dict[str, object]:
    props: dict[str, object] = {
        "outcome": "passed",
        "n": 1000,
        "ms": 10.0,
        "mb": None,
        "clock": "cpu",
        "best_ms": 4.0,
        "limit_ms": 16.0,
        "machine_factor": 1.0,
        "reference_baseline_ms": 3.5,
        "slope": None,
        "max_slope": None,
        "points": [{"n": 1000, "ms": 4.0}],
        "runs": [{"n": 1000, "ms": 4.0, "ref_ms": 3.5, "killed": False}],
        "verdicts": [],
    }
    props.update(extra)
    return props


def test_only_gtguards_property_makes_a_row() -> None:
    assert row_from("t::x", "a string someone recorded") is None
    assert row_from("t::x", {"n": 3}) is None
    assert row_from("t::x", gate()) == GateRow("t::x", gate())


def test_memory_only_gate_has_no_time_columns_nor_budget_lines() -> None:
    row = GateRow("t::mem", gate(ms=None, mb=50.0, limit_ms=None, best_ms=3.0, peak_mb=7.25))

    table = render_table([row])
    svg = plot_svg(row)

    assert table[0].split() == ["Name", "n", "CPU", "ms", "budget", "ms", "machine", "exponent", "peak", "MB",
                                "budget", "MB", "verdict"]  # fmt: skip
    assert table[2].split() == ["t::mem", "1_000", "3.00", "-", "x1.00", "-", "7.2", "50", "passed"]
    assert 'class="budget"' not in svg and 'class="limit"' not in svg and 'class="point"' in svg


def test_a_gate_whose_runs_were_all_stopped_shows_the_crosses_and_no_fit() -> None:
    runs = [{"n": 1000, "ms": 31.0, "ref_ms": 3.5, "killed": True}]
    row = GateRow("t::slow", gate(outcome="failed", best_ms=31.0, points=[], runs=runs,
                                  verdicts=[{"outcome": "failed", "kind": "kill", "message": "stopped"}]))  # fmt: skip

    assert render_table([row])[2].split()[2:] == [">31.0", "10", "x1.00", "-", "FAILED:", "kill"]
    svg = plot_svg(row)
    assert svg.count('class="killed"') == 1 and 'class="fit"' not in svg


def test_labels_at_nearly_the_same_height_are_moved_apart() -> None:
    # budget 10 ms, limit 10.5 ms and the fitted line ending at 10.2 ms: three labels within a pixel or two.
    points = [{"n": 10, "ms": 0.102}, {"n": 100, "ms": 1.02}, {"n": 1000, "ms": 10.2}]
    row = GateRow("t::lin", gate(limit_ms=10.5, points=points, slope=1.0, max_slope=1.5, complexity="O(n)"))

    ys = sorted(
        float(y) for y in re.findall(r'<text class="(?:budget|fit)-label" x="[\d.]+" y="([\d.]+)"', plot_svg(row))
    )

    assert len(ys) == 3 and all(b - a >= 13 for a, b in itertools.pairwise(ys))


def test_the_split_report_gives_a_row_per_side_and_gated_test() -> None:
    report = {
        "results": {
            "before": {"tests": [{"nodeid": "t.py::a", "properties": {"perf_gate": gate(outcome="failed")}}]},
            "after": {
                "tests": [
                    {"nodeid": "t.py::a", "properties": {"perf_gate": gate()}},
                    {"nodeid": "t.py::plain", "properties": {}},
                ]
            },
        }
    }

    rows = rows_from_report(report)

    assert [r.nodeid for r in rows] == ["before: t.py::a", "after: t.py::a"]
    assert "<h2>after: t.py::a</h2>" in render_page(rows)
