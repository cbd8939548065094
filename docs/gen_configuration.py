"""Regenerate the option table in docs/configuration.md from settings.ALL_OPTIONS.

Hidden options (plumbing between gtguard's processes) are left out; deprecated spellings are shown.

python docs/gen_configuration.py          # rewrite the table in place
python docs/gen_configuration.py --check  # exit 1 when the page is stale (the test suite runs this)
"""

from __future__ import annotations

import sys
from pathlib import Path

from pytest_gtguard.settings import ALL_OPTIONS, Kind

PAGE = Path(__file__).with_name("configuration.md")
START, END = "<!-- options:start -->", "<!-- options:end -->"


def table() -> str:
    rows = ["| command line | environment | ini key | type | default | meaning |", "|---|---|---|---|---|---|"]
    for opt in ALL_OPTIONS:
        if opt.hidden:  # plumbing between gtguard's own processes, not a user setting
            continue
        flags = ", ".join(f"`{f}`" for f in opt.flags) or "–"
        if opt.deprecated:
            flags += " (deprecated: " + ", ".join(f"`{f}`" for f in opt.deprecated) + ")"
        env = f"`{opt.env}`" if opt.env else "–"
        ini = f"`{opt.ini}`" if opt.ini else "–"
        default = "–" if opt.default in (None, False) and opt.kind is not Kind.FLAG else f"`{opt.default}`"
        if isinstance(opt.default, tuple):
            default = "`" + " ".join(opt.default) + "`"
        rows.append(f"| {flags} | {env} | {ini} | {opt.kind.value} | {default} | {opt.help} |")
    return "\n".join(rows)


def render(text: str) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{table()}\n{END}{tail}"


def main() -> int:
    text = PAGE.read_text()
    fresh = render(text)
    if "--check" in sys.argv:
        if fresh != text:
            print(f"{PAGE} is stale: run python docs/gen_configuration.py")
            return 1
        return 0
    PAGE.write_text(fresh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
