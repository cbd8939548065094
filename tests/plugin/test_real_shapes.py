"""Task shapes from real public tasks that the first corpus lacked, each run the way a new user would."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from _split_task import split, write

# --- side variables only the compose file sets ------------------------------------------------------

SHAPES_BEFORE = "def area(w, h):\n    return w + h\n"
SHAPES_AFTER = "def area(w, h):\n    return w * h\n"

# The conftest reads the variable with no default and, unset, loads the after side by file path:
# the import finder never sees that load, so a --before run that leaves it unset tests "after".
LOAD_BY_PATH = """
    import importlib.util
    import os
    from pathlib import Path

    import pytest

    ROOT = Path(__file__).resolve().parent.parent


    @pytest.fixture(scope="session")
    def shapes():
        target = os.environ.get("{name}")
        folder = ROOT / target if target else ROOT / "repository_after"
        spec = importlib.util.spec_from_file_location("shapes_under_test", folder / "shapes.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
"""
SHAPES_TESTS = """
    def test_square(shapes):
        assert shapes.area(3, 3) == 9

    def test_wide(shapes):
        assert shapes.area(4, 2) == 8

    def test_unit(shapes):
        assert shapes.area(2, 2) == 4
"""
COMPOSE = """
    services:
      tests-before:
        build: .
        environment:
          - {name}=${{SIDE_FOLDER:-repository_before}}
      tests-after:
        build: .
        environment:
          {name}: repository_after
"""


def _load_by_path_task(root: Path, name: str, *, compose: bool) -> None:
    files = {
        "repository_before/shapes.py": SHAPES_BEFORE,
        "repository_after/shapes.py": SHAPES_AFTER,
        "tests/conftest.py": LOAD_BY_PATH.replace("{name}", name),
        "tests/test_shapes.py": SHAPES_TESTS,
        "pytest.ini": "[pytest]\n",
    }
    if compose:
        files["docker-compose.yml"] = COMPOSE.format(name=name)
    write(root, files)


@pytest.mark.parametrize(("option", "passed", "failed"), [("--before", 1, 2), ("--after", 3, 0)])
def test_real_shape_compose_only_variable_is_set_for_each_side(
    pytester: pytest.Pytester, option: str, passed: int, failed: int
) -> None:
    _load_by_path_task(pytester.path, "CODE_UNDER_TEST", compose=True)

    result = pytester.runpytest(option)

    result.assert_outcomes(passed=passed, failed=failed)
    side = option.lstrip("-")
    result.stdout.fnmatch_lines(
        [
            f"gtguard: env REPO_PATH=repository_{side} CODE_UNDER_TEST=repository_{side}",
            f"gtguard: env detected from the tests: CODE_UNDER_TEST=repository_{side} "
            "(set by docker-compose.yml service tests-before)",
        ]
    )


def test_real_shape_split_counts_compose_only_variable_as_fail_to_pass(pytester: pytest.Pytester) -> None:
    _load_by_path_task(pytester.path, "CODE_UNDER_TEST", compose=True)

    result, report = split(pytester)

    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_shapes.py::test_square", "tests/test_shapes.py::test_wide"]
    assert report["split"]["PASS_TO_PASS"] == ["tests/test_shapes.py::test_unit"]
    assert report["success"] is True
    assert result.ret == 0


def test_real_shape_variable_named_for_a_side_is_set_without_compose(pytester: pytest.Pytester) -> None:
    _load_by_path_task(pytester.path, "TARGET_REPOSITORY", compose=False)

    result = pytester.runpytest("--before")

    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "gtguard: env detected from the tests: TARGET_REPOSITORY=repository_before "
            "(read without a default at tests/conftest.py:13)"
        ]
    )


def test_real_shape_unset_variable_is_named_in_the_header(pytester: pytest.Pytester) -> None:
    _load_by_path_task(pytester.path, "CODE_UNDER_TEST", compose=False)

    result = pytester.runpytest("--before")

    # Nothing says how CODE_UNDER_TEST spells a side: the run tests "after", and the header says why.
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "gtguard: the tests read without a default, and nothing sets: CODE_UNDER_TEST (tests/conftest.py:13); "
            "set them with gtguard_env = NAME=TEMPLATE if they pick a side"
        ]
    )


ASSERTS_PATH = """
    import importlib.util
    import os
    from pathlib import Path


    def _area():
        path = os.environ.get("TEST_REPO_PATH")
        assert path, "TEST_REPO_PATH is not set"
        spec = importlib.util.spec_from_file_location("shapes_at_path", Path(path) / "shapes.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.area


    def test_square():
        assert _area()(3, 3) == 9

    def test_unit():
        assert _area()(2, 2) == 4
"""
ABSOLUTE_COMPOSE = """
    services:
      before:
        env_file: .env.before
      after:
        environment: ["TEST_REPO_PATH=/app/repository_after"]
"""


@pytest.mark.parametrize(("option", "passed", "failed"), [("--before", 1, 1), ("--after", 2, 0)])
def test_real_shape_asserted_variable_gets_the_absolute_side_path_from_an_env_file(
    pytester: pytest.Pytester, option: str, passed: int, failed: int
) -> None:
    write(
        pytester.path,
        {
            "repository_before/shapes.py": SHAPES_BEFORE,
            "repository_after/shapes.py": SHAPES_AFTER,
            "tests/test_shapes.py": ASSERTS_PATH,
            "docker-compose.yml": ABSOLUTE_COMPOSE,
            ".env.before": "TEST_REPO_PATH=/app/repository_before\n",
            "pytest.ini": "[pytest]\n",
        },
    )

    result = pytester.runpytest(option)

    result.assert_outcomes(passed=passed, failed=failed)
    folder = pytester.path / f"repository_{option.lstrip('-')}"
    result.stdout.fnmatch_lines([f"gtguard: env REPO_PATH=repository_* TEST_REPO_PATH={folder}"])


def test_real_shape_run_that_executed_the_other_side_says_so_and_names_the_variable(pytester: pytest.Pytester) -> None:
    _load_by_path_task(pytester.path, "CODE_UNDER_TEST", compose=False)

    result = pytester.runpytest("--before")

    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "gtguard: this --before run executed code from repository_after/ (loaded by file path, past the import "
            "finder), so its results describe the after side; the tests read CODE_UNDER_TEST (tests/conftest.py:13) "
            "without a default and nothing set it: set it for the side with gtguard_env = NAME={rel} "
            "(or {path}, {side})"
        ]
    )
    assert "sys.path" not in result.stdout.str()


def test_real_shape_deliberate_import_of_the_other_side_gets_no_other_side_line(pytester: pytest.Pytester) -> None:
    write(
        pytester.path,
        {
            "repository_before/shapes.py": SHAPES_BEFORE,
            "repository_after/shapes.py": SHAPES_AFTER,
            "tests/test_compare.py": """
                from repository_after.shapes import area as new_area
                from repository_before.shapes import area as old_area

                def test_sides_differ():
                    assert (old_area(2, 3), new_area(2, 3)) == (5, 6)
            """,
            "pytest.ini": "[pytest]\n",
        },
    )

    result = pytester.runpytest("--before")

    result.assert_outcomes(passed=1)
    assert "executed code from" not in result.stdout.str()


# --- pytest --meta and a first import paid once ------------------------------------------------------

# One second of CPU, paid once per process: at import, or at the first call (a cache).
BURN = """
    import time


    def _burn():
        end = time.process_time() + 1.0
        while time.process_time() < end:
            pass
        return 2


    {shape}
"""
HEAVY_AT_IMPORT = "FACTOR = _burn()\n\n\ndef factor():\n    return FACTOR\n"
HEAVY_AT_FIRST_CALL = "import functools\n\nfactor = functools.lru_cache(maxsize=None)(_burn)\n"
LAZY_GROUND_TRUTH = """
    def double(x):
        import heavy

        return x * heavy.factor()


    def triple(x):
        import heavy

        return x * (heavy.factor() + 1)


    def clamp(x, low, high):
        if x < low:
            return low
        if x > high:
            return high
        return x
"""
LAZY_SUITE = """
    from calc import clamp, double, triple

    def test_double():
        assert double(3) == 6

    def test_double_zero():
        assert double(0) == 0

    def test_triple():
        assert triple(2) == 6

    def test_triple_negative():
        assert triple(-1) == -3

    def test_clamp():
        assert (clamp(5, 0, 3), clamp(-1, 0, 3), clamp(2, 0, 3)) == (3, 0, 2)
"""


@pytest.mark.parametrize("shape", [HEAVY_AT_IMPORT, HEAVY_AT_FIRST_CALL], ids=["import", "first-call"])
def test_real_shape_meta_does_not_charge_one_test_for_a_first_import(pytester: pytest.Pytester, shape: str) -> None:
    write(
        pytester.path,
        {
            "lib/heavy.py": BURN.replace("{shape}", textwrap.indent(shape, "    ").lstrip()),
            "repository_after/calc.py": LAZY_GROUND_TRUTH,
            "repository_after/tests/test_calc.py": LAZY_SUITE,
            "pytest.ini": "[pytest]\n",
        },
    )
    (pytester.path / "repository_before").mkdir()
    pytester.syspathinsert(pytester.path / "lib")

    result = pytester.runpytest("--meta", "-p", "no:cacheprovider", "--gtguard-meta-max-mutants", "4")

    out = result.stdout.str()
    assert "fails-alone" not in out
    assert "side effects" not in out
    assert "slow-alone" not in out
    result.stdout.fnmatch_lines(["*meta verdict: PASSED*", "*5 passed*"])
    assert result.ret == 0


# --- validate agrees with the runtime ---------------------------------------------------------------

WC_BEFORE = "def count(text):\n    return len(text.split(' '))\n"
WC_AFTER = "def count(text):\n    return len(text.split())\n"
WC_TESTS = """
    from wc import count


    def test_count():
        assert count("a  b") == 2


    def test_one():
        assert count("a") == 1
"""
README = "# AB12CD - Word count\n\nCount words.\n\n```bash\n{commands}```\n"
TRAJECTORY = (
    "# Trajectory\n\n## 1. Analysis\nsplit(' ') counts empty words.\n\n## 5. Choosing Methods\n"
    "str.split() over a regex.\n\n### 3) Execution\nOne line.\n\n## 4. Resources\n- https://docs.python.org/3/\n"
)


def _complete_task(parent: Path, *, category: str = "bugfix") -> Path:
    from pytest_gtguard.task.patch import make_patch
    from pytest_gtguard.task.scaffold import Category, create_task

    root = create_task(parent, "ab12cd-word-count", Category(category))
    for keep in ("repository_before", "repository_after", "tests", "patches"):
        (root / keep / ".gitkeep").unlink()
    commands = "".join(f"docker compose run --rm {role}\n" for role in ("before", "after", "evaluation"))
    write(
        root,
        {
            "repository_before/wc.py": WC_BEFORE,
            "repository_after/wc.py": WC_AFTER,
            "tests/test_wc.py": WC_TESTS,
            "README.md": README.format(commands=commands),
            "trajectory/trajectory.md": TRAJECTORY,
        },
    )
    instance = root / "instances" / "instance.json"
    data = json.loads(instance.read_text())
    data.update(
        problem_statement="count() must count words separated by any whitespace.",
        github_url="https://github.com/example/tasks/tree/main/ab12cd-word-count",
        FAIL_TO_PASS=["tests/test_wc.py::test_count"],
        PASS_TO_PASS=["tests/test_wc.py::test_one"],
    )
    instance.write_text(json.dumps(data, indent=2))
    (root / "patches" / "ab12cd-word-count.patch").write_bytes(make_patch(root, use_git=False))
    return root


def _validate(root: Path) -> tuple[int, list[dict[str, object]]]:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest_gtguard.cli", "validate", "--json", str(root)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.stderr == "" or "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout)["findings"]


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_real_shape_validate_after_the_documented_split_reports_nothing(tmp_path: Path) -> None:
    root = _complete_task(tmp_path)
    (root / ".gitignore").unlink()  # real tasks seldom ignore evaluation/20*/
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "task")

    split = subprocess.run(
        [sys.executable, "-m", "pytest", "--before", "--after", "--gtguard-runs", "1", "-p", "no:cacheprovider"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    reports = sorted(root.glob("evaluation/*/*/report.json"))
    code, findings = _validate(root)

    assert "task valid" in split.stdout
    assert len(reports) == 1
    assert (code, findings) == (0, [])

    _git(root, "add", "evaluation")
    _git(root, "commit", "-q", "-m", "commit the report by mistake")
    code, findings = _validate(root)

    assert [(f["code"], f["severity"]) for f in findings] == [("GT403", "warning")]
    assert code == 1


def test_real_shape_validate_greenfield_task_without_a_before_folder(tmp_path: Path) -> None:
    root = _complete_task(tmp_path)
    shutil.rmtree(root / "repository_before")
    (root / "README.md").write_text(
        README.format(commands="docker compose run --rm after\ndocker compose run --rm evaluation\n")
    )
    from pytest_gtguard.task.patch import make_patch

    (root / "patches" / "ab12cd-word-count.patch").write_bytes(make_patch(root, use_git=False))

    code, findings = _validate(root)

    assert (code, findings) == (0, [])


def test_real_shape_validate_testing_task_needs_no_before_command(tmp_path: Path) -> None:
    root = _complete_task(tmp_path, category="testing")
    (root / "README.md").write_text(
        README.format(commands="docker compose run --rm after\ndocker compose run --rm evaluation\n")
    )
    (root / "docker-compose.yml").write_text(
        "services:\n  after:\n    build: .\n    command: pytest repository_after\n"
        "  evaluation:\n    build: .\n    command: pytest --meta\n"
    )

    code, findings = _validate(root)

    assert (code, findings) == (0, [])


# --- a task's own --repo before|after option --------------------------------------------------------

# The task picks the side folder by its own option (survey §2: nine tasks declare --repo); gtguard yields
# the flag to it, and must still hand it the side under test, or --before tests the after code.
OWN_REPO_OPTION = {
    "repository_before/__init__.py": "",
    "repository_before/m.py": "def f():\n    return 1\n",
    "repository_after/__init__.py": "",
    "repository_after/m.py": "def f():\n    return 2\n",
    "tests/conftest.py": """
        import pytest


        def pytest_addoption(parser):
            parser.addoption("--repo", default="after", choices=["before", "after"])


        @pytest.fixture
        def f(request):
            if request.config.getoption("--repo") == "before":
                from repository_before.m import f
            else:
                from repository_after.m import f
            return f
    """,
    "tests/test_m.py": "def test_f(f):\n    assert f() == 2\n",
    "pytest.ini": "[pytest]\n",
}


@pytest.mark.parametrize(
    ("option", "passed", "failed"), [("--before", 0, 1), ("--after", 1, 0)], ids=["before", "after"]
)
def test_real_shape_task_own_repo_option_is_set_to_the_side_under_test(
    pytester: pytest.Pytester, option: str, passed: int, failed: int
) -> None:
    write(pytester.path, OWN_REPO_OPTION)

    result = pytester.runpytest(option)

    result.assert_outcomes(passed=passed, failed=failed)
    result.stdout.fnmatch_lines([f"gtguard: task option --repo={option[2:]}"])


def test_real_shape_task_own_side_option_of_another_name_is_set_to_the_side_under_test(
    pytester: pytest.Pytester,
) -> None:
    # Not a flag gtguard yields: --impl with repository_* choices picks the side just as --repo does.
    conftest = OWN_REPO_OPTION["tests/conftest.py"].replace(
        '"--repo", default="after", choices=["before", "after"]',
        '"--impl", default="repository_after", choices=["repository_before", "repository_after"]',
    )
    conftest = conftest.replace('getoption("--repo") == "before"', 'getoption("--impl") == "repository_before"')
    write(pytester.path, {**OWN_REPO_OPTION, "tests/conftest.py": conftest})

    result = pytester.runpytest("--before")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["gtguard: task option --impl=repository_before"])


def test_real_shape_task_own_repo_option_given_on_the_command_line_is_kept(pytester: pytest.Pytester) -> None:
    write(pytester.path, OWN_REPO_OPTION)

    result = pytester.runpytest("--before", "--repo=after")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["gtguard: task option --repo=after as given (the side under test is before)"])


def test_real_shape_split_counts_a_test_chosen_by_the_task_own_repo_option_as_fail_to_pass(
    pytester: pytest.Pytester,
) -> None:
    write(pytester.path, OWN_REPO_OPTION)

    result, report = split(pytester)

    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_m.py::test_f"]
    assert report["success"] is True
    assert result.ret == 0


# --- one test file per side, each run by its own compose service (120:c652c4, 002:o8tnbe) -------------

PER_SIDE_FILE = """
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "repository_{side}"))

    from calc import add


    def test_add():
        assert add(2, 3) == {expected}
