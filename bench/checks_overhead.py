"""Measure the overhead of gtguard's runtime checks on a 200-test run with no forbidden use (issue 5).

Builds a throw-away task in a temp dir (side code with a little real work, 200 tests), then times
`pytest --after` in fresh processes, alternating:

* baseline: the same run without gtguard checks (`-p no:gtguard-checks`),
* guarded:  whole-task forbid_imports + forbid_calls (import recorder, globals scan, call tracer),
* sources:  guarded plus the nondeterminism-source detectors on every test.

Prints the best and the median CPU time (user + system of the pytest process; wall time swings far
more when other jobs share the machine) of each, and their ratios to the baseline. The headline is
the ratio of the best runs, as ``timeit`` advises: noise only ever adds time (target: <= 1.05).
A second measurement runs the same sessions in this process (``pytest.main``, imports warm), which
leaves out interpreter start-up and shows the steady per-test cost alone. A third profiles one warm
guarded session and prints the share of time spent in gtguard's checks code itself, a figure that
machine load does not move.
Usage: python bench/checks_overhead.py [--rounds N]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

CODE = '''
"""Side code: a tokenizer and a ranking, with no forbidden use."""
import re
from collections import Counter

_WORD = re.compile(r"[a-z]+")


def words(text):
    return _WORD.findall(text.lower())


def rank(text, n):
    counts = Counter(words(text))
    out = []
    for word, count in counts.items():
        i = 0
        while i < len(out) and (out[i][1], out[i][0]) >= (count, word):
            i += 1
        out.insert(i, (word, count))
    return [w for w, _ in out[:n]]
'''

TESTS = """
import pytest
from pkg.core import rank, words

TEXT = "the cat and the dog and the bird " * 20


@pytest.mark.parametrize("i", range(200))
def test_rank(i):
    assert rank(TEXT + " extra" * (i % 7), 2)[0] == "the"
    assert len(words(TEXT)) == 160
"""

CONFIGS = {
    "baseline": ["-p", "no:gtguard-checks"],
    "guarded": ["-o", "gtguard_forbid_imports=numpy pandas", "-o", "gtguard_forbid_calls=eval exec sorted"],
    "sources": [
        "-o",
        "gtguard_forbid_imports=numpy pandas",
        "-o",
        "gtguard_forbid_calls=eval exec sorted",
        "-o",
        "gtguard_determinism_sources=true",
    ],
}


def build(root: Path) -> None:
    for name, text in {
        "repository_before/pkg/__init__.py": "",
        "repository_after/pkg/__init__.py": "",
        "repository_after/pkg/core.py": CODE,
        "tests/test_rank.py": TESTS,
        "pytest.ini": "[pytest]\ntestpaths = tests\n",
    }.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


# Measure what an installed user sees: bytecode cached (pip compiles a wheel). This machine may set
# PYTHONDONTWRITEBYTECODE, which would add compiling gtguard's modules to every guarded process.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
_ENV["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "gtguard-bench-pycache")


def run(root: Path, extra: list[str]) -> float:
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--after",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        *extra,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False, env=_ENV)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0 or "200 passed" not in proc.stdout:
        raise SystemExit(f"bench run failed ({extra}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def in_process(root: Path, rounds: int) -> dict[str, list[float]]:
    import pytest

    times: dict[str, list[float]] = {name: [] for name in CONFIGS}
    here = Path.cwd()
    os.chdir(root)
    try:
        for _ in range(rounds):
            for name, extra in CONFIGS.items():
                start = time.process_time()
                with contextlib.redirect_stdout(io.StringIO()):
                    code = pytest.main(["--after", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *extra])
                times[name].append(time.process_time() - start)
                if code != 0:
                    raise SystemExit(f"in-process bench run failed ({extra}): exit {code}")
    finally:
        os.chdir(here)
    return times


def own_share(root: Path) -> float:
    import cProfile
    import pstats

    import pytest

    args = ["--after", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *CONFIGS["guarded"]]
    here = Path.cwd()
    os.chdir(root)
    try:
        profile = cProfile.Profile()
        with contextlib.redirect_stdout(io.StringIO()):
            pytest.main(args)  # warm
            profile.enable()
            pytest.main(args)
            profile.disable()
    finally:
        os.chdir(here)
    stats = pstats.Stats(profile)
    ours = sum(row[2] for key, row in stats.stats.items() if "pytest_gtguard/checks" in key[0])  # type: ignore[attr-defined]
    return ours / stats.total_tt  # type: ignore[attr-defined]


def report(title: str, times: dict[str, list[float]]) -> None:
    best_base, median_base = min(times["baseline"]), statistics.median(times["baseline"])
    print(title)
    for name, values in times.items():
        best, median = min(values), statistics.median(values)
        print(
            f"  {name:9s} best {best * 1000:7.1f} ms (ratio {best / best_base:.3f})   "
            f"median {median * 1000:7.1f} ms (ratio {median / median_base:.3f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory(prefix="gtguard-bench-") as tmp:
        root = Path(tmp)
        build(root)
        for extra in CONFIGS.values():
            run(root, extra)  # warm the file cache
        times: dict[str, list[float]] = {name: [] for name in CONFIGS}
        for _ in range(rounds):
            for name, extra in CONFIGS.items():  # interleaved, so drift hits all configs alike
                times[name].append(run(root, extra))
        warm = in_process(root, rounds)
        share = own_share(root)
    version = sys.version.split()[0]
    report(f"200 tests, {rounds} rounds, CPU time per pytest process (python {version}):", times)
    report("same sessions in one process (imports warm, no start-up):", warm)
    print(f"time in gtguard.checks' own functions, warm guarded session (cProfile): {share:.1%}")
    print(
        f"overhead ratio (guarded / baseline, best of {rounds}): "
        f"{min(times['guarded']) / min(times['baseline']):.3f} per process, "
        f"{min(warm['guarded']) / min(warm['baseline']):.3f} in process (target <= 1.05)"
    )


if __name__ == "__main__":
    main()
