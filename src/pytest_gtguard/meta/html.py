"""The meta run's HTML page: a static summary header above the Stryker viewer, all in one offline file.

The viewer (``mutation-testing-elements``, vendored in ``_viewer/``) shows per-file scores, filters by
status, navigation, the source with every mutant and the test view; it reads the schema's keys only, so
the header shows what it would not: the verdict, the hand-written variants, gtguard's failures and
findings, and the memorizer results when the document carries them (top-level ``memorizers`` and
``passable_by_hardcoding``, rendered by ``memorizer_report``). The page inlines the viewer's
script and the JSON document, so it can be copied or attached alone and opened without a network.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pytest_gtguard import _atomic
from pytest_gtguard.meta.memorizer_report import memorizer_html_section
from pytest_gtguard.meta.report import ALTERNATIVE

__all__ = ["page", "viewer_script", "write_html"]

BUNDLE = "mutation-test-elements.js"

_STYLE = """body{margin:0;font:14px system-ui,sans-serif}mutation-test-report-app{display:block;padding:0 1.5em}
.gtg{margin:0;padding:.8em 1.5em;border-bottom:1px solid #ddd;background:#f8f9fa;color:#212529}
.gtg h1{font-size:1.25em;margin:0 0 .3em}.gtg h2{font-size:1em;margin:.6em 0 .2em}
.gtg .badge{display:inline-block;padding:.05em .6em;border-radius:.3em;color:#fff;font-size:.9em;margin-left:.4em}
.gtg .pass{background:#198754}.gtg .fail{background:#dc3545}.gtg .interrupted{background:#b58105}
.gtg .ok{color:#198754}.gtg .bad{color:#dc3545;font-weight:600}.gtg .muted{color:#6c757d}
.gtg table{border-collapse:collapse;margin:.2em 0}
.gtg td,.gtg th{padding:.1em .8em .1em 0;text-align:left;vertical-align:top}.gtg th{white-space:nowrap}
.gtg td.id{overflow-wrap:anywhere}
.gtg ul{margin:.2em 0;padding-left:1.4em}.gtg details{margin:.3em 0}.gtg summary{cursor:pointer}
.gtg code{font-size:.95em}.gtg h2+p{margin:.1em 0}
.gtg tr.Survived td{background:#fde2e2}.gtg tr.Killed td{background:#e2f4e8}
.gtg tr.NoCoverage td,.gtg tr.RuntimeError td{background:#fff3cd}
.gtg .gtguard-memorizers{max-height:16em;overflow:auto}.gtg .small{font-size:.85em}
.gtg .cols{display:flex;flex-wrap:wrap;gap:0 3em}.gtg .cols>div{flex:1 1 30em;min-width:0}"""

# Set the report once the bundle has defined the element; the page background follows the viewer's theme.
_LOADER = """(function(){var app=document.querySelector('mutation-test-report-app');
if(!app||!customElements.get('mutation-test-report-app'))return;
app.addEventListener('theme-changed',function(e){document.body.style.backgroundColor=e.detail.themeBackgroundColor;});
app.report=JSON.parse(document.getElementById('gtguard-meta-report').textContent);})();"""


def viewer_script() -> str | None:
    """Return the vendored viewer bundle, safe to inline in a ``<script>`` element; None when missing."""
    try:
        text = (resources.files("pytest_gtguard.meta") / "_viewer" / BUNDLE).read_text("utf-8")
    except (OSError, ValueError):
        return None
    # "</script" would end the element; "<\/" means "</" in a JS string, template or regex alike.
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)


def embedded_json(document: Mapping[str, Any]) -> str:
    """Return the document as JSON safe inside ``<script type=application/json>``.

    The sources in it are the user's text: ``</script>`` or ``<!--`` there must not end or change the
    element, so every ``<``, ``>`` and ``&`` is written as a JSON unicode escape (JSON.parse restores it).
    """
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def page(document: Mapping[str, Any], *, script: str | None) -> str:
    """Return the whole page: header, viewer element, embedded document, inlined viewer, loader."""
    config = document.get("config", {})
    verdict = str(config.get("verdict", "fail" if config.get("failures") else "pass"))
    title = f"gtguard meta: {_pct(config.get('score'))} ({verdict})"
    parts = [
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>",
        "<meta name=viewport content='width=device-width, initial-scale=1'>",
        f"<style>{_STYLE}</style></head><body>",
        _header(document, verdict),
    ]
    if script is None:
        parts.append(
            "<p class=gtg>The report viewer is missing from this installation of pytest-gtguard (reinstall it); "
            "the full data is in <code>mutation-report.json</code>.</p>"
        )
    parts.append("<mutation-test-report-app title-postfix='gtguard meta'></mutation-test-report-app>")
    parts.append(f"<script type=application/json id=gtguard-meta-report>{embedded_json(document)}</script>")
    if script is not None:
        parts.append(f"<script>{script}</script>")
        parts.append(f"<script>{_LOADER}</script>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(document: Mapping[str, Any], path: Path) -> None:
    """Write the page for ``document`` to ``path``."""
    _atomic.write_text(path, page(document, script=viewer_script()), alternative=ALTERNATIVE)


def _header(document: Mapping[str, Any], verdict: str) -> str:
    config = document.get("config", {})
    counts = config.get("counts", {})
    detected = counts.get("Killed", 0) + counts.get("Timeout", 0)
    valid = detected + counts.get("Survived", 0) + counts.get("NoCoverage", 0)
    minimum = config.get("minScore")
    parts = [
        "<header class=gtg>",
        f"<h1>gtguard meta report <span class='badge {_esc(verdict)}'>{_esc(verdict.upper())}</span></h1>",
        f"<div>Mutation score <b>{_pct(config.get('score'))}</b> ({detected}/{valid} detected)"
        + (f", minimum {minimum:g}%" if isinstance(minimum, (int, float)) else "")
        + f"; on covered code {_pct(config.get('scoreOnCovered'))}. <span class=muted>"
        + html.escape(", ".join(f"{k} {v}" for k, v in counts.items() if v))
        + "</span></div>",
    ]
    failures = config.get("failures") or []
    if failures:
        parts.append("<ul>" + "".join(f"<li class=bad>{html.escape(str(f))}</li>" for f in failures) + "</ul>")
    columns = [_variants(config.get("variants") or [])]
    section = memorizer_html_section(document)  # "" without the memorizer keys
    if not section and document.get("passable_by_hardcoding"):
        section = f"<h2>Passable by hard-coding</h2>{_data(document['passable_by_hardcoding'])}"
    columns.append(section)
    parts.append("<div class=cols>" + "".join(f"<div>{c}</div>" for c in columns if c) + "</div>")
    for key, label in (("requirements", "Requirements"), ("findings", "Test-integrity findings")):
        items = config.get(key) or []
        if items:
            parts.append(f"<details><summary>{label} ({len(items)})</summary>{_data(items)}</details>")
    parts.append(
        "<div class='muted small'>Below: every file with its score, the source with each mutant (filter by "
        "status), and the tests (the Tests tab) with the mutants each one killed.</div></header>"
    )
    return "\n".join(parts)


def _variants(variants: list[Mapping[str, Any]]) -> str:
    if not variants:
        return ""
    parts = [
        f"<h2>Hand-written variants ({sum(_caught(v) for v in variants)}/{len(variants)} caught)</h2>",
        "<table><tr><th>variant</th><th>target</th><th>status</th><th>caught by</th></tr>",
    ]
    for v in variants:
        css = "ok" if _caught(v) else "bad"
        parts.append(
            f"<tr><td>{_esc(v.get('name'))}</td><td class=id>{_esc(v.get('target'))}</td>"
            f"<td class={css}>{_esc(v.get('status'))}</td><td class=id>{_esc(v.get('killedBy') or '')}</td></tr>"
        )
    parts.append("</table>")
    return "".join(parts)


def _caught(variant: Mapping[str, Any]) -> bool:
    return variant.get("status") in ("Killed", "Timeout")


def _data(value: Any) -> str:
    """Render JSON data generically: a list of objects as a table, an object as rows, a list as items."""
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        keys = list(dict.fromkeys(k for v in value for k in v))
        head = "".join(f"<th>{_esc(k)}</th>" for k in keys)
        rows = "".join("<tr>" + "".join(f"<td>{_data(v.get(k))}</td>" for k in keys) + "</tr>" for v in value)
        return f"<table><tr>{head}</tr>{rows}</table>"
    if isinstance(value, Mapping):
        rows = "".join(f"<tr><th>{_esc(k)}</th><td>{_data(v)}</td></tr>" for k, v in value.items())
        return f"<table>{rows}</table>"
    if isinstance(value, list):
        return (
            ", ".join(_data(v) for v in value)
            if len(value) <= 5
            else ("<ul>" + "".join(f"<li>{_data(v)}</li>" for v in value) + "</ul>")
        )
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _esc("" if value is None else value)


def _esc(value: object) -> str:
    return html.escape(str(value))


def _pct(value: object) -> str:
    return f"{value:.1f}%" if isinstance(value, (int, float)) and not isinstance(value, bool) else "n/a"
