"""Memorizer variants of ``pytest --meta``: a suite of literal examples is passable by hard-coding.

In-process pytester runs, as in test_meta_plugin.py (children are forked and end in os._exit).
"""

from __future__ import annotations

import collections
import dataclasses
import enum
import inspect
import json
import math
from typing import Any

import coverage  # noqa: F401 - keep its C tracer loaded: pytester unloads modules first imported by a run
import pytest

from pytest_gtguard.meta.memorizer import WRONG, input_key, key_function, wrong_answer

CALC = """\
def add(a, b):
    return a + b


def total(values):
    return sum(values)


def describe(counts):
    return ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))


def never_called(x):
    return x


def _helper(x):
    return x


class Box:
    def size(self):
        return 1
"""

LITERAL_SUITE = """\
import inspect

from calc import add, describe, total


def test_add():
    assert list(inspect.signature(add).parameters) == ["a", "b"]  # still so with a memorizer switched in
    assert add(2, 3) == 5
    assert add(a=-1, b=1) == 0


def test_total():
    assert total([1, 2, 3]) == 6


def test_describe():
    assert describe({"b": 2, "a": 1}) == "a=1, b=2"
"""

PROPERTY_SUITE = """\
from hypothesis import given, strategies as st

from calc import add, describe, total


@given(st.integers(), st.integers())
def test_add(a, b):
    assert add(a, b) == a + b


@given(st.lists(st.integers()))
def test_total(values):
    assert total(values) == sum(values)


def test_describe():
    assert describe({"b": 2, "a": 1}) == "a=1, b=2"
"""

RANDOM_SUITE = """\
import random

from calc import add


def test_add_random():
    for _ in range(20):
        a, b = random.randint(-10**9, 10**9), random.randint(-10**9, 10**9)
        assert add(a, b) == a + b
"""

SEEDED_SUITE = """\
import random

from calc import add


def test_add_seeded():
    rng = random.Random(1234)
    for _ in range(20):
        a, b = rng.randint(-10**9, 10**9), rng.randint(-10**9, 10**9)
        assert add(a, b) == a + b
"""

# Few mutants: the memorizer phase runs whatever the operators are.
FAST = ("--meta", "-p", "no:cacheprovider", "--gtguard-meta-operators=return")


@pytest.fixture
def task(pytester: pytest.Pytester) -> pytest.Pytester:
    """A testing task whose suite is written per test by ``_suite``."""
    pytester.makefile(".ini", pytest="[pytest]\n")
    after = pytester.path / "repository_after"
    (after / "tests").mkdir(parents=True)
    (after / "calc.py").write_text(CALC)
    (pytester.path / "repository_before").mkdir()
    return pytester


def _suite(task: pytest.Pytester, text: str) -> None:
    (task.path / "repository_after" / "tests" / "test_calc.py").write_text(text)


def _run(task: pytest.Pytester) -> tuple[pytest.RunResult, dict[str, Any]]:
    result = task.runpytest(*FAST, "--gtguard-meta-report=out")
    document = json.loads((task.path / "out" / "mutation-report.json").read_text())
    return result, document


def _status(document: dict[str, Any]) -> dict[str, str]:
    return {m["function"]: m["status"] for m in document["memorizers"]}


def test_memorizer_survives_a_suite_of_literal_examples(task: pytest.Pytester) -> None:
    _suite(task, LITERAL_SUITE)

    result, document = _run(task)

    result.stdout.fnmatch_lines(
        [
            "*memorizer: 3 of 3 public functions passable by hard-coding: calc.add, calc.describe, calc.total*",
            "*memorizer: not exercised (no test called them): calc.never_called*",
            "*finding passable-by-hardcoding: calc.add (repository_after/calc.py:1)*2 input(s)*",
            "*meta verdict: PASSED*",
        ]
    )
    # Box.size is a method: not judged, and said so rather than left out without a word.
    result.stdout.fnmatch_lines(["*note: memorizers judge module-level functions only; the public methods Box.size *"])
    assert result.ret == 0  # a weakness warning, not a failing verdict
    assert _status(document) == {
        "calc.add": "survived",
        "calc.describe": "survived",
        "calc.never_called": "not_exercised",
        "calc.total": "survived",
    }
    assert document["passable_by_hardcoding"] == ["calc.add", "calc.describe", "calc.total"]
    by_name = {m["function"]: m for m in document["memorizers"]}
    assert by_name["calc.add"]["inputs"] == 2
    assert by_name["calc.total"]["inputs"] == 1  # a list argument: unhashable, keyed by its pickle
    assert by_name["calc.add"]["killed_by"] == []
    html = (task.path / "out" / "mutation-report.html").read_text()
    assert "passable by hard-coding" in html and "calc.describe" in html


def test_memorizer_dies_against_property_based_tests(task: pytest.Pytester) -> None:
    _suite(task, PROPERTY_SUITE)

    result, document = _run(task)

    result.stdout.fnmatch_lines(["*memorizer: 1 of 3 public functions passable by hard-coding: calc.describe*"])
    assert result.ret == 0
    statuses = _status(document)
    assert statuses["calc.add"] == "killed" and statuses["calc.total"] == "killed"
    by_name = {m["function"]: m for m in document["memorizers"]}
    assert by_name["calc.add"]["killed_by"] == ["repository_after/tests/test_calc.py::test_add"]
    assert by_name["calc.total"]["killed_by"] == ["repository_after/tests/test_calc.py::test_total"]
    assert document["passable_by_hardcoding"] == ["calc.describe"]
    assert not any("calc.add" in f["test"] for f in document["config"]["findings"])


