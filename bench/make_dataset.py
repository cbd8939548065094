"""Generate a dataset of N small tasks of the kinds real datasets hold, some deliberately broken.

    python bench/make_dataset.py OUT_DIR [-n 50] [--seed 0] [--faults]

Kinds, in turn: bug fix, refactor (no FAIL_TO_PASS, ``gtguard_expect_f2p = false``), greenfield (an empty
repository_before) and performance (a ``perf_gate`` budget the slow before misses). About one task in
four is broken on purpose, in one of the ways real tasks are: instance lists naming tests that do not
exist, a repository_after that does not fix the bug, an instance file that is not JSON, a missing patch.
``--faults`` adds a task whose test hangs and one whose test kills its own process group.

Beside OUT_DIR it writes ``OUT_DIR-grade.jsonl``, a manifest with, per task, a correct candidate (a copy
of repository_after), a wrong one (a copy of repository_before) and a patch, for ``gtguard batch grade``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
from pathlib import Path

from pytest_gtguard.task.patch import make_patch
from pytest_gtguard.task.scaffold import Category, render_task

KINDS = ("bugfix", "refactor", "greenfield", "perf")
BROKEN = ("stale-lists", "after-fails", "bad-json", "no-patch")

_OPS_GOOD = '''"""Small arithmetic helpers."""


def add(a: int, b: int) -> int:
    return a + b


def scale(values: list[int], factor: int) -> list[int]:
    return [v * factor for v in values]
'''
_OPS_BUG = _OPS_GOOD.replace("return a + b", "return a - b if b > {k} else a + b")
_OPS_REFACTORED = '''"""Small arithmetic helpers."""

from operator import add as _add


def add(a: int, b: int) -> int:
    return _add(a, b)


def scale(values: list[int], factor: int) -> list[int]:
    return list(map(lambda v: v * factor, values))
'''
_OPS_SLOW = _OPS_GOOD.replace('"""Small arithmetic helpers."""\n', '"""Small arithmetic helpers."""\n\nimport time\n')
_OPS_SLOW = _OPS_SLOW.replace("    return [v * factor", "    time.sleep(0.3)\n    return [v * factor")
_TESTS = """from calc{n}.ops import add, scale


def test_add_small():
    assert add(1, 2) == 3


def test_add_large():
    assert add(2, {big}) == {big} + 2


def test_scale():
    assert scale([1, 2], 3) == [3, 6]
"""
_PERF_TEST = """

import pytest


@pytest.mark.perf_gate(n=3, ms=100)
def test_scale_is_fast():
    assert scale(list(range(10)), 2)[-1] == 18
