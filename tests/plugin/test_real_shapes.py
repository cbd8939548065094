"""Task shapes from real public tasks that the first corpus lacked, each run the way a new user would."""

from __future__ import annotations

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
