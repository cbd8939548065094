"""The end-of-run table of perf gates (pure): one row per gated test, from its ``perf_gate`` property.

In the style of pytest-benchmark's table: a title rule, a header, aligned columns, numbers right-aligned.
The glue (``perf/plugin.py``) gathers the properties from the reports, on the xdist controller too, since
the property rides on ``report.user_properties``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["GateRow", "render_table", "row_from", "title"]

HEADER = ("Name", "n", "CPU ms", "budget ms", "machine", "exponent", "verdict")
MB_HEADER = ("peak MB", "budget MB")
RIGHT = frozenset({"n", "CPU ms", "budget ms", "machine", "exponent", "peak MB", "budget MB"})


@dataclass(frozen=True)
class GateRow:
    """One gated test as the table and the HTML page show it."""

    nodeid: str
    props: Mapping[str, Any]

    @property
    def wall(self) -> bool:
        """Return True for a ``clock="wall"`` gate."""
        return self.props.get("clock") == "wall"

    @property
    def verdict(self) -> str:
        """Return "passed", "FAILED: time", "warning (xdist): kill", "inconclusive: memory", ..."""
        props = self.props
        outcome = props.get("outcome", "passed")
        kinds = [v.get("kind", "time") for v in props.get("verdicts", []) if v.get("outcome") == outcome]
        detail = f": {', '.join(dict.fromkeys(kinds))}" if kinds else ""
        if outcome == "failed":
            return f"warning (xdist){detail}" if props.get("xdist_warning") else f"FAILED{detail}"
        if outcome == "inconclusive":
            return f"inconclusive{detail}"
        if props.get("best_ms") is None and props.get("peak_mb") is None:
            return "not measured"  # the call raised: the test reports it
        return "passed"

    def cells(self, *, memory: bool) -> list[str]:
        """Return the row's cells in ``HEADER`` order (plus the memory columns when asked)."""
        p = self.props
        best = p.get("best_ms")
        ms = "-" if best is None else _ms(float(best)) + (" wall" if self.wall else "")
        at_n = [r for r in p.get("runs", []) if r.get("n") == p.get("n")]
        if best is not None and at_n and all(r.get("killed") for r in at_n):
            ms = ">" + ms  # stopped at the kill limit: it would have taken longer
        factor = p.get("machine_factor")
        cells = [
            self.nodeid,
            _n(p.get("n")),
            ms,
            "-" if p.get("ms") is None else f"{float(p['ms']):g}",
            "-" if factor is None else f"x{float(factor):.2f}",
            _exponent(p.get("slope"), p.get("max_slope")),
            self.verdict,
        ]
        if memory:
            peak, mb = p.get("peak_mb"), p.get("mb")
            cells[-1:-1] = ["-" if peak is None else f"{float(peak):.1f}", "-" if mb is None else f"{float(mb):g}"]
        return cells


def row_from(nodeid: str, props: object) -> GateRow | None:
    """Return the row for a ``perf_gate`` property value, or None when it is not one gtguard wrote."""
    if not isinstance(props, Mapping) or "n" not in props or "outcome" not in props:
        return None
    return GateRow(nodeid, props)


def title(rows: Sequence[GateRow]) -> str:
    """Return the text of the title rule: how many gates, and which time the table shows."""
    count = f"{len(rows)} test" + ("" if len(rows) == 1 else "s")
    wall = "; wall-clock ms where marked wall" if any(r.wall for r in rows) else ""
    return f"perf gates: {count} (best run at n{wall})"


def render_table(rows: Sequence[GateRow]) -> list[str]:
    """Return the header, a rule and one aligned line per gate, in node-id order."""
    memory = any(r.props.get("mb") is not None for r in rows)
    header = list(HEADER)
    if memory:
        header[-1:-1] = MB_HEADER
    body = [r.cells(memory=memory) for r in sorted(rows, key=lambda r: r.nodeid)]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = [_line(header, header, widths)]
    lines.append("-" * len(lines[0]))
    lines.extend(_line(header, cells, widths) for cells in body)
    return lines


def _line(header: Sequence[str], cells: Sequence[str], widths: Sequence[int]) -> str:
    parts = [
        cell.rjust(width) if name in RIGHT else cell.ljust(width)
        for name, cell, width in zip(header, cells, widths, strict=True)
    ]
    return "  ".join(parts).rstrip()


def _ms(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _n(value: object) -> str:
    return f"{value:,}".replace(",", "_") if isinstance(value, int) else str(value)


def _exponent(slope: object, allowed: object) -> str:
    if not isinstance(slope, (int, float)):
        return "-"
    if isinstance(allowed, (int, float)):
        return f"{slope:.2f} (max {allowed:g})"
    return f"{slope:.2f}"
