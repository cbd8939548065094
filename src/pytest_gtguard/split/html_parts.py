"""The pieces of the split's HTML page: its style, its filter script, and escaped elements.

Pure: strings in, strings out. Every text that comes from a run (test ids, failure text, reasons,
paths) goes through :func:`esc`; the page has no external resource and reads without its script.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "CATEGORY_ORDER",
    "CSS",
    "FILTER_JS",
    "OUTCOME_SHORT",
    "category_of",
    "details",
    "esc",
    "outcome_cell",
    "table",
]

# Where a category stands on the page: what needs a look first, what is fine last.
CATEGORY_ORDER = (
    "PASS_TO_FAIL",
    "unknown",
    "flaky",
    "side_independent",
    "FAIL_TO_FAIL",
    "other",
    "FAIL_TO_PASS",
    "PASS_TO_PASS",
)
# The few characters a grid cell shows; its title gives the whole word.
OUTCOME_SHORT = {
    "passed": "pass",
    "failed": "FAIL",
    "error": "ERR",
    "skipped": "skip",
    "xfailed": "xfail",
    "xpassed": "XPASS",
    "missing": "-",
}

CSS = """
:root{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--mute:#57606a;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}
body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;margin:0 auto;
 padding:20px 28px 40px;max-width:1220px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:26px 0 8px;border-bottom:1px solid var(--line);
 padding-bottom:4px}
code,pre,.id{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:8px 10px;overflow:auto;
 max-height:360px;white-space:pre-wrap;word-break:break-word;margin:6px 0}
.meta{color:var(--mute);font-size:12.5px}
.verdict{border-radius:8px;padding:14px 18px;margin:12px 0 6px;color:#fff}
.verdict b{font-size:22px;display:block}
.verdict.valid{background:var(--ok)}.verdict.invalid{background:var(--bad)}.verdict.crashed{background:#8250df}
.chips{display:flex;flex-wrap:wrap;gap:6px;margin:10px 0}
.chip{border:1px solid var(--line);border-radius:14px;padding:2px 10px;background:#fff;text-decoration:none;
 color:inherit}
.chip b{margin-left:4px}.chip.zero{color:var(--mute);opacity:.6}
.chip.PASS_TO_FAIL,.chip.unknown{border-color:var(--bad);color:var(--bad)}
.chip.flaky,.chip.side_independent{border-color:var(--warn);color:var(--warn)}
.chip.FAIL_TO_PASS,.chip.PASS_TO_PASS{border-color:var(--ok);color:var(--ok)}
.problem{border:1px solid var(--line);border-left:5px solid var(--warn);border-radius:6px;padding:8px 12px;
 margin:8px 0}
.problem.error{border-left-color:var(--bad)}
.problem .code{font-weight:600}.problem .sev{font-size:11px;text-transform:uppercase;padding:1px 6px;
 border-radius:8px;background:var(--warn);color:#fff;margin-right:6px}
.problem.error .sev{background:var(--bad)}
.fix{margin-top:4px}.fix::before{content:"fix: ";font-weight:600;color:var(--ok)}
ul.ids{margin:4px 0;padding-left:20px}
table{border-collapse:collapse;margin:6px 0;font-size:13px}
th,td{border:1px solid var(--line);padding:3px 7px;text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600}
td.id{word-break:break-all;max-width:560px}
td.o{text-align:center;min-width:42px;font-size:12px}
.o.passed{background:#dafbe1;color:var(--ok)}.o.failed,.o.error{background:#ffebe9;color:var(--bad);font-weight:600}
.o.skipped,.o.xfailed,.o.missing{background:#f6f8fa;color:var(--mute)}.o.xpassed{background:#fff8c5}
.o.flip{outline:2px solid #8250df;outline-offset:-2px}
th.side{text-align:center}td.sep,th.sep{border-left:3px solid #8c959f}
.cat{font-size:12px;white-space:nowrap}
details{margin:4px 0}summary{cursor:pointer}
.filter{margin:4px 0 8px;padding:4px 8px;width:340px;border:1px solid var(--line);border-radius:6px}
.empty{color:var(--mute);font-style:italic}
"""

# Optional: hides grid rows whose text does not hold the filter; without it the grid shows every row.
FILTER_JS = """
document.querySelectorAll("input.filter").forEach(function(box){
  box.hidden=false;
  box.addEventListener("input",function(){
    var q=box.value.toLowerCase();
    document.querySelectorAll("#"+box.dataset.table+" tbody tr").forEach(function(row){
      row.hidden=q!==""&&row.textContent.toLowerCase().indexOf(q)<0;
    });
  });
});
"""


def esc(value: Any) -> str:
    """Return ``value`` as text safe inside an element or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def category_of(split: Mapping[str, Any]) -> dict[str, str]:
    """Map each test id to its category, from the report's ``split`` block."""
    found: dict[str, str] = {}
    for name in CATEGORY_ORDER:
        entries = split.get(name) or ()
        ids = [e["id"] for e in entries] if name == "unknown" else list(entries)
        for nodeid in ids:
            found.setdefault(nodeid, name)
    return found


def outcome_cell(outcome: str, *, title: str, flip: bool = False, sep: bool = False) -> str:
    """Return one grid cell: the outcome's short word, coloured, with the run named in its title."""
    classes = " ".join(c for c in ("o", outcome, "flip" if flip else "", "sep" if sep else "") if c)
    short = OUTCOME_SHORT.get(outcome, outcome)
    return f'<td class="{esc(classes)}" title="{esc(title)}">{esc(short)}</td>'


def table(head: Iterable[str], rows: Iterable[Iterable[str]], *, table_id: str = "") -> str:
    """Return a table; ``head`` cells are escaped, ``rows`` hold ready-made ``<td>`` markup."""
    ident = f' id="{esc(table_id)}"' if table_id else ""
    # A heading starting with "|" opens a group of columns (a side's runs): drawn with a thicker rule.
    th = "".join(f'<th class="sep">{esc(h[1:])}</th>' if h.startswith("|") else f"<th>{esc(h)}</th>" for h in head)
    body = "\n".join("<tr>" + "".join(row) + "</tr>" for row in rows)
    return f"<table{ident}><thead><tr>{th}</tr></thead><tbody>\n{body}\n</tbody></table>"


def details(summary: str, body: str, *, open_: bool = False) -> str:
    """Return a collapsible block; ``summary`` is escaped, ``body`` is markup."""
    return f"<details{' open' if open_ else ''}><summary>{esc(summary)}</summary>{body}</details>"
