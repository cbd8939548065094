"""Wall time of `pytest --before --after` (3 runs per side) against a hand-written-style evaluator.

The evaluator does what 222 of 241 real evaluation.py scripts do (survey §3): run `python -m pytest -v`
once per side in a subprocess, one after the other, with a PYTHONPATH swap, and parse the -v output.
Both run on the same task in a temp dir: a generated one (--tests, --work-ms), or a copy of a real task
folder (--task PATH; the copy keeps the original untouched). Both get what a user's machine has:
bytecode caching on, even where this machine's environment sets PYTHONDONTWRITEBYTECODE. Prints the
median of --repeat interleaved rounds, the fastest round of each, the ratios, and how much of a
second core the machine gave two CPU-bound processes meanwhile (the split needs it; the evaluator not).

    python bench/split_vs_evaluator.py [--tests 40] [--work-ms 5] [--repeat 5] [--task PATH]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

MODULE = """
def work(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total

def answer(x):
    return x {op} 1
"""


def make_task(root: Path, tests: int, work_ms: float) -> None:
    loops = int(work_ms * 12_000)  # ~12k loop iterations per ms on this class of machine
    for side, op in (("repository_before", "-"), ("repository_after", "+")):
        (root / side).mkdir(parents=True)
        (root / side / "mod.py").write_text(textwrap.dedent(MODULE.format(op=op)))
    lines = ["from mod import answer, work", ""]
    for i in range(tests):
        expect = "answer(1) == 2" if i % 4 == 0 else "work(3) == 5"
        lines += [f"def test_{i}():", f"    work({loops})", f"    assert {expect}", ""]
    (root / "tests").mkdir()
    (root / "tests" / "test_mod.py").write_text("\n".join(lines))
    (root / "pytest.ini").write_text("[pytest]\n")


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def copy_task(source: Path, root: Path) -> None:
    """Copy a real task (without caches, reports or VCS data) into ``root``."""
    ignore = shutil.ignore_patterns(".git", "__pycache__", ".pytest_cache", "evaluation", "*.pyc")
    shutil.copytree(source, root, ignore=ignore, dirs_exist_ok=True)


def evaluator(root: Path) -> dict[str, dict[str, str]]:
    """The hand-written evaluator: plain pytest -v per side, sequential, parsed text."""
    results = {}
    for side in ("repository_before", "repository_after"):
        env = {**ENV, "PYTHONPATH": str(root / side), "REPO_PATH": side}
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "tests", "-v", "-p", "no:gtguard", "-p", "no:cacheprovider"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        results[side] = dict(re.findall(r"^(\S+::\S+) (PASSED|FAILED|ERROR|SKIPPED)", proc.stdout, re.M))
    return results


def _exit_code(cmd: list[str], root: Path) -> int:
    proc = subprocess.run(cmd, cwd=root, env=ENV, capture_output=True, text=True, timeout=600, check=False)
    return proc.returncode


def gtguard(root: Path) -> int:
    """``pytest --before --after`` with 3 runs per side."""
    report = str(root / "out" / "report.json")
    return _exit_code(
        [sys.executable, "-m", "pytest", "--before", "--after", "--gtguard-runs", "3", "--gtguard-report", report], root
    )


def gtguard_cli(root: Path) -> int:
    """``gtguard split`` with 3 runs per side."""
    gtguard = str(Path(sys.executable).with_name("gtguard"))
    report = str(root / "out" / "r2.json")
    return _exit_code([gtguard, "split", str(root), "--gtguard-runs", "3", "--gtguard-report", report], root)


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


_SPIN = "total = 0\nfor i in range(3_000_000):\n    total += i * i % 7\n"  # a fixed amount of work


def parallel_speedup() -> float:
    """Return how much faster two CPU-bound processes finish together than one after the other.

    2.0 is two whole cores. On a shared VM the second core comes and goes with the neighbours' load,
    and the split (which needs both) feels it while the sequential evaluator does not: printed next to
    the ratios so that a run on a crowded machine can be told from a slower split.
    """

    def spin(n: int) -> float:
        start = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", _SPIN]) for _ in range(n)]
        for proc in procs:
            proc.wait()
        return time.perf_counter() - start

    return 2 * spin(1) / spin(2)


def compile_gtguard() -> None:
    """Give gtguard the bytecode a wheel install has (pip compiles it): this machine may set
    PYTHONDONTWRITEBYTECODE, and an editable install would then recompile gtguard in every run."""
    import compileall

    import pytest_gtguard

    compileall.compile_dir(Path(pytest_gtguard.__file__).parent, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=40)
    parser.add_argument("--work-ms", type=float, default=5.0, help="CPU work per test")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--task", type=Path, help="a real task folder to copy and use instead")
    opts = parser.parse_args()
    compile_gtguard()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "task"
        if opts.task:
            copy_task(opts.task, root)
            label = f"task {opts.task.name}"
        else:
            make_task(root, opts.tests, opts.work_ms)
            label = f"task: {opts.tests} tests x {opts.work_ms} ms CPU"
        parsed = evaluator(root)  # warm-up, and a sanity check that the task behaves
        if not opts.task:
            assert sum(v == "PASSED" for v in parsed["repository_after"].values()) == opts.tests, parsed
        code, code_cli = gtguard(root), gtguard_cli(root)
        assert code == code_cli, (code, code_cli)  # the same verdict both ways (a real task may be invalid)
        ev, gt, cli, speedup = [], [], [], []
        for _ in range(opts.repeat):  # interleaved, so load changes hit all three alike
            ev.append(timed(evaluator, root))
            gt.append(timed(gtguard, root))
            cli.append(timed(gtguard_cli, root))
            speedup.append(parallel_speedup())
    e, g, c = statistics.median(ev), statistics.median(gt), statistics.median(cli)
    print(f"{label}; {os.cpu_count()} cores; median (fastest) of {opts.repeat} rounds")
    print(
        f"two CPU-bound processes at once ran {statistics.median(speedup):.2f}x as fast as one after the other "
        f"(2.00 = two whole cores; range {min(speedup):.2f}-{max(speedup):.2f})"
    )
    print(f"hand-written evaluator (1 run per side, sequential): {e:.2f} s ({min(ev):.2f})")
    print(f"pytest --before --after (3 runs per side):            {g:.2f} s ({min(gt):.2f})")
    print(f"gtguard split (3 runs per side):                    {c:.2f} s ({min(cli):.2f})")
    print(f"ratio pytest --before --after / evaluator: {g / e:.2f}x ({min(gt) / min(ev):.2f}x)  (target <= 1.5x)")
    print(f"ratio gtguard split / evaluator:           {c / e:.2f}x ({min(cli) / min(ev):.2f}x)")


if __name__ == "__main__":
    main()