"""
_HANG_TEST = "\n\ndef test_hangs():\n    import time\n    time.sleep(3600)\n"
_CRASH_TEST = "\n\ndef test_crashes():\n    import os, signal\n    os.killpg(0, signal.SIGKILL)\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def make_task(root: Path, index: int, kind: str, broken: str | None, rng: random.Random) -> Path:
    """Write one task; return its folder."""
    code = f"{index:03d}{rng.choice('abcdefghij')}{rng.choice('klmnopqrst')}{rng.choice('uvwxyz')}"
    task = root / f"{code}-{kind}-{broken or 'ok'}"
    package = f"calc{index}"
    big = 10 + index
    before = {"bugfix": _OPS_BUG.format(k=big - 1), "refactor": _OPS_GOOD, "greenfield": None, "perf": _OPS_SLOW}[kind]
    after = {"refactor": _OPS_REFACTORED}.get(kind, _OPS_GOOD)
    if broken == "after-fails":
        after = _OPS_BUG.format(k=big - 1)
    if before is None:
        _write(task / "repository_before" / ".gitkeep", "")
    else:
        _write(task / "repository_before" / package / "__init__.py", "")
        _write(task / "repository_before" / package / "ops.py", before)
    _write(task / "repository_after" / package / "__init__.py", "")
    _write(task / "repository_after" / package / "ops.py", after)
    tests = _TESTS.format(n=index, big=big) + (_PERF_TEST if kind == "perf" else "")
    tests += {"hang": _HANG_TEST, "crash": _CRASH_TEST}.get(broken or "", "")
    _write(task / "tests" / "__init__.py", "")
    _write(task / "tests" / f"test_ops_{index}.py", tests)
    _write(task / "pytest.ini", "[pytest]\n" + ("gtguard_expect_f2p = false\n" if kind == "refactor" else ""))
    f2p = {
        "bugfix": ["tests/test_ops_{i}.py::test_add_large"],
        "greenfield": [f"tests/test_ops_{{i}}.py::{t}" for t in ("test_add_small", "test_add_large", "test_scale")],
        "perf": ["tests/test_ops_{i}.py::test_scale_is_fast"],
    }.get(kind, [])
    f2p = [t.format(i=index) for t in f2p]
    p2p = [f"tests/test_ops_{index}.py::{t}" for t in ("test_add_small", "test_add_large", "test_scale")]
    p2p = [t for t in p2p if t not in f2p] if kind != "greenfield" else []
    if broken == "stale-lists":
        f2p = [f"tests/test_ops_{index}.py::test_removed_long_ago"]
    category = {"bugfix": "bugfix", "refactor": "refactor", "greenfield": "feature", "perf": "performance"}[kind]
    instance = {
        "instance_id": code.upper(),
        "problem_statement": f"A {kind} task on calc{index}: make add() and scale() correct and fast.",
        "base_commit": "repository_before/",
        "test_patch": "tests/",
        "github_url": f"https://github.com/example/dataset/tree/main/{task.name}",
        "environment_setup": "Dockerfile",
        "category": category,
        "FAIL_TO_PASS": f2p,
        "PASS_TO_PASS": p2p,
    }
    text = json.dumps(instance, indent=2) + "\n"
    _write(task / "instances" / "instance.json", text.replace("}\n", ",}\n") if broken == "bad-json" else text)
    for name, text in render_task(task.name, Category(category)).items():
        if name in ("README.md", "docker-compose.yml", ".gitignore", "trajectory/trajectory.md"):
            _write(task / name, re.sub(r"TODO\(gtguard\): ", "", text))
    _write(task / "Dockerfile", "FROM python:3.11-slim\nWORKDIR /app\nCOPY . /app\nRUN pip install pytest\n")
    _write(task / "evaluation" / ".gitkeep", "")
    (task / "patches").mkdir(exist_ok=True)
    if broken != "no-patch":
        (task / "patches" / f"{task.name}.patch").write_bytes(make_patch(task, use_git=False))
    return task


def make_dataset(out: Path, n: int, *, seed: int = 0, faults: bool = False) -> list[Path]:
    """Write ``n`` tasks (plus the fault tasks) and ``grade.jsonl`` under ``out``; return the task folders."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    tasks = []
    for index in range(n):
        broken = BROKEN[(index // 4) % len(BROKEN)] if index % 4 == 3 else None
        kind = KINDS[(index + index // 4) % len(KINDS)]  # broken tasks of every kind
        tasks.append(make_task(out, index, kind, broken, rng))
    if faults:
        tasks.append(make_task(out, n, "bugfix", "hang", rng))
        tasks.append(make_task(out, n + 1, "bugfix", "crash", rng))
    candidates = out.parent / f"{out.name}-candidates"
    lines = []
    for task in tasks:
        good, bad = candidates / task.name / "good", candidates / task.name / "bad"
        shutil.rmtree(candidates / task.name, ignore_errors=True)
        shutil.copytree(task / "repository_after", good)
        shutil.copytree(task / "repository_before", bad)
        patch = sorted((task / "patches").glob("*.patch"))
        attempts = [good, bad, *patch[:1]]
        lines.append(json.dumps({"task": str(task.resolve()), "candidate": [str(a.resolve()) for a in attempts]}))
    (out.parent / f"{out.name}-grade.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path)
    parser.add_argument("-n", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--faults", action="store_true", help="Add a hanging and a crashing task")
    args = parser.parse_args()
    tasks = make_dataset(args.out, args.n, seed=args.seed, faults=args.faults)
    print(
        f"wrote {len(tasks)} tasks to {args.out}; grade manifest {args.out.parent / (args.out.name + '-grade.jsonl')}"
    )


if __name__ == "__main__":
    main()
