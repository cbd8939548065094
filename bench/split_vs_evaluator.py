"""Wall time of `pytest --before --after` (3 runs per side) against a hand-written evaluator.

The evaluator is bench/handwritten_evaluator.py: a script run as its own process, with the steps of
the 241 real evaluation.py scripts (survey §3): it describes the machine (`platform`, `git rev-parse`),
runs `python -m pytest -v` once per side in a subprocess, one after the other, with a PYTHONPATH swap,
parses the -v output and writes a report.json. That script is what `pytest --before --after` replaces,
so the two commands are timed whole. The bench also times the floor under any evaluator: the two
pytest subprocesses alone, started from the bench process itself (no script, no report).
Everything runs on the same task in a temp dir: a generated one (--tests, --work-ms), or a copy of a
real task folder (--task PATH; the copy keeps the original untouched). All get what a user's machine
has: bytecode caching on, even where this machine's environment sets PYTHONDONTWRITEBYTECODE, and no
gtguard in the evaluator's pytest (a task without gtguard). Prints the median of --repeat interleaved
rounds, the fastest round of each, the ratios, and how much of a second core the machine gave two
CPU-bound processes meanwhile (the split needs it; the evaluator not).

    python bench/split_vs_evaluator.py [--tests 40] [--work-ms 5] [--repeat 5] [--task PATH [--evaluator PATH]]

With --xdist it times instead `pytest --before --after` with and without `-n 2` (interleaved rounds,
median and range): with -n the split must be no slower (docs/xdist.md; -n once went to every run, and
each run and the parent started workers of their own).
"""

from __future__ import annotations

import argparse
import json
import os
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


EVALUATOR = Path(__file__).with_name("handwritten_evaluator.py")
NO_GTGUARD = {**ENV, "PYTEST_ADDOPTS": "-p no:gtguard"}  # the evaluator's task has no gtguard installed


def evaluator(root: Path, own: Path | None = None) -> None:
    """Run the hand-written evaluator as real tasks run theirs: bench/handwritten_evaluator.py, or the
    task's own script (``own``, inside the copy: real ones find the task from their own path)."""
    script = [str(root / own)] if own else [str(EVALUATOR), str(root), "--output", str(root / "out" / "ev.json")]
    subprocess.run([sys.executable, *script], cwd=root, env=NO_GTGUARD, capture_output=True, timeout=600, check=False)


def evaluator_outcomes(root: Path) -> dict[str, dict[str, str]]:
    """Return the outcome of each test on each side, from bench/handwritten_evaluator.py's report."""
    results = json.loads((root / "out" / "ev.json").read_text())["results"]
    return {side: {t["nodeid"]: t["outcome"] for t in results[side]["tests"]} for side in ("before", "after")}


def two_pytests(root: Path) -> None:
    """The floor under any evaluator: plain pytest -v once per side, from this process, nothing else."""
    for side in ("repository_before", "repository_after"):
        env = {**NO_GTGUARD, "PYTHONPATH": str(root / side)}
        cmd = [sys.executable, "-m", "pytest", "tests", "-v"]
        subprocess.run(cmd, cwd=root, env=env, capture_output=True, timeout=600, check=False)


def _exit_code(cmd: list[str], root: Path) -> int:
    proc = subprocess.run(cmd, cwd=root, env=ENV, capture_output=True, text=True, timeout=600, check=False)
    return proc.returncode


def gtguard(root: Path, *extra: str) -> int:
    """``pytest --before --after`` with 3 runs per side (and ``extra`` arguments)."""
    report = str(root / "out" / "report.json")
    return _exit_code(
        [
            sys.executable,
            "-m",
            "pytest",
            "--before",
            "--after",
            "--gtguard-runs",
            "3",
            "--gtguard-report",
            report,
            *extra,
        ],
        root,
    )