"""
PER_SIDE_COMPOSE = """\
services:
  test-before:
    build: .
    command: pytest -q tests/test_before.py
  test-after:
    build: .
    command: pytest -q tests/test_after.py
"""


def _per_side_task(root: Path) -> None:
    write(
        root,
        {
            "repository_before/calc.py": "def add(a, b):\n    return a - b\n",
            "repository_after/calc.py": "def add(a, b):\n    return a + b\n",
            "tests/test_before.py": PER_SIDE_FILE.format(side="before", expected=-1),
            "tests/test_after.py": PER_SIDE_FILE.format(side="after", expected=5),
            "docker-compose.yml": PER_SIDE_COMPOSE,
            "pytest.ini": "[pytest]\n",
        },
    )


def test_real_shape_split_of_a_task_with_a_test_file_per_side_names_the_commands_that_match_its_own(
    pytester: pytest.Pytester,
) -> None:
    _per_side_task(pytester.path)

    result, report = split(pytester)

    result.stdout.fnmatch_lines(
        [
            "WARNING PER_SIDE_TESTS: the task's own commands run different tests per side (before: "
            "tests/test_before.py; after: tests/test_after.py; docker-compose.yml:4, docker-compose.yml:7), and the "
            "split ran all of them on both sides",
            "    fix: split the tests meant for both sides by naming them (`pytest --before --after "
            "tests/test_after.py`); the task's own counts are `pytest --before tests/test_before.py` and "
            "`pytest --after tests/test_after.py`",
        ]
    )
    assert "PER_SIDE_TESTS" in {p["code"] for p in report["problems"]}

    result, report = split(pytester, "tests/test_after.py")  # the fix: one suite, both sides

    assert result.ret == 0, result.stdout.str()
    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_after.py::test_add"]
    assert "PER_SIDE_TESTS" not in {p["code"] for p in report["problems"]}


def test_real_shape_validate_warns_that_the_before_and_after_commands_run_different_tests(tmp_path: Path) -> None:
    _per_side_task(tmp_path)

    _, findings = _validate(tmp_path)

    side_tests = [f for f in findings if f["code"] == "GT006"]
    assert [(f["severity"], f["file"], f["line"]) for f in side_tests] == [("warning", "docker-compose.yml", 4)]
    assert "before: tests/test_before.py; after: tests/test_after.py" in str(side_tests[0]["reason"])

    (tmp_path / "docker-compose.yml").write_text(PER_SIDE_COMPOSE.replace("test_before.py", "test_after.py"))
    (tmp_path / "tests" / "test_before.py").unlink()

    _, findings = _validate(tmp_path)

    assert "GT006" not in {f["code"] for f in findings}


UNITTEST_FILE = """
import unittest

