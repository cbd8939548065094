"""gtguard beside its neighbours (docs/xdist.md): the split, a perf gate and ``--meta`` with pytest-xdist,
pytest-timeout, pytest-benchmark, pytest-cov, hypothesis, pytest-asyncio, pytest-randomly,
pytest-rerunfailures and pytest-json-report installed (the ``test`` extra).

Every run is a real ``python -m pytest`` subprocess: each plugin loads from its entry point as on a
user's machine, and pytest-cov's tracer never touches this process. pytest-randomly is on in these runs
(the suite's own ``-p no:randomly`` is cleared), so each test also checks that it changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _split_task import write

pytest.importorskip("pytest_cov")
pytest.importorskip("pytest_randomly")
pytest.importorskip("pytest_asyncio")
pytest.importorskip("pytest_benchmark")
pytest.importorskip("pytest_timeout")
pytest.importorskip("pytest_rerunfailures")
pytest.importorskip("pytest_jsonreport")

BUGGY = "def add(a, b):\n    return a - b\n\n\ndef neg(a):\n    return -a\n"
FIXED = BUGGY.replace("a - b", "a + b")
# One test per neighbour; test_add and test_add_rerun fail on before (FAIL_TO_PASS), the rest pass on both.
TESTS = """
import asyncio
import os
import random

import pytest
from hypothesis import given, strategies as st

from calc import add, neg


def test_add():
    assert add(2, 3) == 5


@pytest.mark.flaky(reruns=1)
def test_add_rerun():
    assert add(1, 1) == 2


_TRIES = []


@pytest.mark.flaky(reruns=1)
def test_neg_second_try():
    _TRIES.append(1)
    assert neg(2) == -2 and len(_TRIES) > 1  # fails its first try in every run, passes its rerun


@given(st.integers())
def test_neg_property(x):
    assert neg(neg(x)) == x


@pytest.mark.asyncio
async def test_neg_async():
    await asyncio.sleep(0)
    assert neg(1) == -1


@pytest.mark.timeout(60)
def test_neg_timeout():
    assert neg(0) == 0


def test_neg_benchmark(benchmark):
    assert benchmark(neg, 3) == -3


def test_random_draw():
    # pytest-randomly reseeds random before each test: the draw tells which seed the run had.
    folder = os.environ.get("DRAWS")
    if folder:
        side = "after" if "repository_after" in os.path.dirname(neg.__code__.co_filename) else "before"
        name = f"{side}-{os.environ['PYTHONHASHSEED']}"
        with open(os.path.join(folder, name), "w") as out:
            out.write(repr(random.random()))
"""
F2P = {"tests/test_calc.py::test_add", "tests/test_calc.py::test_add_rerun"}
P2P = {
    "tests/test_calc.py::test_neg_second_try",
    "tests/test_calc.py::test_neg_property",
    "tests/test_calc.py::test_neg_async",
    "tests/test_calc.py::test_neg_timeout",
    "tests/test_calc.py::test_neg_benchmark",
    "tests/test_calc.py::test_random_draw",
}


@pytest.fixture
def task(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A bug-fix task whose tests use every neighbour; pytest-randomly on in its runs."""
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)  # tests/conftest.py keeps randomly and asyncio out elsewhere
    write(
        pytester.path,
        {
            "repository_before/calc.py": BUGGY,
            "repository_after/calc.py": FIXED,
            "tests/test_calc.py": TESTS,
            "pytest.ini": "[pytest]\nasyncio_default_fixture_loop_scope = function\n",
        },
    )
    return pytester


def split(task: pytest.Pytester, *args: str, report: str = "out/report.json") -> tuple[pytest.RunResult, dict]:
    """Run the split with 2 runs per side in a subprocess; return the result and the report."""
    path = task.path / report
    result = task.runpytest_subprocess(
        "--before", "--after", "--gtguard-runs", "2", "--gtguard-report", str(path), "-p", "no:cacheprovider", *args
    )
    return result, json.loads(path.read_text()) if path.exists() else {}


def categories(report: dict) -> tuple[set[str], set[str]]:
    return set(report["split"]["FAIL_TO_PASS"]), set(report["split"]["PASS_TO_PASS"])


def runs(report: dict, side: str) -> list[dict]:
    return report["results"][side]["runs"]  # type: ignore[no-any-return]


