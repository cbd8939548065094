from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gtguard.errors import ConfigError
from pytest_gtguard.side.conventions import EnvGuess, TaskConventions
from pytest_gtguard.side.plan import plan_side
from pytest_gtguard.side.task import Side, SideKind, Task

HARD_CODED_AFTER = TaskConventions((), names_before=False, names_after=True)
NAMES_BOTH = TaskConventions((), names_before=True, names_after=True)


def _side(kind: SideKind, tmp_path: Path) -> Side:
    task = Task(tmp_path)
    folder = {SideKind.BEFORE: task.before_dir, SideKind.AFTER: task.after_dir}.get(kind, tmp_path / "cand")
    return Side(kind, folder, task)


def _plan(side: Side, conventions: TaskConventions = NAMES_BOTH, **overrides: object):
    args: dict[str, object] = {
        "conventions": conventions,
        "templates": ["REPO_PATH={rel}"],
        "templates_where": "default",
        "detect": True,
        "alias_name": "repository_after",
        "alias_mode": "auto",
        "alias_mode_where": "default",
    }
    args.update(overrides)
    return plan_side(side, **args)  # type: ignore[arg-type]


def test_side_plan_adds_detected_variables_after_explicit_ones(tmp_path: Path) -> None:
    conventions = TaskConventions(
        (EnvGuess("TEST_REPO", "{side}", "tests/t.py:3"), EnvGuess("REPO_PATH", "{path}", "tests/c.py:1")),
        names_before=True,
        names_after=True,
    )

    plan = _plan(_side(SideKind.BEFORE, tmp_path), conventions)

    assert plan.env == {"REPO_PATH": "repository_before", "TEST_REPO": "before"}
    assert plan.sources == {"REPO_PATH": "default", "TEST_REPO": "read at tests/t.py:3"}
    assert plan.notes == ("gtguard: env detected from the tests: TEST_REPO=before (read at tests/t.py:3)",)


def test_side_plan_detection_can_be_turned_off(tmp_path: Path) -> None:
    conventions = TaskConventions((EnvGuess("TEST_REPO", "{side}", "t.py:1"),), names_before=True, names_after=True)

    plan = _plan(_side(SideKind.AFTER, tmp_path), conventions, detect=False)

    assert plan.env == {"REPO_PATH": "repository_after"}


@pytest.mark.parametrize(
    ("kind", "conventions", "mode", "alias"),
    [
        (SideKind.CANDIDATE, NAMES_BOTH, "false", "repository_after"),
        (SideKind.AFTER, HARD_CODED_AFTER, "true", None),
        (SideKind.BEFORE, HARD_CODED_AFTER, "auto", "repository_after"),
        (SideKind.BEFORE, HARD_CODED_AFTER, "", "repository_after"),
        (SideKind.BEFORE, NAMES_BOTH, "auto", None),
        (SideKind.BEFORE, NAMES_BOTH, "TRUE", "repository_after"),
        (SideKind.BEFORE, HARD_CODED_AFTER, "off", None),
    ],
    ids=[
        "candidate",
        "after",
        "before-auto",
        "before-empty",
        "before-names-both",
        "before-true",
        "before-off",
    ],
)
def test_side_plan_alias_rules(
    tmp_path: Path, kind: SideKind, conventions: TaskConventions, mode: str, alias: str | None
) -> None:
    assert _plan(_side(kind, tmp_path), conventions, alias_mode=mode).alias == alias


def test_side_plan_empty_alias_name_disables_alias(tmp_path: Path) -> None:
    assert _plan(_side(SideKind.CANDIDATE, tmp_path), alias_name="").alias is None


def test_side_plan_rejects_unknown_alias_mode(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ini key gtguard_alias_before: .* got 'maybe'"):
        _plan(
            _side(SideKind.BEFORE, tmp_path),
            alias_mode="maybe",
            alias_mode_where="ini key gtguard_alias_before",
        )