def xdist_rounds(root: Path, label: str, repeat: int) -> None:
    """Time the split with and without ``-n 2``, interleaved; print the medians, ranges and paired ratio."""
    assert gtguard(root) == gtguard(root, "-n", "2")  # the same verdict both ways
    plain, with_n = [], []
    for _ in range(repeat):
        plain.append(timed(gtguard, root))
        with_n.append(timed(gtguard, root, "-n", "2"))
    print(f"{label}; {os.cpu_count()} cores; median (range) of {repeat} interleaved rounds")
    for name, times in (("pytest --before --after", plain), ("pytest --before --after -n 2", with_n)):
        spread = f"{min(times):.2f}-{max(times):.2f}"
        print(f"{name + ' (3 runs per side):':48} {statistics.median(times):.2f} s ({spread})")
    paired = [n / p for n, p in zip(with_n, plain, strict=True)]
    print(
        f"ratio -n 2 / without, median of the rounds' ratios: {statistics.median(paired):.2f}x "
        f"({min(paired):.2f}-{max(paired):.2f})"
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
    parser.add_argument(
        "--evaluator",
        type=Path,
        help="with --task: time the task's own evaluator script instead (a path inside the task, such as "
        "evaluation/evaluation.py; only scripts that run outside their Docker image, with no /app paths)",
    )
    parser.add_argument("--xdist", action="store_true", help="time the split with and without -n 2 instead")
    opts = parser.parse_args()
    if opts.evaluator and not (opts.task and (opts.task / opts.evaluator).is_file()):
        parser.error("--evaluator takes a script inside the --task folder")
    compile_gtguard()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "task"
        if opts.task:
            copy_task(opts.task, root)
            label = f"task {opts.task.name}"
            if opts.evaluator:
                (root / opts.evaluator).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(opts.task / opts.evaluator, root / opts.evaluator)
                label += f", against its own {opts.evaluator}"
        else:
            make_task(root, opts.tests, opts.work_ms)
            label = f"task: {opts.tests} tests x {opts.work_ms} ms CPU"
        if opts.xdist:
            xdist_rounds(root, label, opts.repeat)
            return
        evaluator(root)  # warm-up, and a sanity check that the task behaves
        if not opts.task:
            parsed = evaluator_outcomes(root)
            assert sum(v == "passed" for v in parsed["after"].values()) == opts.tests, parsed
        code, code_cli = gtguard(root), gtguard_cli(root)
        assert code == code_cli, (code, code_cli)  # the same verdict both ways (a real task may be invalid)
        ev, bare, gt, cli, speedup = [], [], [], [], []
        for _ in range(opts.repeat):  # interleaved, so load changes hit all alike
            ev.append(timed(evaluator, root, opts.evaluator))
            bare.append(timed(two_pytests, root))
            gt.append(timed(gtguard, root))
            cli.append(timed(gtguard_cli, root))
            speedup.append(parallel_speedup())
    e, b = statistics.median(ev), statistics.median(bare)
    g, c = statistics.median(gt), statistics.median(cli)
    print(f"{label}; {os.cpu_count()} cores; median (fastest) of {opts.repeat} rounds")
    print(
        f"two CPU-bound processes at once ran {statistics.median(speedup):.2f}x as fast as one after the other "
        f"(2.00 = two whole cores; range {min(speedup):.2f}-{max(speedup):.2f})"
    )
    print(f"hand-written evaluator (1 run per side, sequential): {e:.2f} s ({min(ev):.2f})")
    print(f"  its two pytest runs alone (the floor):              {b:.2f} s ({min(bare):.2f})")
    print(f"pytest --before --after (3 runs per side):            {g:.2f} s ({min(gt):.2f})")
    print(f"gtguard split (3 runs per side):                    {c:.2f} s ({min(cli):.2f})")
    print(f"ratio pytest --before --after / evaluator: {g / e:.2f}x ({min(gt) / min(ev):.2f}x)  (target <= 1.5x)")
    print(f"ratio gtguard split / evaluator:           {c / e:.2f}x ({min(cli) / min(ev):.2f}x)")
    print(f"ratio pytest --before --after / the floor: {g / b:.2f}x ({min(gt) / min(bare):.2f}x)")
    # Each round times both back to back: the median of the rounds' own ratios cancels slow load changes.
    paired = statistics.median(x / y for x, y in zip(gt, ev, strict=True))
    print(f"ratio pytest --before --after / evaluator, median of the rounds' ratios: {paired:.2f}x")


if __name__ == "__main__":
    main()
