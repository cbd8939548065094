"""Prompt-to-test mapping: constraints read from a problem statement, and the tests of a task that check them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MakeTask
from pytest_gtguard.constraints import KINDS, Constraint, extract, map_constraints, render_text

ROOT = Path(__file__).resolve().parents[1]


def keys(statement: str) -> list[tuple[str, str]]:
    return [c.key for c in extract(statement)]


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("The search must run in O(n log n) time.", [("time_complexity", "O(n log n)")]),
        ("Each lookup is O(1) on average.", [("time_complexity", "O(1)")]),
        ("Queries must be answered in O(log N).", [("time_complexity", "O(log n)")]),
        (
            "Build it in O(n*log(n)) with O(n) auxiliary space.",
            [("time_complexity", "O(n log n)"), ("space_complexity", "O(n)")],
        ),
        ("Use no more memory than O(n).", [("space_complexity", "O(n)")]),
        ("It must be O(n²) at worst.", [("time_complexity", "O(n^2)")]),
        ("Sorting must finish in under 0.2 s for 10^6 items.", [("time_limit", "ms=200,n=1000000")]),
        ("Process 1,000,000 records in less than 200 ms.", [("time_limit", "ms=200,n=1000000")]),
        ("Latency must stay below 50ms.", [("time_limit", "ms=50")]),
        ("Decisions must be sub-millisecond.", [("time_limit", "ms=1")]),
        ("The bus must handle 10,000 events per second.", [("time_limit", "ms=1000,n=10000")]),
        ("It runs on a 512MB device.", [("memory_limit", "mb=512")]),
        ("Peak memory must stay under 2 GB.", [("memory_limit", "mb=2048")]),
        ("Do not use numpy.", [("forbid_import", "numpy")]),
        ("Solve it without NumPy or pandas.", [("forbid_import", "numpy"), ("forbid_import", "pandas")]),
        ("Evaluate expressions without eval.", [("forbid_call", "eval")]),
        ("You must not call sorted() or .sort().", [("forbid_call", "sorted"), ("forbid_call", "list.sort")]),
        ("Parse it with no regular expressions.", [("forbid_import", "re")]),
        ("Use multiprocessing, not threading.", [("forbid_import", "threading")]),
        ("Do not use the time module.", [("forbid_import", "time")]),
        ("No new dependencies may be added.", [("no_new_dependencies", "")]),
        ("Use only the standard library.", [("no_new_dependencies", "")]),
        ("Do not add any third-party packages.", [("no_new_dependencies", "")]),
        ("The code must run on Python 3.9.", [("python_version", "3.9")]),
        ("Target Python >= 3.11.", [("python_version", "3.11")]),
        ("Do not change the signature of `merge_intervals`.", [("signature", "merge_intervals")]),
        ("Keep the public API unchanged.", [("signature", "")]),
        ("The change must stay backward compatible.", [("signature", "")]),
        ("The cache must be thread-safe.", [("thread_safety", "")]),
        ("It must behave correctly under concurrent access.", [("thread_safety", "")]),
    ],
)
def test_extract_reads_each_kind_of_constraint(statement: str, expected: list[tuple[str, str]]) -> None:
    assert keys(statement) == expected


@pytest.mark.parametrize(
    "statement",
    [
        "The current implementation suffers from O(n^2) behaviour on large inputs.",
        "A brute-force O(n^2) approach is too slow.",
        "Today it takes 20 seconds on a million rows.",
        "Memory usage spikes to 2GB on large threads.",
        "Files larger than 1KB are common.",
        "Handle the input without any local setup or complex logic.",
        "There is no time to lose and no input is ever unknown.",
        "Write fast, scalable and memory-efficient code.",
        "Use one worker thread for the payload.",
        "Python 3 is required.",
    ],
)
def test_extract_ignores_problem_descriptions_and_everyday_words(statement: str) -> None:
    assert keys(statement) == []


def test_extract_reads_the_target_after_replace_with() -> None:
    assert keys("Replace the O(n^2) scan with an O(n) pass.") == [("time_complexity", "O(n)")]


def test_extract_lists_each_constraint_once_in_order() -> None:
    found = extract("It must be thread-safe. Really thread-safe, O(n) and O(n), without numpy.")
    assert [c.key for c in found] == [
        ("thread_safety", ""),
        ("time_complexity", "O(n)"),
        ("forbid_import", "numpy"),
    ]
    assert found[0].text == "thread-safe"


def test_labels_file_holds_40_distinct_tasks_with_known_kinds() -> None:
    rows = [json.loads(line) for line in (ROOT / "tests/constraints_labels/labels.jsonl").read_text().splitlines()]
    assert len(rows) == 40 and len({r["task"] for r in rows}) == 40
    assert {c["kind"] for r in rows for c in r["constraints"]} <= set(KINDS)


def test_constraint_bench_reaches_precision_and_recall_of_0_9() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench/constraint_mapping.py"), "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(out)
    assert result["tasks"] == 40
    assert result["precision"] >= 0.9, result["misses"]
    assert result["recall"] >= 0.9, result["misses"]


STATEMENT = (
    "Rewrite the deduplicator so that it runs in O(n log n), handles 10^6 items in under 500 ms, fits in a "
    "512MB container and stays thread-safe. Do not use numpy and do not call eval. No new dependencies may be "
    "added, the code must run on Python 3.9, and do not change the signature of dedupe."
)

TESTS = """
    import inspect
    import threading

    import pytest

    from dedupe import dedupe

    pytestmark = pytest.mark.forbid_imports("numpy")


    @pytest.mark.perf_gate(n=10**6, ms=400, complexity="O(n)")
    def test_dedupe_is_fast(perf):
        perf.measure(lambda n: dedupe(list(range(n))))


    @pytest.mark.python_syntax("3.10")
    def test_dedupe_keeps_order():
        assert dedupe([3, 1, 3]) == [3, 1]


    class TestContract:
        @pytest.mark.req("R2")
        def test_signature(self):
            assert list(inspect.signature(dedupe).parameters) == ["items"]

        def test_from_many_threads(self):
            threads = [threading.Thread(target=dedupe, args=([1, 1],)) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert dedupe([1, 1]) == [1]
"""


@pytest.fixture
def task(make_task: MakeTask) -> Path:
    return make_task(
        before={"dedupe.py": "def dedupe(items):\n    return list(dict.fromkeys(items))\n"},
        after={"dedupe.py": "def dedupe(items):\n    return list(dict.fromkeys(items))\n"},
        tests={"test_dedupe.py": TESTS},
        ini="gtguard_no_new_dependencies = true",
    )


def test_map_constraints_names_the_tests_that_check_each_constraint(task: Path) -> None:
    mapping = map_constraints(extract(STATEMENT), task, requirements=["1. Keep it fast.", "2. Keep the API stable."])
    tests = {c.constraint.key: c.tests for c in mapping.checks}
    perf = ("tests/test_dedupe.py::test_dedupe_is_fast",)
    assert tests[("time_complexity", "O(n log n)")] == perf  # O(n) is tighter than O(n log n)
    assert tests[("time_limit", "ms=500,n=1000000")] == perf
    assert tests[("forbid_import", "numpy")] == (
        "tests/test_dedupe.py::test_dedupe_is_fast",
        "tests/test_dedupe.py::test_dedupe_keeps_order",
        "tests/test_dedupe.py::TestContract::test_signature",
        "tests/test_dedupe.py::TestContract::test_from_many_threads",
    )
    assert tests[("signature", "dedupe")] == ("tests/test_dedupe.py::TestContract::test_signature",)
    assert tests[("thread_safety", "")] == ("tests/test_dedupe.py::TestContract::test_from_many_threads",)
    assert len(tests[("no_new_dependencies", "")]) == 4  # the ini key applies to every test
    assert {c.constraint.key for c in mapping.unmapped} == {
        ("memory_limit", "mb=512"),
        ("forbid_call", "eval"),
        ("python_version", "3.9"),
    }


def test_render_text_lists_checked_and_unchecked_constraints_with_the_fix(task: Path) -> None:
    lines = render_text(map_constraints(extract(STATEMENT), task))
    assert lines[0] == "prompt constraints: 9 found, 6 checked by tests, 3 unchecked"
    text = "\n".join(lines)
    assert (
        'checked    time complexity O(n log n): tests/test_dedupe.py::test_dedupe_is_fast (perf_gate complexity="O(n)")'
        in text
    )
    assert "checked    no new dependencies: every test (ini gtguard_no_new_dependencies)" in text
    assert 'UNCHECKED  memory limit 512 MB ("512MB"): add @pytest.mark.perf_gate(n=<size>, mb=512)' in text
    assert 'UNCHECKED  forbid call eval ("do not call eval"): add @pytest.mark.forbid_calls("eval")' in text
    assert "note: tests/test_dedupe.py::test_dedupe_keeps_order: python_syntax('3.10') is not Python 3.9" in text


def test_map_constraints_reports_a_looser_budget_as_unmapped_with_a_note(task: Path) -> None:
    mapping = map_constraints([Constraint("time_limit", "ms=100,n=1000000")], task)
    (check,) = mapping.checks
    assert check.tests == ()
    assert check.suggestion == "@pytest.mark.perf_gate(n=1000000, ms=100)"
    assert check.notes == (
        "tests/test_dedupe.py::test_dedupe_is_fast: perf_gate ms=400 at n=1000000 does not reach "
        "time limit 100 ms at n=1000000",
    )


def test_map_constraints_uses_req_markers_for_requirements_that_state_the_constraint(task: Path) -> None:
    mapping = map_constraints(
        [Constraint("signature", "")], task, requirements=["Be fast.", "Keep the public API unchanged."]
    )
    assert mapping.checks[0].tests == ("tests/test_dedupe.py::TestContract::test_signature",)
    assert mapping.to_json()[0]["via"] == ["inspect.signature"]


def test_the_mapped_markers_are_real_gtguard_markers(pytester: pytest.Pytester, task: Path) -> None:
    result = pytester.runpytest("--after", "--strict-markers", "--collect-only", "-q", "-p", "no:randomly")
    result.assert_outcomes()
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*4 tests collected*"])


def test_map_constraints_on_a_task_without_tests_leaves_everything_unmapped(tmp_path: Path) -> None:
    mapping = map_constraints(extract("Do not use numpy."), tmp_path)
    assert [c.constraint.key for c in mapping.unmapped] == [("forbid_import", "numpy")]
    assert render_text(map_constraints([], tmp_path)) == ["prompt constraints: none found in the problem statement"]
