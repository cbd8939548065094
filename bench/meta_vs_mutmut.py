"""Compare ``pytest --meta`` with mutmut 3 on bench/mutation_project, default settings of both.

Usage: python bench/meta_vs_mutmut.py [--python PY] [--mutmut-venv DIR] [--keep]

``--python`` is an interpreter with pytest-gtguard installed (default: this one). mutmut 3.8.1 and
pytest 9.2.0 are installed into their own venv under a temporary directory (or ``--mutmut-venv``,
reused when it exists). Each tool runs on its own scratch copy of the project. Printed per tool:
mutants, outcome counts, score, wall seconds, mutants/s end to end; for gtguard also the mutation
phase rate and the wall cost of each hanging (Timeout) mutant; then the speed ratio.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent / "mutation_project"
# gtguard's families that mutmut 3.8.1 also has (it has no boundary, return, statement, exception, slice).
MUTMUT_FAMILIES = "arithmetic,comparison,boolean,constant,loop"
MUTMUT_PINS = ["mutmut==3.8.1", "pytest==9.2.0"]
# mutmut 3.8.1 exit code -> status (its stats.py status_by_exit_code).
MUTMUT_STATUS = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    36: "timeout",
    -24: "timeout",
    24: "timeout",
    152: "timeout",
    255: "timeout",
    37: "caught by type check",
    -11: "segfault",
    -9: "segfault",
}


def digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        if "mutants" in p.parts or "__pycache__" in p.parts:
            continue
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def copy_project(work: Path, name: str) -> Path:
    dst = work / name
    shutil.copytree(PROJECT, dst, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "mutants"))
    return dst


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, float]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout + proc.stderr, time.perf_counter() - t0


def run_gtguard(python: str, work: Path, attempt: int = 0, operators: str = "") -> dict[str, object]:
    proj = copy_project(work, f"gtguard-{attempt}")
    before = digest(proj)
    report_dir = work / f"gtguard-report-{attempt}"
    extra = [f"--gtguard-meta-operators={operators}"] if operators else []
    # `--opt=value`: pytest picks the rootdir before plugin options are known.
    cmd = [
        python,
        "-m",
        "pytest",
        "--meta",
        "-p",
        "no:cacheprovider",
        f"--gtguard-meta-report={report_dir}",
        *extra,
    ]
    rc, out, wall = timed(cmd, proj)
    if not (report_dir / "mutation-report.json").exists():
        sys.exit(f"gtguard run failed (exit {rc}):\n{out}")
    doc = json.loads((report_dir / "mutation-report.json").read_text())
    mutants = [m for info in doc["files"].values() for m in info["mutants"]]
    counts = collections.Counter(m["status"] for m in mutants)
    hangs = [m["duration"] for m in mutants if m["status"] == "Timeout"]
    mutation_ms = doc["performance"]["mutation"]
    ran = sum(1 for m in mutants if m["status"] != "NoCoverage")
    return {
        "tool": "gtguard --meta",
        "rc": rc,
        "mutants": len(mutants),
        "outcomes": dict(counts),
        "score": doc["config"]["score"],
        "wall_s": wall,
        "per_s": len(mutants) / wall,
        "mutation_phase_per_s": ran / (mutation_ms / 1000) if mutation_ms else None,
        "timeout_ms": hangs,
        "child_cpu_ms": doc["config"].get("childCpuMs"),
        "tree_unchanged": before == digest(proj),
        "by_operator": dict(collections.Counter(m["mutatorName"] for m in mutants)),
    }


def ensure_mutmut(venv: Path) -> Path:
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *MUTMUT_PINS], check=True)
    return py


def run_mutmut(py: Path, work: Path) -> dict[str, object]:
    proj = copy_project(work, "mutmut")
    before = digest(proj)
    env = dict(os.environ)
    env["PATH"] = f"{py.parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    rc, out, wall = timed([str(py.parent / "mutmut"), "run"], proj, env=env)
    meta_file = proj / "mutants" / "mutbench" / "core.py.meta"
    if not meta_file.exists():
        sys.exit(f"mutmut run failed (exit {rc}):\n{out[-3000:]}")
    codes = json.loads(meta_file.read_text())["exit_code_by_key"]
    counts = collections.Counter(MUTMUT_STATUS.get(c, "suspicious") for c in codes.values())
    detected = counts["killed"] + counts["timeout"]
    valid = detected + counts["survived"] + counts["no tests"]
    reported = re.findall(r"([0-9.]+) mutations/second", out)
    return {
        "tool": "mutmut 3.8.1 (defaults)",
        "rc": rc,
        "mutants": len(codes),
        "outcomes": dict(counts),
        "score": 100.0 * detected / valid if valid else None,
        "wall_s": wall,
        "per_s": len(codes) / wall,
        "mutation_phase_per_s": float(reported[-1]) if reported else None,
        "tree_unchanged": before == digest(proj),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--mutmut-venv", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument("--runs", type=int, default=3, help="gtguard runs; the fastest is reported (noise)")
    parser.add_argument("--skip-mutmut", action="store_true", help="only run gtguard")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="meta-vs-mutmut-"))
    try:
        print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; scratch {work}")
        runs = [run_gtguard(args.python, work, i) for i in range(max(1, args.runs))]
        walls = sorted(float(r["wall_s"]) for r in runs)  # type: ignore[arg-type]
        gt = min(runs, key=lambda r: float(r["wall_s"]))  # type: ignore[arg-type]
        print(f"gtguard walls over {len(runs)} runs: {', '.join(f'{w:.2f}' for w in walls)} s")
        rows = [gt]
        if not args.skip_mutmut:
            rows.append(run_mutmut(ensure_mutmut(args.mutmut_venv or work / "venv-mutmut"), work))
        for row in rows:
            rate = row["mutation_phase_per_s"]
            print(
                f"{row['tool']:26} mutants {row['mutants']:4}  score {row['score']:.1f}%  "
                f"wall {row['wall_s']:6.2f} s  {row['per_s']:6.1f} mutants/s end-to-end  "
                f"mutation phase {rate if rate is None else round(rate, 1)} mutants/s  "
                f"tree unchanged {row['tree_unchanged']}"
            )
            print(f"{'':26} outcomes {row['outcomes']}")
        hangs = gt["timeout_ms"]
        if isinstance(hangs, list) and hangs:
            print(
                f"gtguard hanging mutants: {len(hangs)}, wall per hang median "
                f"{statistics.median(hangs):.0f} ms, max {max(hangs):.0f} ms"
            )
        print(f"gtguard child CPU per mutant (load-independent): {gt['child_cpu_ms']}")
        same = run_gtguard(args.python, work, 99, operators=MUTMUT_FAMILIES)
        print(
            f"gtguard on mutmut's operator families ({MUTMUT_FAMILIES}): {same['mutants']} mutants, "
            f"score {float(same['score']):.1f}%, outcomes {same['outcomes']}"  # type: ignore[arg-type]
        )
        print(f"gtguard operators: {gt['by_operator']}")
        if len(rows) == 2:
            ratio = float(rows[1]["wall_s"]) / float(gt["wall_s"])  # type: ignore[arg-type]
            print(f"ratio: gtguard end-to-end is {ratio:.1f}x faster than mutmut (target >= 15x)")
        print(f"load after: {os.getloadavg()[0]:.2f}")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