from calc import add


class AddTest(unittest.TestCase):
    def test_add(self):
        self.assertEqual(add(2, 3), 5)
"""


def test_real_shape_split_of_unittest_tests_in_a_file_pytest_does_not_collect_says_how_to_run_them(
    pytester: pytest.Pytester,
) -> None:
    # i5fjuo (bd_datasets_002) runs `python -m unittest tests.test`: pytest's python_files never match test.py.
    write(
        pytester.path,
        {
            "repository_before/calc.py": "def add(a, b):\n    return a - b\n",
            "repository_after/calc.py": "def add(a, b):\n    return a + b\n",
            "tests/__init__.py": "",
            "tests/test.py": UNITTEST_FILE,
            "pytest.ini": "[pytest]\n",
        },
    )

    result, report = split(pytester)

    assert result.ret == 5
    result.stdout.fnmatch_lines(
        [
            "ERROR NO_TESTS: none of the 4 runs collected a test; tests/test.py hold(s) tests, but pytest does not "
            "collect files by that name",
            "    fix: pytest collects only files named test_*.py or *_test.py (python_files): name the tests "
            "(`pytest --before --after tests/test.py`), rename them test_<name>.py, or set "
            "`python_files = test_*.py *_test.py test.py` in the task's pytest ini",
        ]
    )
    result.stdout.no_fnmatch_line("*RUN_FAILED*")
    assert [p["code"] for p in report["problems"]] == ["NO_TESTS"]

    result, report = split(pytester, "tests/test.py")  # the first fix

    assert result.ret == 0, result.stdout.str()
    assert report["split"]["FAIL_TO_PASS"] == ["tests/test.py::AddTest::test_add"]


SIDE_XFAIL_TESTS = """
import os

