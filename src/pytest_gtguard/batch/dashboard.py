"""The batch dashboard: one self-contained static HTML file (no script, no external asset), written atomically.

It shows totals by status and verdict, verdicts by category, the most common problems with the tasks that
have them, the slowest items, the items that did not run to a verdict and, for grade and calibrate, the
reward distribution of each task. A task rerun with ``--force`` counts once, with its latest record.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_gtguard import __version__, _atomic

__all__ = ["render_dashboard", "write_dashboard"]

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#1d1d1f}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.meta{color:#666}.cards{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}
.card{border:1px solid #ddd;border-radius:8px;padding:8px 14px;min-width:90px}
.card b{display:block;font-size:22px}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f6f6f6}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.bar{display:inline-block;height:12px;background:#4a7bd0;vertical-align:middle;border-radius:2px}
.bad{background:#d0544a}.ok{background:#3f9a5b}.mid{background:#d9a33a}
.stack{display:flex;height:14px;width:220px;border-radius:3px;overflow:hidden;background:#eee}
.small{color:#666;font-size:12px}code{font-size:12px}.legend span{margin-right:12px}
"""
_GOOD = {"ok", "clean", "valid", "resolved", "Goldilocks", "passed"}
_BAD = {"crashed", "timeout", "lost", "requirements_failed", "error", "invalid", "tamper", "failed", "findings"}
_SHOWN_TASKS = 8


