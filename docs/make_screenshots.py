"""Build example HTML pages of gtguard and screenshot them for the docs, into docs/_static/<name>.png.

Usage (from the repository root; needs chromium on PATH, or CHROMIUM=/path/to/chrome)::

    python docs/make_screenshots.py            # every page
    python docs/make_screenshots.py split      # only the pages named

Each page is a ``Page(name, build, size)`` in ``PAGES``. ``build(workdir)`` makes its HTML file under
``workdir`` (a fresh temporary folder) and returns the file's path; nothing is written to the source tree
but the PNG. To add a page (the perf gate page, the meta run's report, ...), write a build function
beside ``build_split`` and append ``Page("your-name", build_yours)`` to ``PAGES``; link the PNG from the
docs page as ``![...](_static/your-name.png)``.

Headless chromium draws the first ``size`` pixels (width, height) of the page. PNGs are kept small by
reducing them to 256 colours with pngquant when it is installed (the split page is ~200 KB without).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "docs" / "_static"

# Added to a copy of examples/wordstats, so the split page shows every section: a test that pins the
# bug (a regression on after), and one that depends on the hash seed (flaky), next to the real suite.
EXTRA_TESTS = """
import os

from wordstats.counter import top_words


def test_capitalised_words_are_counted_apart():
    assert top_words("The the", 2) == ["The", "the"]


def test_hash_seed_order():
    assert os.environ.get("PYTHONHASHSEED") != "1"
"""


@dataclass(frozen=True)
class Page:
    """One screenshot: its name (the PNG's), how to build its HTML, and the window size."""

    name: str
    build: Callable[[Path], Path]
    size: tuple[int, int] = (1280, 1600)
    fragment: str = ""  # appended to the page's URL (a view of a script-driven page)


def build_split(workdir: Path) -> Path:
    """Run ``gtguard split`` on a copy of examples/wordstats with two extra tests; return report.html."""
    task = workdir / "wordstats"
    shutil.copytree(ROOT / "examples" / "wordstats", task, ignore=shutil.ignore_patterns("evaluation"))
    (task / "tests" / "test_pinned.py").write_text(textwrap.dedent(EXTRA_TESTS))
    report = workdir / "out" / "report.json"
    cmd = [sys.executable, "-m", "pytest_gtguard.cli", "split", str(task), "--gtguard-runs", "3"]
    cmd += ["--gtguard-report", str(report)]
    subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=300)  # exit 1: the task is invalid
    page = report.with_suffix(".html")
    if not page.is_file():
        raise SystemExit(f"make_screenshots: the split wrote no page; run {' '.join(cmd)} to see why")
    return page


def build_meta(workdir: Path) -> Path:
    """Run ``pytest --meta`` on a copy of examples/wordstats, its before version as a variant; return the page."""
    task = workdir / "wordstats"
    shutil.copytree(ROOT / "examples" / "wordstats", task, ignore=shutil.ignore_patterns("evaluation"))
    out = workdir / "out"
    variant = "repository_after/wordstats/counter.py=repository_before/wordstats/counter.py"
    cmd = [sys.executable, "-m", "pytest", "--meta", "-p", "no:cacheprovider", f"--gtguard-meta-report={out}"]
    cmd += [f"--gtguard-meta-variants={variant}"]
    subprocess.run(cmd, cwd=task, check=False, capture_output=True, text=True, timeout=300)
    page = out / "mutation-report.html"
    if not page.is_file():
        raise SystemExit(f"make_screenshots: the meta run wrote no page; run {' '.join(cmd)} in {task} to see why")
    return page


PERF_TESTS = """
import time

import pytest


def dedupe(items):
    return list(dict.fromkeys(items))


def dedupe_quadratic(items):
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


@pytest.mark.perf_gate(n=100_000, ms=30, complexity="O(n)", mb=50)
def test_dedupe_is_linear(perf):
    assert perf.measure(dedupe, setup=lambda n: list(range(n)) * 2) is not None


@pytest.mark.perf_gate(n=5_000, ms=20, complexity="O(n)")
def test_quadratic_dedupe_is_caught(perf):
    assert perf.measure(dedupe_quadratic, setup=lambda n: list(range(n))) is not None


@pytest.mark.perf_gate(n=1000, ms=5)
def test_sort_small(perf):
    perf.measure(sorted, setup=lambda n: list(range(n, 0, -1)))


@pytest.mark.perf_gate(n=10, ms=30, clock="wall")
def test_waits_on_the_wall_clock():
    time.sleep(0.01)
"""


def build_perf(workdir: Path) -> Path:
    """Run four perf gates (one a wrong O(n^2) solution) with --gtguard-perf-html; return the page."""
    (workdir / "tests").mkdir()
    (workdir / "tests" / "test_speed.py").write_text(textwrap.dedent(PERF_TESTS))
    page = workdir / "out" / "perf.html"
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests", f"--gtguard-perf-html={page}"]
    subprocess.run(cmd, cwd=workdir, check=False, capture_output=True, text=True, timeout=300)  # exit 1: one fails
    if not page.is_file():
        raise SystemExit(f"make_screenshots: the perf run wrote no page; run {' '.join(cmd)} in {workdir} to see why")
    return page


PAGES: list[Page] = [
    Page("split", build_split),
    Page("meta-report", build_meta, (1280, 1180), fragment="#mutant/counter.py"),
    Page("perf", build_perf, (1280, 1130)),
]


def chromium() -> str:
    """Return the chromium binary: $CHROMIUM, else chromium or google-chrome on PATH."""
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("google-chrome")
    if not found:
        raise SystemExit("make_screenshots: no chromium; install it (apt-get install chromium) or set CHROMIUM")
    return found


def screenshot(html: Path, png: Path, size: tuple[int, int], fragment: str = "") -> None:
    """Draw ``html`` with headless chromium into ``png``, then shrink it with pngquant if present."""
    png.parent.mkdir(parents=True, exist_ok=True)
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    cmd += ["--virtual-time-budget=5000"]  # let a page's scripts (the meta report's viewer) draw it first
    cmd += [f"--screenshot={png}", f"--window-size={size[0]},{size[1]}", html.resolve().as_uri() + fragment]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    quant = shutil.which("pngquant")
    if quant:
        subprocess.run([quant, "--force", "--skip-if-larger", "--output", str(png), "256", str(png)], check=False)


def main(argv: Sequence[str]) -> int:
    """Screenshot the pages named in ``argv`` (all when none); return 0, or 2 for an unknown name."""
    names = set(argv) or {p.name for p in PAGES}
    unknown = names - {p.name for p in PAGES}
    if unknown:
        print(f"make_screenshots: no page {', '.join(sorted(unknown))}; pages: {', '.join(p.name for p in PAGES)}")
        return 2
    for page in PAGES:
        if page.name in names:
            with tempfile.TemporaryDirectory(prefix=f"gtguard-shot-{page.name}-") as tmp:
                png = STATIC / f"{page.name}.png"
                screenshot(page.build(Path(tmp)), png, page.size, page.fragment)
                print(f"{png.relative_to(ROOT)}: {png.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