import pytest

LEGACY = os.environ.get("REPO_PATH", "repository_after") == "repository_before"

from calc import add, neg


@pytest.mark.xfail(LEGACY, reason="the legacy add subtracts", strict=True)
def test_add():
    assert add(2, 3) == 5


def test_neg():
    assert neg(2) == -2


@pytest.mark.xfail(LEGACY, reason="not even tried on legacy", run=False)
def test_add_zero():
    assert add(0, 4) == 4


def test_add_one():
    if LEGACY:
        pytest.xfail("stops here on legacy, before checking anything")
    assert add(1, 1) == 2
"""


def test_real_shape_split_counts_a_test_xfailed_on_before_by_a_side_marker_as_fail_to_pass(
    pytester: pytest.Pytester,
) -> None:
    # t29jv2 (bd_datasets_002) marks its tests xfail(USE_LEGACY, strict=True): they fail on before as the marker
    # expects and pass on after. An xfail that never ran (run=False), or a pytest.xfail() call that stops the
    # test before it checks anything (0dqub1), is no evidence either way.
    write(
        pytester.path,
        {
            "repository_before/calc.py": "def add(a, b):\n    return a - b\n\ndef neg(a):\n    return -a\n",
            "repository_after/calc.py": "def add(a, b):\n    return a + b\n\ndef neg(a):\n    return -a\n",
            "tests/test_calc.py": SIDE_XFAIL_TESTS,
            "pytest.ini": "[pytest]\n",
        },
    )

    result, report = split(pytester)

    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add"]
    assert report["split"]["PASS_TO_PASS"] == ["tests/test_calc.py::test_neg"]
    assert report["split"]["other"] == {
        "tests/test_calc.py::test_add_zero": "skipped on before, passed on after "
        "(a skip or xfail never counts as a pass)",
        "tests/test_calc.py::test_add_one": "xfailed on before, passed on after "
        "(a skip or xfail never counts as a pass)",
    }
    result.stdout.no_fnmatch_line("*NO_FAIL_TO_PASS*")


def test_real_shape_split_of_a_suite_per_side_folder_says_no_test_runs_on_both_sides(pytester: pytest.Pytester) -> None:
    # 6d427f (120-datasets), a refactor: repository_before/tests and repository_after/tests, each side's own suite.
    own = "from calc import add\n\n\ndef test_add_{n}():\n    assert add(2, 3) == 5\n"
    write(
        pytester.path,
        {
            "repository_before/calc.py": "def add(a, b):\n    return a + b\n",
            "repository_before/tests/test_old.py": own.format(n="old"),
            "repository_after/calc.py": "def add(a, b):\n    return sum((a, b))\n",
            "repository_after/tests/test_new.py": own.format(n="new") + own.format(n="again"),
            "tests/__init__.py": "",
            "pytest.ini": "[pytest]\n",
        },
    )

    result, report = split(pytester)

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "ERROR NO_FAIL_TO_PASS: *",
            "    fix: the tests live in the side folders (2 in repository_after/, 1 in repository_before/) and "
            "each side runs only its own, so no test runs on both sides: *",
        ]
    )
    result.stdout.no_fnmatch_line("*AFTER_NOT_PASSING*")  # before's own test is not the ground truth's to pass
    assert report["split"]["other"]["repository_before/tests/test_old.py::test_add_old"] == (
        "passed on before, missing on after (a test must run on both sides)"
    )

    (pytester.path / "pytest.ini").write_text("[pytest]\ngtguard_expect_f2p = false\n")
    result, _ = split(pytester)
    assert result.ret == 0, result.stdout.str()


def test_real_shape_split_names_pytest_xfail_calls_when_they_leave_no_fail_to_pass(pytester: pytest.Pytester) -> None:
    # esjdzl (120-datasets): every test calls pytest.xfail() on before, so none checks anything there.
    only_calls = SIDE_XFAIL_TESTS.split('@pytest.mark.xfail(LEGACY, reason="the legacy add')[0] + (
        "def test_add_one():\n    if LEGACY:\n        pytest.xfail('legacy')\n    assert add(1, 1) == 2\n"
    )
    write(
        pytester.path,
        {
            "repository_before/calc.py": "def add(a, b):\n    return a - b\n\ndef neg(a):\n    return -a\n",
            "repository_after/calc.py": "def add(a, b):\n    return a + b\n\ndef neg(a):\n    return -a\n",
            "tests/test_calc.py": only_calls,
            "pytest.ini": "[pytest]\n",
        },
    )

    result, _ = split(pytester)

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "ERROR NO_FAIL_TO_PASS: *",
            "    fix: 1 test(s) call pytest.xfail() on before (e.g. tests/test_calc.py::test_add_one) and stop there, "
            "before checking anything: *",
        ]
    )
