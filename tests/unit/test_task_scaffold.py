from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gtguard.errors import ConfigError
from pytest_gtguard.task.findings import Severity
from pytest_gtguard.task.scaffold import Category, create_task
from pytest_gtguard.task.validate import validate


@pytest.mark.parametrize("category", list(Category), ids=[c.value for c in Category])
def test_scaffold_validates_clean_except_person_only_parts(tmp_path: Path, category: Category) -> None:
    root = create_task(tmp_path, "ab12cd-my-task", category)

    report = validate(root, use_git=False)

    assert report.findings, "a fresh skeleton still needs the tests, the solution and the texts"
    assert {f.severity for f in report.findings} == {Severity.TODO}
    assert {f.code for f in report.findings} == {"GT002", "GT104", "GT105", "GT201", "GT301"}
    assert f'"category": "{category.value}"' in (root / "instances" / "instance.json").read_text()


def test_scaffold_compose_exposes_the_three_commands_through_gtguard(tmp_path: Path) -> None:
    root = create_task(tmp_path, "my-task", Category.FEATURE)
    compose = (root / "docker-compose.yml").read_text()

    assert "command: pytest --before\n" in compose
    assert "command: pytest --after\n" in compose
    assert "command: pytest --before --after\n" in compose
    requirements = (root / "requirements.txt").read_text().splitlines()
    assert [r.split("==")[0] for r in requirements] == ["pytest", "pytest-gtguard"]
    assert all("==" in r for r in requirements)


def test_scaffold_refuses_to_overwrite_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("")

    with pytest.raises(ConfigError, match="already exists"):
        create_task(tmp_path, "taken", Category.BUGFIX)


def test_scaffold_rejects_a_bad_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="task name"):
        create_task(tmp_path, "../escape", Category.BUGFIX)
