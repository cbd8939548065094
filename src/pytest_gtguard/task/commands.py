"""Command checks: the three commands (before, after, evaluation) and commands that hide failures.

Compose files are read with a small indentation scanner rather than PyYAML: only service names and
``command:`` lines matter, and findings need their line numbers (a folded ``command: >`` block is
joined and reported at its ``command:`` line).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pytest_gtguard.side.task import Side, SideKind
from pytest_gtguard.task.category import task_category
from pytest_gtguard.task.findings import Finding, Severity
from pytest_gtguard.task.layout import COMPOSE_NAMES, MAKEFILE_NAMES

__all__ = ["ROLES", "Command", "check_commands", "find_commands"]

ROLES = ("before", "after", "evaluation")
_COMMAND = re.compile(
    r"^(?:\$\s*|>\s*|-\s+|RUN\s+|command:\s*|`+)?(?:[A-Z_]+=\S+\s+)*"
    r"(?:docker|docker-compose|podman|make|pytest|python3?|npm|npx|yarn|pnpm|node|go|mvn|gradle|\./gradlew|"
    r"dotnet|cargo|jest|bash|sh|gtguard)\b"
)
# The split run, or `pytest --meta` (a testing task's evaluation): both write the evaluation report.
_SPLIT_RUN = re.compile(r"--before\s+--after|--after\s+--before|gtguard\s+\w+|pytest\b.*\s--meta\b")
_HIDE = re.compile(r"\|\|\s*(?:true\b|:(?=\s|$|;|\)|\")|exit\s+0\b|echo\b)|;\s*exit\s+0\b")
_BLOCK_SCALAR = re.compile(r"command:\s*[>|][+-]?\d?\s*$")
_GENERIC_TEST = re.compile(r"test", re.I)
_HEADING = re.compile(r"^\s*(?:#{1,6}\s+|\*\*|__)(.*)")
_TOKENS = {
    "before": re.compile(r"before", re.I),
    "after": re.compile(r"after", re.I),
    "evaluation": re.compile(r"evaluat|\beval\b", re.I),
}


@dataclass(frozen=True)
class Command:
    """A command found in a README, compose file or Makefile, with the roles it serves."""

    file: str
    line: int
    text: str
    roles: frozenset[str]
    named: bool = True  # False when the roles are the default (a test command that names no side is "after")


def _command(file: str, line: int, text: str, *contexts: str) -> Command:
    """Return the command ``text`` with its roles: named in it, else in the nearest prose or heading above it.

    A test command that names no side is the after run: tasks default to the ground truth (survey §2).
    """
    roles = _roles(text, *contexts)
    return Command(file, line, text, roles or _default_roles(text, *contexts), named=bool(roles))


def _default_roles(text: str, *contexts: str) -> frozenset[str]:
    return frozenset({"after"}) if any(_GENERIC_TEST.search(t) for t in (text, *contexts)) else frozenset()


def _roles(text: str, *contexts: str) -> frozenset[str]:
    found = {role for role, token in _TOKENS.items() if token.search(text)}
    if _SPLIT_RUN.search(text) or ("before" in found and "after" in found):
        return frozenset({"evaluation"})
    for context in contexts:
        if found:
            break
        named = {role for role, token in _TOKENS.items() if token.search(context)}
        found = named if len(named) == 1 else set()
    return frozenset(found)


def find_commands(root: Path) -> list[Command]:
    """Return the commands of the README, compose files and Makefiles, each tagged with its roles."""
    commands: list[Command] = []
    for name in sorted(p.name for p in root.iterdir() if p.is_file()) if root.is_dir() else []:
        path = root / name
        if name.lower() == "readme.md":
            commands += _readme_commands(name, _lines(path))
        elif name in COMPOSE_NAMES:
            commands += _compose_commands(name, _lines(path))
        elif name in MAKEFILE_NAMES:
            commands += _make_commands(name, _lines(path))
    return commands


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def _readme_commands(name: str, lines: list[str]) -> Iterator[Command]:
    heading = prose = ""
    for number, line in enumerate(lines, start=1):
        stripped = line.strip().strip("`").strip()
        if _COMMAND.match(stripped):
            yield _command(name, number, stripped, prose, heading)
            continue
        match = _HEADING.match(line)
        if match:
            heading, prose = match.group(1), ""
        elif stripped and not line.strip().startswith("```"):
            prose = stripped


def _compose_commands(name: str, lines: list[str]) -> Iterator[Command]:
    in_services = False
    service_indent: int | None = None
    service = ""
    block_end = 0
    for number, line in enumerate(lines, start=1):
        if number <= block_end or not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            in_services = line.startswith("services:")
            service_indent = None
            continue
        if not in_services:
            continue
        key = re.match(r"^\s*([A-Za-z0-9_.-]+):\s*$", line)
        if service_indent is None and key:
            service_indent = indent
        if key and indent == service_indent:
            service = key.group(1)
            yield _command(name, number, f"service {service}", service)
        elif "command:" in line or line.strip().startswith("- "):
            text = line.strip()
            if _BLOCK_SCALAR.search(text):  # `command: >` or `|`: the more-indented lines below are the command
                block_end, body = _block(lines, number, indent)
                text = "command: " + " ".join(body)
            yield _command(name, number, text, service)


def _block(lines: list[str], number: int, indent: int) -> tuple[int, list[str]]:
    """Return the last line number and the stripped lines of the YAML block scalar after line ``number``."""
    end, body = number, []
    for later in lines[number:]:
        if later.strip() and len(later) - len(later.lstrip()) <= indent:
            break
        end += 1
        if later.strip():
            body.append(later.strip())
    return end, body


def _make_commands(name: str, lines: list[str]) -> Iterator[Command]:
    target = ""
    for number, line in enumerate(lines, start=1):
        rule = re.match(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", line)
        if rule:
            target = rule.group(1)
            yield _command(name, number, f"target {target}", target)
        elif line.startswith("\t") and target:
            yield _command(name, number, line.strip(), target)


def check_commands(root: Path, files: list[str]) -> Iterator[Finding]:
    """Yield findings about the three commands, commands hiding failures and conftests forcing exit codes."""
    commands = find_commands(root)
    has_runner_file = any(n in files for n in (*COMPOSE_NAMES, *MAKEFILE_NAMES))
    readme = next((f for f in files if f.lower() == "readme.md"), None)
    placeholder = readme is not None and "command here>" in "\n".join(_lines(root / readme)).lower()
    if (has_runner_file or readme) and not placeholder:
        served = {role for command in commands for role in command.roles}
        # An empty before side (greenfield) can only fail to import: a missing before command is a nit there.
        greenfield = Side(SideKind.BEFORE, root / "repository_before", None).is_empty
        # A testing task runs its meta-tests against repository_after (pytest --meta): it has no before command.
        testing = "before" not in served and task_category(root).is_testing
        for role in ROLES:
            if role not in served and not (role == "before" and testing):
                yield Finding(
                    "GT004",
                    Severity.WARNING if role == "before" and greenfield else Severity.ERROR,
                    readme or ".",
                    f"no {role} command found in the README, compose file or Makefile",
                    f"add a compose service or Makefile target named {role} and show it in the README "
                    f"(`docker compose run --rm {role}`)",
                )
    yield from _evaluation_runner(files, commands)
    yield from _hiding(root, files)


def _evaluation_runner(files: list[str], commands: list[Command]) -> Iterator[Finding]:
    runner = [
        f
        for f in files
        if f.startswith("evaluation/")
        and not re.search(r"(?i)(^evaluation/readme[^/]*$|\.gitkeep$|/20\d\d-\d\d-\d\d|report[^/]*\.json$)", f)
    ]
    if (
        runner
        or any(_SPLIT_RUN.search(c.text) for c in commands)
        or "evaluation" not in {f.split("/")[0] for f in files}
    ):
        return
    yield Finding(
        "GT005",
        Severity.ERROR,
        "evaluation/",
        "evaluation/ holds no runner, and no command runs the split run (pytest --before --after) or pytest --meta",
        "make the evaluation command `pytest --before --after` (gtguard writes the report), or add a "
        "runner script to evaluation/",
    )


def _hiding(root: Path, files: list[str]) -> Iterator[Finding]:
    for relpath in files:
        name = relpath.rsplit("/", 1)[-1]
        top = "/" not in relpath or relpath.startswith(("evaluation/", "scripts/"))
        if not top or not (
            name.lower() == "readme.md"
            or name in COMPOSE_NAMES
            or name in MAKEFILE_NAMES
            or name == "Dockerfile"
            or name.endswith(".sh")
        ):
            continue
        for number, line in enumerate(_lines(root / relpath), start=1):
            match = _HIDE.search(line)
            if match:
                yield Finding(
                    "GT501",
                    Severity.WARNING,
                    relpath,
                    f"`{match.group(0).strip()}` hides the command's failure: {line.strip()[:90]}",
                    "drop it: a failing before run is expected and the evaluation report records it; "
                    "a command that always succeeds hides a broken after run too",
                    line=number,
                )
