"""Side variables from the compose file, from reads without a default, and the header notes about them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_gtguard.side.compose import read_compose_env
from pytest_gtguard.side.conventions import EnvGuess, EnvRead, TaskConventions, scan_conventions, side_template
from pytest_gtguard.side.plan import other_side_message, plan_side
from pytest_gtguard.side.task import Side, SideKind, Task


def _task(root: Path, files: dict[str, str]) -> Task:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text).lstrip("\n"))
    return Task(root)


COMPOSE_LIST_AND_MAP = """
    services:
      test-before:
        build: .
        environment:
          - TARGET_REPOSITORY=repository_before
          - REPO_ROOT=${APP_ROOT:-/app}/repository_before
          - DEBUG
      test-after:
        build: .
        environment:
          TARGET_REPOSITORY: repository_after
          REPO_ROOT: ${APP_ROOT:-/app}/repository_after
          MODE: ${MODE-fast}
      evaluation:
        command: pytest --before --after
        environment:
          TARGET_REPOSITORY: both
"""


def test_compose_reads_list_and_map_environment_with_interpolation(tmp_path: Path) -> None:
    _task(tmp_path, {"docker-compose.yml": COMPOSE_LIST_AND_MAP})

    found = {env.side: env for env in read_compose_env(tmp_path)}

    assert dict(found["before"].env) == {
        "TARGET_REPOSITORY": "repository_before",
        "REPO_ROOT": "/app/repository_before",
    }
    assert dict(found["after"].env) == {
        "TARGET_REPOSITORY": "repository_after",
        "REPO_ROOT": "/app/repository_after",
        "MODE": "fast",
    }
    assert found["before"].where["TARGET_REPOSITORY"] == "docker-compose.yml service test-before"


def test_compose_dotenv_feeds_interpolation_and_env_files(tmp_path: Path) -> None:
    _task(
        tmp_path,
        {
            "compose.yaml": """
                services:
                  app:
                    command: ["python", "-m", "pytest", "repository_before/tests"]
                    env_file: [env/before.env]
                    environment: {SRC: "$${LITERAL}", HOME_DIR: "${ROOT}/repository_before"}
            """,
            ".env": "ROOT='/srv'\n# comment\n",
            "env/before.env": "export TEST_REPO_PATH=/app/repository_before  # the side\nSRC=ignored\n",
        },
    )

    (found,) = read_compose_env(tmp_path)

    assert found.side == "before"
    assert dict(found.env) == {
        "SRC": "${LITERAL}",
        "HOME_DIR": "/srv/repository_before",
        "TEST_REPO_PATH": "/app/repository_before",
    }


@pytest.mark.parametrize("text", ["services: [", "just text", "services:\n  before: 3\n"])
def test_compose_unreadable_or_odd_files_give_nothing(tmp_path: Path, text: str) -> None:
    _task(tmp_path, {"docker-compose.yml": text})

    assert read_compose_env(tmp_path) == ()


@pytest.mark.parametrize(
    ("value", "side", "template"),
    [
        ("repository_before", "before", "{rel}"),
        ("./repository_after/", "after", "{rel}"),
        ("/app/repository_before", "before", "{path}"),
        ("/app/repository_after/src", "after", "{path}/src"),
        ("before", "before", "{side}"),
        ("AFTER", "after", "{SIDE}"),
        ("/app/repository_before:/app", "before", None),
        ("repository_before_v2", "before", None),
        ("repository_after", "before", None),
        ("localhost", "after", None),
    ],
)
def test_side_template_from_a_side_value(value: str, side: str, template: str | None) -> None:
    assert side_template(value, side) == template


CONFTEST_NO_DEFAULT = """
    import importlib.util
    import os
    from pathlib import Path

    TARGET = os.environ.get("TARGET_REPOSITORY")
    TOKEN = os.environ["API_TOKEN"]
    os.environ["WRITTEN"] = "x"
    folder = Path(__file__).parent.parent / (TARGET or "repository_after")
