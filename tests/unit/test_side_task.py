from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gtguard.errors import ConfigError, TaskLayoutError
from pytest_gtguard.side.task import Side, SideKind, Task, render_env, select_sides


@pytest.fixture
def task(tmp_path: Path) -> Task:
    (tmp_path / "repository_before").mkdir()
    (tmp_path / "repository_after" / "pkg").mkdir(parents=True)
    (tmp_path / "repository_after" / "pkg" / "mod.py").write_text("X = 1\n")
    (tmp_path / "tests" / "deep").mkdir(parents=True)
    return Task(tmp_path.resolve())


def test_side_task_discover_finds_nearest_task_above(task: Task) -> None:
    assert Task.discover([task.root / "tests" / "deep"]) == task


def test_side_task_discover_returns_none_outside_a_task(tmp_path: Path) -> None:
    assert Task.discover([tmp_path]) is None


def test_side_task_discover_accepts_a_task_without_before(tmp_path: Path) -> None:
    (tmp_path / "repository_after").mkdir()

    assert Task.discover([tmp_path / "x.py"]) == Task(tmp_path.resolve())


@pytest.mark.parametrize("make", ["missing", "not-a-task"])
def test_side_task_at_rejects_bad_folder(tmp_path: Path, make: str) -> None:
    root = tmp_path / "nowhere" if make == "missing" else tmp_path

    with pytest.raises(TaskLayoutError, match="--gtguard-task"):
        Task.at(root, where="--gtguard-task")


def test_side_select_sides_single_side(task: Task) -> None:
    (side,) = select_sides(before=True, after=False, repo=None, fallback=None, fallback_source="", task=task)

    assert (side.kind, side.path, side.rel) == (SideKind.BEFORE, task.before_dir, "repository_before")


def test_side_select_sides_both_for_a_split_run(task: Task) -> None:
    sides = select_sides(before=True, after=True, repo=None, fallback=None, fallback_source="", task=task)

    assert [s.kind for s in sides] == [SideKind.BEFORE, SideKind.AFTER]


def test_side_select_sides_fallback_names_a_side_or_a_path(task: Task) -> None:
    (named,) = select_sides(before=False, after=False, repo=None, fallback="after", fallback_source="env", task=task)
    (path,) = select_sides(
        before=False,
        after=False,
        repo=None,
        fallback=str(task.after_dir / "pkg"),
        fallback_source="env",
        task=task,
    )

    assert named.kind is SideKind.AFTER
    assert (path.kind, path.rel) == (SideKind.CANDIDATE, "repository_after/pkg")


def test_side_select_sides_repo_outside_task_has_absolute_rel(
    task: Task, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("cand")

    (side,) = select_sides(before=False, after=False, repo=elsewhere, fallback=None, fallback_source="", task=task)

    assert side.rel == str(elsewhere.resolve())


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"before": True, "repo": Path(".")}, ConfigError, "not both"),
        ({"repo": Path("/nonexistent/x")}, TaskLayoutError, "is not a directory"),
        ({"after": True, "task": None}, TaskLayoutError, "no task found"),
    ],
    ids=["repo-and-side", "repo-missing", "no-task"],
)
def test_side_select_sides_rejects_bad_combinations(
    task: Task, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    args: dict[str, object] = {
        "before": False,
        "after": False,
        "repo": None,
        "fallback": None,
        "fallback_source": "",
    }
    args["task"] = task
    args.update(kwargs)

    with pytest.raises(error, match=message):
        select_sides(**args)  # type: ignore[arg-type]


def test_side_render_env_expands_every_field(task: Task) -> None:
    side = Side(SideKind.BEFORE, task.before_dir, task)

    env = render_env(
        ["A={side}", "B={SIDE}", "C={name}", "D={rel}", "E={path}", "F={task}", "G=x{side}y"], side, where="w"
    )

    assert env == {
        "A": "before",
        "B": "BEFORE",
        "C": "repository_before",
        "D": "repository_before",
        "E": str(task.before_dir),
        "F": str(task.root),
        "G": "xbeforey",
    }


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("NOEQUALS", "is not NAME=TEMPLATE"),
        ("1X=a", "is not NAME=TEMPLATE"),
        ("X={bad}", "unknown field"),
        ("X={path", "not a valid template"),
        ("X={}", "unknown field"),
    ],
)
def test_side_render_env_rejects_bad_items(task: Task, item: str, message: str) -> None:
    with pytest.raises(ConfigError, match=f"ini key gtguard_env: .*{message}"):
        render_env([item], Side(SideKind.AFTER, task.after_dir, task), where="ini key gtguard_env")


@pytest.mark.parametrize(
    ("files", "empty"),
    [
        ({}, True),
        ({".gitkeep": "", "README.md": "# placeholder", "__init__.py": ""}, True),
        ({"__pycache__/x.pyc": "junk"}, True),
        ({"__init__.py": "X = 1\n"}, False),
        ({"pkg/mod.py": ""}, False),
    ],
    ids=["nothing", "placeholders", "pycache", "non-empty-init", "module"],
)
def test_side_is_empty_ignores_scaffold_placeholders(tmp_path: Path, files: dict[str, str], empty: bool) -> None:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)

    assert Side(SideKind.BEFORE, tmp_path, None).is_empty is empty


def test_side_missing_folder_is_empty(tmp_path: Path) -> None:
    side = Side(SideKind.BEFORE, tmp_path / "repository_before", Task(tmp_path))

    assert side.is_empty
    assert side.describe().endswith("repository_before, empty)")