def test_memorizer_dies_against_unseeded_random_inputs(task: pytest.Pytester) -> None:
    _suite(task, RANDOM_SUITE)

    result, document = _run(task)

    assert _status(document)["calc.add"] == "killed"
    result.stdout.fnmatch_lines(["*memorizer: all 1 public functions killed (none passable by hard-coding)*"])


def test_memorizer_survives_random_inputs_from_a_fixed_seed(task: pytest.Pytester) -> None:
    _suite(task, SEEDED_SUITE)

    _, document = _run(task)

    assert _status(document)["calc.add"] == "survived"  # the same 20 inputs every run: a table can hold them
    assert document["memorizers"][0]["inputs"] == 20


def test_memorizer_judges_only_the_names_in_dunder_all(task: pytest.Pytester) -> None:
    _suite(task, "from calc import add\n\n\ndef test_add():\n    assert add(1, 1) == 2\n")
    (task.path / "repository_after" / "calc.py").write_text("__all__ = ['add']\n" + CALC)

    _, document = _run(task)

    assert [m["function"] for m in document["memorizers"]] == ["calc.add"]  # __all__ limits the public names


def test_input_key_binds_arguments_with_defaults() -> None:
    def f(a: int, b: int = 2, *, c: Any = None) -> None: ...

    signature = inspect.signature(f)
    key = input_key(signature, (1,), {})
    assert key == input_key(signature, (), {"a": 1, "b": 2})
    assert key != input_key(signature, (1, 3), {})
    assert input_key(signature, ([1, 2],), {"c": {"x": {1}}}) == input_key(signature, ([1, 2],), {"c": {"x": {1}}})
    assert input_key(signature, (lambda: 1,), {}) == input_key(signature, (lambda: 1,), {})  # repr, no address


def test_key_function_fast_path_gives_the_bound_key() -> None:
    def g(a: int, b: int = 3) -> None: ...

    signature = inspect.signature(g)
    key = key_function(signature)
    assert key((1, 2), {}) == input_key(signature, (1, 2), {}) == key((1,), {"b": 2}) == key((), {"a": 1, "b": 2})
    assert key((1,), {}) == key((1, 3), {})


class _Colour(enum.Enum):
    RED = 1
    BLUE = 2


@dataclasses.dataclass
class _Point:
    x: int
    y: int


_Pair = collections.namedtuple("_Pair", "left right")


@pytest.mark.parametrize(
    "value",
    [
        True,
        0,
        -3,
        2.5,
        math.inf,
        1j,
        "",
        "abc",
        b"x",
        [],
        [1, 2],
        (1,),
        {"a": 1},
        {1},
        frozenset(),
        None,
        _Colour.RED,
        _Point(1, 2),
        _Pair(1, 2),
        object(),
    ],
)
def test_wrong_answer_differs_and_keeps_the_type(value: object) -> None:
    wrong = wrong_answer(value)

    assert wrong != value
    if value is None or type(value) is object:
        assert wrong is WRONG
    else:
        assert type(wrong) is type(value)


def test_memorizers_fail_mode_fails_the_run_when_one_survives(task: pytest.Pytester) -> None:
    _suite(task, LITERAL_SUITE)

    result = task.runpytest(*FAST, "--gtguard-meta-memorizers=fail")

    result.stdout.fnmatch_lines(
        ["*FAILED: 3 public function(s) passable by hard-coding (calc.add, calc.describe, calc.total)*"]
    )
    assert result.ret == 1


def test_memorizers_fail_mode_passes_when_every_memorizer_dies(task: pytest.Pytester) -> None:
    _suite(task, RANDOM_SUITE)

    result = task.runpytest(*FAST, "--gtguard-meta-memorizers=fail")

    result.stdout.fnmatch_lines(["*memorizer: all 1 public functions killed*", "*meta verdict: PASSED*"])
    assert result.ret == 0


def test_memorizers_off_runs_none(task: pytest.Pytester) -> None:
    _suite(task, LITERAL_SUITE)
    task.makefile(".ini", pytest="[pytest]\ngtguard_meta_memorizers = off\n")

    result, document = _run(task)

    assert "memorizer:" not in result.stdout.str() and "passable-by-hardcoding" not in result.stdout.str()
    assert "memorizers" not in document
    assert result.ret == 0


def test_memorizers_unknown_mode_is_a_usage_error(task: pytest.Pytester) -> None:
    result = task.runpytest(*FAST, "--gtguard-meta-memorizers=strict")

    result.stderr.fnmatch_lines(["*--gtguard-meta-memorizers*'strict'*pass warn, fail, off*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_memorizer_dies_against_random_inputs_under_pytest_randomly(
    task: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("pytest_randomly")
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:asyncio")  # tests/conftest.py keeps randomly out elsewhere
    _suite(task, RANDOM_SUITE)

    result = task.runpytest(*FAST, "-p", "randomly", "--gtguard-meta-report=out")

    result.stdout.fnmatch_lines(["*randomly*"])  # on: it reseeds random before every test, from its seed
    document = json.loads((task.path / "out" / "mutation-report.json").read_text())
    assert _status(document)["calc.add"] == "killed"