def test_split_beside_every_neighbour_classifies_each_test(task: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    result, report = split(
        task, "-n", "2", "--timeout", "120", "--reruns", "1", "--cov=calc", "--json-report",
        "--json-report-file", str(task.path / "out" / "split.json"),
    )  # fmt: skip

    assert result.ret == 0, result.stdout.str()
    assert categories(report) == (F2P, P2P)
    result.stdout.fnmatch_lines(["*2 fail-to-pass, 6 pass-to-pass*"])
    assert (task.path / "out" / "split.json").is_file()
    assert not list(task.path.glob(".coverage*")), "a run measured coverage and left its data file"


def test_split_under_n_makes_n_runs_at_once_and_starts_no_xdist_worker(task: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    result, report = split(task, "-n", "2")

    result.stdout.fnmatch_lines(
        [
            "gtguard: split of task *: 2 run(s) per side, 2 at a time, seed 0",
            "gtguard: -n 2 → 2 split runs in parallel*",
        ]
    )
    everything = result.stdout.str() + "".join(report["results"][s]["stdout"] for s in ("before", "after"))
    assert "created: " not in everything and "bringing up nodes" not in everything  # xdist's words for workers
    assert categories(report) == (F2P, P2P)


def test_split_jobs_option_wins_over_n(task: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    result, report = split(task, "-n", "2", "--gtguard-jobs", "1")

    result.stdout.fnmatch_lines(
        ["gtguard: split of task *: 2 run(s) per side, 1 at a time, *", "gtguard: -n 2 → no xdist workers; *"]
    )
    assert categories(report) == (F2P, P2P)


def test_split_with_cov_says_it_is_ignored_and_reports_no_figure(task: pytest.Pytester) -> None:
    result, report = split(task, "--cov=calc", "--cov-report=term")

    result.stdout.fnmatch_lines(["gtguard: --cov ignored under the split:*pytest --after --cov=*"])
    assert "coverage: platform" not in result.stdout.str()  # pytest-cov's report heading
    assert "coverage: platform" not in report["results"]["after"]["stdout"]
    assert categories(report) == (F2P, P2P)


def test_split_with_randomly_is_reproduced_by_its_seed(task: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    draws = [task.path / "draws-1", task.path / "draws-2"]
    reports = []
    for folder, name in zip(draws, ("out/one.json", "out/two.json"), strict=True):
        folder.mkdir()
        monkeypatch.setenv("DRAWS", str(folder))
        # A --randomly-seed of the user's is replaced: the split's seed decides (said in the header).
        result, report = split(task, "--gtguard-seed", "7", "--randomly-seed", "12345", report=name)
        result.stdout.fnmatch_lines(["gtguard: --randomly-seed 12345 ignored*", "gtguard: pytest-randomly: *"])
        reports.append(report)

    for side in ("before", "after"):
        assert [r["random_seed"] for r in runs(reports[0], side)] == [7000, 7001]
        assert [r["random_seed"] for r in runs(reports[1], side)] == [7000, 7001]
    first = {p.name: p.read_text() for p in draws[0].iterdir()}
    assert first == {p.name: p.read_text() for p in draws[1].iterdir()}
    assert set(first) == {"before-7", "before-8", "after-7", "after-8"}
    assert first["after-7"] == first["before-7"] != first["after-8"]  # a round's two sides share the seed


def test_split_with_randomly_blocked_records_no_seed(task: pytest.Pytester) -> None:
    result, report = split(task, "-p", "no:randomly")

    assert "pytest-randomly" not in result.stdout.str()
    assert [r["random_seed"] for r in runs(report, "after")] == [None, None]
    assert categories(report) == (F2P, P2P)


PERF_TESTS = """
import pytest


def total(data):
    return sum(data)


@pytest.mark.perf_gate(n=20_000, ms=500)
def test_total_is_fast(perf):
    assert perf.measure(total, setup=lambda n: list(range(n))) == sum(range(20_000))


@pytest.mark.perf_gate(n=1, ms=1)
def test_sleepy_is_slow(perf):
    import time

    perf.measure(lambda: time.sleep(0.2) or sum(range(3_000_000)))
"""


def test_perf_gate_beside_every_neighbour_gates_as_alone(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)  # tests/conftest.py keeps randomly and asyncio out elsewhere
    pytester.makepyfile(test_perf=PERF_TESTS)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")

    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--timeout", "120", "--reruns", "1", "--cov", "--cov-report=", "--benchmark-disable"
    )

    # The slow one fails its gate (its rerun too); pytest-cov's tracer does not fail the fast one.
    outcomes = result.parseoutcomes()
    assert (outcomes["passed"], outcomes["failed"], outcomes["rerun"]) == (1, 1, 1), result.stdout.str()
    result.stdout.fnmatch_lines(["FAILED test_perf.py::test_sleepy_is_slow - *"])


META_CALC = """\
def total(values):
    result = 0
    for v in values:
        result += v
    return result


def sign(x):
    if x > 0:
        return 1
    return -1 if x < 0 else 0
"""
META_SUITE = """\
from calc import sign, total


def test_total():
    assert total([1, 2, 3]) == 6


def test_sign():
    assert sign(5) == 1
    assert sign(-2) == -1
    assert sign(0) == 0
"""


@pytest.fixture
def meta_task(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)  # randomly and asyncio on
    write(
        pytester.path,
        {
            "repository_after/calc.py": META_CALC,
            "repository_after/tests/test_calc.py": META_SUITE,
            "pytest.ini": "[pytest]\nasyncio_default_fixture_loop_scope = function\n",
        },
    )
    (pytester.path / "repository_before").mkdir()
    return pytester


def mutants(folder: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    files = json.loads((folder / "mutation-report.json").read_text())["files"]
    return {m["id"]: (m["status"], tuple(sorted(m["coveredBy"]))) for info in files.values() for m in info["mutants"]}


def test_meta_with_cov_and_n_keeps_its_own_coverage_and_results(meta_task: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    alone = meta_task.runpytest_subprocess(
        "--meta", "-p", "no:cacheprovider", "-p", "no:randomly", "--gtguard-meta-report", "alone"
    )
    beside = meta_task.runpytest_subprocess(
        "--meta", "-p", "no:cacheprovider", "--gtguard-meta-report", "beside",
        "--cov=calc", "--cov-report=term", "-n", "2", "--timeout", "120",
    )  # fmt: skip

    assert alone.ret == beside.ret == 0, beside.stdout.str()
    beside.stdout.fnmatch_lines(
        ["gtguard: --cov ignored under --meta:*", "gtguard: -n 2 → 2 meta workers, no xdist workers"]
    )
    assert "coverage: platform" not in beside.stdout.str()
    found = mutants(meta_task.path / "beside")
    assert found == mutants(meta_task.path / "alone")
    # gtguard's per-test coverage stayed on: each mutant is run against the tests that reach it only.
    assert {covered for _, covered in found.values()} >= {
        ("repository_after/tests/test_calc.py::test_total",),
        ("repository_after/tests/test_calc.py::test_sign",),
    }