"""


def test_scan_prefers_compose_and_guesses_side_variables_read_without_a_default(tmp_path: Path) -> None:
    task = _task(
        tmp_path,
        {
            "tests/conftest.py": CONFTEST_NO_DEFAULT,
            "tests/test_paths.py": "import os\n\ndef test_path():\n    assert os.getenv('TEST_REPO_PATH')\n",
            "docker-compose.yml": COMPOSE_LIST_AND_MAP,
        },
    )

    found = scan_conventions(task)

    assert {g.name: (g.template, g.origin) for g in found.env} == {
        "TARGET_REPOSITORY": ("{rel}", "set by docker-compose.yml service test-before"),
        "REPO_ROOT": ("{path}", "set by docker-compose.yml service test-before"),
        "TEST_REPO_PATH": ("{path}", "read without a default at tests/test_paths.py:4"),
    }
    assert [r.name for r in found.bare_reads] == ["TARGET_REPOSITORY", "API_TOKEN", "TEST_REPO_PATH"]


def test_plan_sets_compose_values_over_the_default_and_names_variables_nothing_sets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("API_TOKEN", raising=False)
    task = Task(tmp_path)
    conventions = TaskConventions(
        (EnvGuess("REPO_PATH", "{path}", "docker-compose.yml service before", "set by "),),
        names_before=True,
        names_after=True,
        bare_reads=(EnvRead("API_TOKEN", "tests/conftest.py:6"), EnvRead("CI", "tests/conftest.py:7")),
    )

    plan = plan_side(
        Side(SideKind.BEFORE, task.before_dir, task),
        conventions=conventions,
        templates=["REPO_PATH={rel}"],
        templates_where="default",
        detect=True,
        alias_name="repository_after",
        alias_mode="auto",
        alias_mode_where="default",
    )

    assert plan.env == {"REPO_PATH": str(task.before_dir)}
    assert plan.unset == ("API_TOKEN (tests/conftest.py:6)",)
    assert plan.notes == (
        f"gtguard: env detected from the tests: REPO_PATH={task.before_dir} (set by docker-compose.yml service before)",
        "gtguard: the tests read without a default, and nothing sets: API_TOKEN (tests/conftest.py:6); "
        "set them with gtguard_env = NAME=TEMPLATE if they pick a side",
    )


def test_plan_explicit_env_still_wins_over_compose(tmp_path: Path) -> None:
    task = Task(tmp_path)
    conventions = TaskConventions((EnvGuess("REPO_PATH", "{path}", "c.yml service before", "set by "),), True, True)

    plan = plan_side(
        Side(SideKind.AFTER, task.after_dir, task),
        conventions=conventions,
        templates=["REPO_PATH={side}"],
        templates_where="ini key gtguard_env",
        detect=True,
        alias_name="",
        alias_mode="auto",
        alias_mode_where="default",
    )

    assert plan.env == {"REPO_PATH": "after"}


def test_other_side_message_names_the_unset_variable(tmp_path: Path) -> None:
    task = Task(tmp_path)
    side = Side(SideKind.BEFORE, task.before_dir, task)
    plan = plan_side(
        side,
        conventions=TaskConventions((), True, True, bare_reads=(EnvRead("GTG_TEST_SIDE_X", "tests/conftest.py:5"),)),
        templates=[],
        templates_where="default",
        detect=True,
        alias_name="",
        alias_mode="auto",
        alias_mode_where="default",
    )

    message = other_side_message(side, {"after"}, plan)

    assert message == (
        "gtguard: this --before run executed code from repository_after/ (loaded by file path, past the import "
        "finder), so its results describe the after side; the tests read GTG_TEST_SIDE_X (tests/conftest.py:5) "
        "without a default and nothing set it: set it for the side with gtguard_env = NAME={rel} (or {path}, {side})"
    )
    assert other_side_message(side, {"before"}, plan) is None


def test_plan_turns_the_alias_off_when_a_test_file_inside_repository_after_is_named(tmp_path: Path) -> None:
    task = Task(tmp_path)
    (task.after_dir / "tests").mkdir(parents=True)
    named = task.after_dir / "tests" / "test_calc.py"
    named.write_text("def test_x():\n    assert True\n")
    hard_coded_after = TaskConventions((), names_before=False, names_after=True)

    def plan(paths: list[Path]):  # type: ignore[no-untyped-def]
        return plan_side(
            Side(SideKind.BEFORE, task.before_dir, task),
            conventions=hard_coded_after,
            templates=[],
            templates_where="default",
            detect=True,
            alias_name="repository_after",
            alias_mode="true",
            alias_mode_where="ini key gtguard_alias_before",
            named=paths,
        )

    assert plan([tmp_path / "tests"]).alias == "repository_after"
    off = plan([named])
    assert off.alias is None
    assert off.notes == (
        "gtguard: import repository_after loads repository_after itself in this run: "
        "repository_after/tests/test_calc.py is a test file in it, collected under its real name",
    )
