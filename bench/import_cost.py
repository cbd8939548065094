"""Measure what pytest-gtguard costs a pytest run that does not use it.

Two figures, both against plain pytest measured in the same run:

1. ``python -X importtime``: the cumulative import time of ``pytest_gtguard.plugin`` once pytest itself
   is imported (what every pytest start pays for the entry point).
2. Wall time of ``pytest --collect-only -q`` on a small generated suite, with the plugin loaded and with
   ``-p no:gtguard``, interleaved, median of N.

Usage: python bench/import_cost.py [--runs N] [--tests N]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_IMPORTTIME = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|\s+(\s*)(\S+)")


def import_cost_us(module: str, runs: int, env: dict[str, str]) -> float:
    """Return the median cumulative import time of ``module`` (µs) after pytest is imported."""
    samples = []
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import pytest; import {module}"],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        top = module.split(".")[0]
        total = 0.0
        for line in proc.stderr.splitlines():
            match = _IMPORTTIME.match(line)
            # Unindented lines are imports done by the -c code itself; their cumulative figure includes
            # everything they imported in turn (the package, then each submodule on the way down).
            if match and not match[3] and (match[4] == top or match[4].startswith(top + ".")):
                total += float(match[2])
        samples.append(total)
    return statistics.median(samples) if samples else 0.0


def collect_ms(suite: Path, extra: list[str], env: dict[str, str]) -> float:
    """Return the wall time (ms) of one ``pytest --collect-only -q`` run of ``suite``."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *extra],
        cwd=suite,
        env=env,
        capture_output=True,
        check=True,
    )
    return (time.perf_counter() - start) * 1000


def write_suite(root: Path, tests: int) -> None:
    """Write a small plain suite (no task folders: the plugin stays idle)."""
    (root / "pytest.ini").write_text("[pytest]\n")
    body = "\n".join(f"def test_{i}():\n    assert {i} == {i}\n" for i in range(tests))
    (root / "test_small.py").write_text(body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per variant (median reported)")
    parser.add_argument("--tests", type=int, default=50, help="tests in the generated suite")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        # Measure what an installed user sees: bytecode cached. PYTHONDONTWRITEBYTECODE would make
        # every run recompile gtguard's sources; the cache goes to a temp prefix, not the source tree.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PYTEST_", "GTGUARD_")) and k != "PYTHONDONTWRITEBYTECODE"
        }
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        suite = Path(tmp) / "suite"
        suite.mkdir()
        write_suite(suite, args.tests)
        collect_ms(suite, [], env)  # warm the file system and bytecode caches
        collect_ms(suite, ["-p", "no:gtguard"], env)
        with_plugin: list[float] = []
        without: list[float] = []
        for _ in range(args.runs):  # interleaved, so drift in machine load hits both alike
            with_plugin.append(collect_ms(suite, [], env))
            without.append(collect_ms(suite, ["-p", "no:gtguard"], env))

        plugin_us = import_cost_us("pytest_gtguard.plugin", args.runs, env)
        pytest_us = import_cost_us("pytest", args.runs, env)
    med_with, med_without = statistics.median(with_plugin), statistics.median(without)
    print(f"import pytest_gtguard (after pytest): {plugin_us / 1000:.1f} ms (median of {args.runs})")
    print(f"import pytest (for scale):            {pytest_us / 1000:.1f} ms")
    print(
        f"pytest --collect-only, {args.tests} tests, median of {args.runs}: "
        f"with gtguard {med_with:.1f} ms, -p no:gtguard {med_without:.1f} ms, "
        f"ratio {med_with / med_without:.3f}, overhead {med_with - med_without:+.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
