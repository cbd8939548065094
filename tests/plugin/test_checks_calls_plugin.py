"""pytester tests for forbid_calls, python_syntax and no_new_dependencies (issue 5)."""

from __future__ import annotations

import pytest
from _checks_task import make_task

CALLS = """
def by_sorted(xs):
    return sorted(xs)


def by_method(xs):
    xs.sort()
    return xs


def by_eval(text):
    return eval(text)


class Shelf:
    def sort(self):
        return "sorted shelf"


def by_own_method():
    return Shelf().sort()  # not list.sort; "sorted(" in a comment


def by_hand(xs):
    out = []
    for x in xs:
        i = 0
        while i < len(out) and out[i] < x:
            i += 1
        out.insert(i, x)
    return out
"""

CALL_TESTS = """
import pytest
from pkg import core

NO_SORT = pytest.mark.forbid_calls("sorted", "list.sort", "eval")

@NO_SORT
def test_sorted():
    assert core.by_sorted([2, 1]) == [1, 2]

@NO_SORT
def test_method():
    assert core.by_method([2, 1]) == [1, 2]

@NO_SORT
def test_eval():
    assert core.by_eval("1 + 1") == 2

@NO_SORT
def test_own_method():
    assert core.by_own_method() == "sorted shelf"

@NO_SORT
def test_by_hand():
    assert core.by_hand([3, 1, 2]) == sorted([3, 1, 2])  # the test itself may call sorted
"""


def test_checks_forbid_calls_static_and_runtime(pytester: pytest.Pytester) -> None:
    # Only by_hand and the Shelf method are clean, but the static pass judges the whole side: split them.
    after = {"pkg/__init__.py": "", "pkg/core.py": CALLS}
    make_task(pytester, after, CALL_TESTS)

    reprec = pytester.inline_run("--after")

    failed = {r.nodeid.split("::")[1] for r in reprec.getreports("pytest_runtest_logreport") if r.failed}
    assert failed == {"test_sorted", "test_method", "test_eval", "test_own_method", "test_by_hand"}
    props = dict(reprec.matchreport("test_method", when="call").user_properties)["gtguard_checks"]
    seen = {(f["subject"], f["line"], f["route"]) for f in props}
    assert ("list.sort", 7, "call (runtime)") in seen  # xs.sort() on a parameter: runtime only
    assert ("sorted", 3, "call") in seen
    assert ("eval", 12, "call") in seen
    assert not any(f["line"] in (20, 21) for f in props)  # Shelf.sort and the comment


def test_checks_forbid_calls_passes_clean_code(pytester: pytest.Pytester) -> None:
    clean = CALLS.split("def by_sorted")[0] + "def by_hand" + CALLS.split("def by_hand")[1]
    tests = """
    import pytest
    from pkg import core

    @pytest.mark.forbid_calls("sorted", "list.sort", "eval")
    def test_by_hand():
        assert core.by_hand([3, 1, 2]) == sorted([3, 1, 2])
    """
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": clean}, tests)

    result = pytester.runpytest("--after")

    result.assert_outcomes(passed=1)


def test_checks_forbid_calls_follows_import_aliases(pytester: pytest.Pytester) -> None:
    code = "from json import dumps as d\n\ndef run():\n    return d(1)\n"
    tests = """
    import pytest
    from pkg.core import run

    @pytest.mark.forbid_calls("json.dumps")
    def test_run():
        assert run() == "1"
    """
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": code}, tests)

    result = pytester.runpytest("--after")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*pkg/core.py:4: forbid_calls: json.dumps via call*"])


SYNTAX_TESTS = """
import pytest

@pytest.mark.python_syntax("3.9")
def test_syntax():
    pass
"""


def test_checks_python_syntax_fails_newer_syntax(pytester: pytest.Pytester) -> None:
    code = "def kind(x):\n    match x:\n        case 1:\n            return 'one'\n    return 'other'\n"
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": code}, SYNTAX_TESTS)

    result = pytester.runpytest("--after")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*pkg/core.py:2: python_syntax: 3.9 via parse*"])


def test_checks_python_syntax_passes_older_syntax(pytester: pytest.Pytester) -> None:
    code = "def kind(x):\n    if (y := x) == 1:\n        return 'one'\n    return str(y)\n"
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": code}, SYNTAX_TESTS)

    result = pytester.runpytest("--after", "-o", "gtguard_python_syntax=3.8")

    result.assert_outcomes(passed=1)


DEPS_TESTS = """
import pytest

@pytest.mark.no_new_dependencies
def test_deps():
    pass
"""


@pytest.mark.parametrize(
    ("after_requirements", "outcome"),
    [
        pytest.param("attrs>=22\nRequests==2.31  # http\n", "failed", id="new"),
        pytest.param("attrs>=23\n", "passed", id="same"),
    ],
)
def test_checks_no_new_dependencies(pytester: pytest.Pytester, after_requirements: str, outcome: str) -> None:
    before = {"pkg/__init__.py": "", "requirements.txt": "attrs\n"}
    after = {"pkg/__init__.py": "", "requirements.txt": after_requirements}
    make_task(pytester, after, DEPS_TESTS, before=before)

    result = pytester.runpytest("--after")

    result.assert_outcomes(**{outcome: 1})
    if outcome == "failed":
        result.stdout.fnmatch_lines(
            ["*repository_after/requirements.txt:2: no_new_dependencies: requests via declared*"]
        )


def test_checks_no_new_dependencies_reads_pyproject(pytester: pytest.Pytester) -> None:
    pyproject = '[project]\nname = "x"\ndependencies = [\n    "attrs",\n    "numpy>=1",\n]\n'
    after = {"pkg/__init__.py": "", "pyproject.toml": pyproject}
    make_task(pytester, after, DEPS_TESTS, ini="gtguard_no_new_dependencies = true")
    (pytester.path / "requirements.txt").write_text("attrs\n")  # task-root requirements are the baseline too

    result = pytester.runpytest("--after")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*pyproject.toml:5: no_new_dependencies: numpy*"])


def test_checks_forbid_calls_keeps_a_tests_monkeypatch(pytester: pytest.Pytester) -> None:
    code = "import json\n\ndef run():\n    return json.loads('[1]')\n"
    tests = """
    import json
    import pytest
    from pkg.core import run

    @pytest.mark.forbid_calls("json.dumps")
    def test_patched(monkeypatch):
        monkeypatch.setattr(json, "loads", lambda text: "patched")
        assert run() == "patched"

    @pytest.mark.forbid_calls("json.loads")
    def test_caught_through_patch(monkeypatch):
        monkeypatch.setattr(json, "loads", lambda text: "patched")
        assert run() == "patched"
    """
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": code}, tests)

    result = pytester.runpytest("--after")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*pkg/core.py:4: forbid_calls: json.loads via call*"])
    result.stdout.no_fnmatch_line("*AssertionError*")  # the wrapper forwarded to the test's patch
