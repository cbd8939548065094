"""Compose files whose ``command:`` is a folded (``>``) or literal (``|``) YAML block."""

from __future__ import annotations

import textwrap
from pathlib import Path

from pytest_gtguard.side.compose import read_compose_env
from pytest_gtguard.task.commands import find_commands

FOLDED = """
services:
  tests-a:
    build: .
    command: >
      pytest
      --before
    environment:
      TARGET: repository_before
  tests-b:
    build: .
    command: |-
      pytest --before --after
        --gtguard-report evaluation/report.json
    volumes:
      - .:/app
"""


def _task(root: Path) -> Path:
    (root / "docker-compose.yml").write_text(textwrap.dedent(FOLDED).lstrip("\n"), encoding="utf-8")
    return root


def test_a_folded_command_gives_its_service_a_side_for_the_environment(tmp_path: Path) -> None:
    (found,) = read_compose_env(_task(tmp_path))

    assert (found.side, found.env) == ("before", {"TARGET": "repository_before"})


def test_validate_reads_the_whole_folded_command_at_its_command_line(tmp_path: Path) -> None:
    commands = [(c.line, c.text, sorted(c.roles)) for c in find_commands(_task(tmp_path)) if "command" in c.text]

    assert commands == [
        (4, "command: pytest --before", ["before"]),
        (11, "command: pytest --before --after --gtguard-report evaluation/report.json", ["evaluation"]),
    ]


def test_the_lines_after_a_block_are_read_again(tmp_path: Path) -> None:
    texts = [c.text for c in find_commands(_task(tmp_path))]

    assert "- .:/app" in texts  # the volume entry after the literal block is still scanned
    assert "service tests-b" in texts