def _duration(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}h {whole // 60 % 60:02d}m" if whole >= 3600 else f"{whole // 60}m {whole % 60:02d}s"


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _name(record: Mapping[str, Any]) -> str:
    task = Path(str(record.get("task", "")))
    name = f"{task.parent.name}/{task.name}" if task.parent.name else task.name
    return name + (f" ← {Path(str(record['candidate'])).name}" if record.get("candidate") else "")


def _tone(label: str) -> str:
    return "ok" if label in _GOOD else "bad" if label in _BAD else "mid"


def _bars(counts: Counter[str], total: int) -> str:
    rows = []
    for label, n in counts.most_common():
        width = int(300 * n / max(1, total))
        rows.append(
            f"<tr><td>{_esc(label)}</td><td class=n>{n}</td><td class=n>{100 * n / max(1, total):.0f}%</td>"
            f"<td><span class='bar {_tone(label)}' style='width:{width}px'></span></td></tr>"
        )
    return "<table><tr><th>value</th><th>items</th><th>share</th><th></th></tr>" + "".join(rows) + "</table>"


def _latest(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Keep each item's newest record: an item is its operation, task and candidate, whatever its fingerprint.

    A task whose files changed since (its tests write into it, or someone edited it) is run again under
    a new fingerprint; its old record must not count twice.
    """
    by_item: dict[tuple[str, ...], Mapping[str, Any]] = {}
    for record in records:
        key = tuple(str(record.get(field)) for field in ("operation", "task", "candidate", "options"))
        by_item.pop(key, None)  # the newest record goes last, in the order records were written
        by_item[key] = record
    return list(by_item.values())


def _outcome(record: Mapping[str, Any]) -> str:
    return str(record.get("verdict") if record.get("status") == "ok" else record.get("status"))


def _categories(records: Sequence[Mapping[str, Any]]) -> str:
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for r in records:
        table[str(r.get("category") or "(none)")][_outcome(r)] += 1
    outcomes = sorted({o for c in table.values() for o in c})
    head = "".join(f"<th>{_esc(o)}</th>" for o in outcomes)
    rows = "".join(
        f"<tr><td>{_esc(cat)}</td><td class=n>{sum(c.values())}</td>"
        + "".join(f"<td class=n>{c.get(o, 0) or ''}</td>" for o in outcomes)
        + "</tr>"
        for cat, c in sorted(table.items())
    )
    return f"<table><tr><th>category</th><th>items</th>{head}</tr>{rows}</table>"


def _problems(records: Sequence[Mapping[str, Any]]) -> str:
    # Items per problem code, each item once however many messages of that code it has.
    tasks: dict[str, dict[str, None]] = defaultdict(dict)
    messages: dict[str, Counter[str]] = defaultdict(Counter)
    for r in records:
        for problem in dict.fromkeys(str(p) for p in r.get("problems") or ()):
            code = problem.split(":", 1)[0]
            tasks[code][_name(r)] = None
            messages[code][problem] += 1
    example = {code: counts.most_common(1)[0][0] for code, counts in messages.items()}
    if not tasks:
        return "<p class=meta>No problem reported.</p>"
    rows = []
    for code, named in sorted(tasks.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:25]:
        names = list(named)
        shown = ", ".join(_esc(n) for n in names[:_SHOWN_TASKS])
        more = f" and {len(names) - _SHOWN_TASKS} more" if len(names) > _SHOWN_TASKS else ""
        rows.append(
            f"<tr><td><code>{_esc(code)}</code></td><td class=n>{len(names)}</td>"
            f"<td>{_esc(example[code][:200])}<div class=small>{shown}{more}</div></td></tr>"
        )
    return (
        "<table><tr><th>problem</th><th>items</th><th>example, and the items that have it</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _slowest(records: Sequence[Mapping[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{_esc(_name(r))}</td><td>{_esc(_outcome(r))}</td>"
        f"<td class=n>{float(r.get('duration') or 0):.2f}s</td></tr>"
        for r in sorted(records, key=lambda r: -float(r.get("duration") or 0))[:15]
    )
    return f"<table><tr><th>item</th><th>outcome</th><th>duration</th></tr>{rows}</table>"


def _failures(records: Sequence[Mapping[str, Any]]) -> str:
    bad = [r for r in records if r.get("status") != "ok"]
    if not bad:
        return "<p class=meta>Every item ran to its verdict.</p>"
    rows = "".join(
        f"<tr><td>{_esc(_name(r))}</td><td>{_esc(r.get('status'))}</td>"
        f"<td>{_esc('; '.join(str(p) for p in r.get('problems') or ())[:300])}"
        f"{'<div class=small>retried: ' + _esc(r['retried']) + '</div>' if r.get('retried') else ''}</td></tr>"
        for r in bad[:100]
    )
    return f"<table><tr><th>item</th><th>status</th><th>why</th></tr>{rows}</table>"


def _rewards(records: Sequence[Mapping[str, Any]]) -> str:
    per_task: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if isinstance(r.get("reward"), (int, float)):
            per_task[Path(str(r.get("task", ""))).name].append(float(r["reward"]))
    if not per_task:
        return ""
    values = sorted({v for vs in per_task.values() for v in vs})
    palette = ["#d0544a", "#d9a33a", "#9aa0a6", "#7fb069", "#3f9a5b"]  # lowest reward red, highest green
    colour = {
        v: palette[min(len(palette) - 1, round(i * (len(palette) - 1) / max(1, len(values) - 1)))]
        for i, v in enumerate(values)
    }
    legend = "".join(
        f"<span><span class=bar style='width:12px;background:{colour[v]}'></span> {v:g}</span>" for v in values
    )
    rows = []
    for task, rewards in sorted(per_task.items(), key=lambda kv: sum(kv[1]) / len(kv[1])):
        counts = Counter(rewards)
        segments = "".join(
            f"<span style='width:{100 * counts[v] / len(rewards):.1f}%;background:{colour[v]}' "
            f"title='{v:g}: {counts[v]}'></span>"
            for v in values
            if counts[v]
        )
        rows.append(
            f"<tr><td>{_esc(task)}</td><td class=n>{len(rewards)}</td>"
            f"<td class=n>{sum(rewards) / len(rewards):+.2f}</td>"
            f"<td class=n>{min(rewards):g} … {max(rewards):g}</td><td><div class=stack>{segments}</div></td></tr>"
        )
    return (
        f"<h2>Reward distribution per task</h2><p class=legend>{legend}</p>"
        "<table><tr><th>task</th><th>rewards</th><th>mean</th><th>range</th><th>distribution</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def render_dashboard(records: Iterable[Mapping[str, Any]], *, title: str) -> str:
    """Return the dashboard of ``records`` as one HTML document."""
    latest = _latest(records)
    total = len(latest)
    status, verdict = Counter(str(r.get("status")) for r in latest), Counter(_outcome(r) for r in latest)
    seconds = sum(float(r.get("duration") or 0) for r in latest)
    operations = ", ".join(sorted({str(r.get("operation")) for r in latest})) or "none"
    cards = "".join(
        f"<div class=card><b>{n}</b>{_esc(label)}</div>"
        for label, n in [("items", total), *status.most_common(), ("item time, summed", _duration(seconds))]
    )
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{_esc(title)}</title>"
        f"<meta name=viewport content='width=device-width'><style>{_CSS}</style></head><body>"
        f"<h1>{_esc(title)}</h1><div class=meta>operation: {_esc(operations)} · written {now} "
        f"by gtguard {_esc(__version__)}</div><div class=cards>{cards}</div>"
        f"<h2>Outcomes</h2><p class=small>The verdict of items that ran; otherwise why they did not.</p>"
        f"{_bars(verdict, total)}<h2>By category</h2>{_categories(latest)}"
        f"<h2>Most common problems</h2>{_problems(latest)}{_rewards(latest)}"
        f"<h2>Items that did not run to a verdict</h2>{_failures(latest)}"
        f"<h2>Slowest items</h2>{_slowest(latest)}</body></html>\n"
    )


def write_dashboard(records: Iterable[Mapping[str, Any]], path: Path, *, title: str) -> None:
    """Write the dashboard to ``path``, whole or not at all.

    Raises:
        WriteError: the file cannot be written.
    """
    _atomic.write_text(path, render_dashboard(records, title=title), alternative="pass --html PATH")
