"""Content checks: scaffold text left in files, the trajectory, and text copied from another task."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from pytest_gtguard.task.findings import Finding, Severity

__all__ = ["TODO_MARK", "check_content", "task_code"]

# gtguard's own scaffold marks person-only text with this; validate reports it as a todo.
TODO_MARK = "TODO(gtguard)"

# Text the org's "initial project structure" commit leaves behind (survey §1: 292 untouched scaffolds).
_SCAFFOLD_TEXT = (
    "# Add your Dockerfile content here",
    "You should customize this as needed",
    "YOUR SCRIPT IN SIMILAR LANGUAGE AS THE PROJECT",
    "You should write your evaluation logic here",
    "# Add your Python dependencies here",
    "The task gen team should delete this section",
    "Starter scaffold for bd dataset task",
)
_README_PLACEHOLDER = re.compile(r"<[^<>\n]*(?:command|cmd)[^<>\n]*here>", re.IGNORECASE)
_CODE = re.compile(r"^([a-z0-9]{6})-", re.IGNORECASE)
_HEADING_CODE = re.compile(r"^#\s+([A-Za-z0-9]{6})\s+[-:\u2013\u2014]")
_SCAN_LIMIT = 1_000_000
_SCAN_DIRS = ("", "evaluation", "trajectory", "instances")
_TEXT_SUFFIXES = frozenset(
    {"", ".md", ".txt", ".yml", ".yaml", ".py", ".sh", ".json", ".toml", ".cfg", ".ini", ".js", ".ts", ".go"}
)

# Trajectory sections the handbook asks for, with the words real trajectories use for them.
SECTIONS: dict[str, tuple[str, ...]] = {
    "analysis": (
        "analy",
        "audit",
        "understand",
        "investigat",
        "problem",
        "root cause",
        "requirement",
        "overview",
    ),
    "strategy": (
        "strateg",
        "plan",
        "design",
        "approach",
        "decision",
        "architecture",
        "contract",
        "choos",
        "chose",
        "method",
        "solution",
        "alternative",
    ),
    "execution": (
        "execut",
        "implement",
        "step",
        "change",
        "fix",
        "refactor",
        "build",
        "phase",
        "verif",
        "test",
    ),
    "resources": ("resource", "reference", "link", "documentation", "further reading", "sources"),
}
_URL = re.compile(r"https?://\S+")
_TRAJECTORY = "trajectory/trajectory.md"


def task_code(root: Path) -> str | None:
    """Return the 6-character task code a folder name starts with (``eaqg1v-...`` -> ``eaqg1v``), or None."""
    match = _CODE.match(root.name)
    return match.group(1).lower() if match else None


def check_content(root: Path, files: list[str]) -> Iterator[Finding]:
    """Yield findings about scaffold text, the trajectory and template leaks."""
    for relpath in files:
        parent = relpath.rsplit("/", 1)[0] if "/" in relpath else ""
        if parent not in _SCAN_DIRS or Path(relpath).suffix not in _TEXT_SUFFIXES or relpath == _TRAJECTORY:
            continue
        text = _read(root / relpath)
        if text is None:
            continue
        # Instance files: validate reports their TODO(gtguard) fields per key (GT104).
        found = _scaffold_text(relpath, text)
        yield from (f for f in found if not (parent == "instances" and f.severity is Severity.TODO))
        if relpath.lower() == "readme.md":
            yield from _readme(root, relpath, text)
        if relpath == "requirements.txt":
            yield from _pin_of_pytest(relpath, text)
    trajectory = root / _TRAJECTORY
    if trajectory.is_file():
        yield from _trajectory(_read(trajectory) or "")


def _read(path: Path) -> str | None:
    try:
        if path.stat().st_size > _SCAN_LIMIT:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _scaffold_text(relpath: str, text: str) -> Iterator[Finding]:
    for number, line in enumerate(text.splitlines(), start=1):
        if TODO_MARK in line:
            what = line.split(TODO_MARK, 1)[1].strip(" :-#*`") or "write this part"
            yield Finding(
                "GT301",
                Severity.TODO,
                relpath,
                f"scaffold TODO: {what}",
                f"write it, then delete the {TODO_MARK} line",
                line=number,
            )
            continue
    yield from _template_text(relpath, text)


def _template_text(relpath: str, text: str) -> Iterator[Finding]:
    lines = text.splitlines()
    hits = [
        (n, line) for n, line in enumerate(lines, start=1) if any(t.lower() in line.lower() for t in _SCAFFOLD_TEXT)
    ]
    if not hits:
        return
    comment = not relpath.lower().endswith(".md") and "readme" not in relpath.lower()
    real = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    # A template comment above real content is litter; a file that is still the template is not done.
    leftover = comment and real and all(line.lstrip().startswith("#") for _, line in hits)
    number, line = hits[0]
    more = f" (+{len(hits) - 1} more line{'s' if len(hits) > 2 else ''})" if len(hits) > 1 else ""
    yield Finding(
        "GT301",
        Severity.WARNING if leftover else Severity.ERROR,
        relpath,
        f"scaffold text left over: {line.strip()[:80]!r}{more}",
        "delete the template comment"
        if leftover
        else "replace the template text with the task's own content, or delete the file if the task does not need it",
        line=number,
    )


def _pin_of_pytest(relpath: str, text: str) -> Iterator[Finding]:
    for number, line in enumerate(text.splitlines(), start=1):
        spec = line.split("#", 1)[0].strip()
        name = re.split(r"[\s<>=!~\[;]", spec, maxsplit=1)[0]
        if name.lower() == "pytest" and "==" not in spec:
            yield Finding(
                "GT304",
                Severity.WARNING,
                relpath,
                f"pytest is not pinned ({spec!r}): a fresh image pulls the newest pytest, whose changes can break "
                "the tests or their conftest",
                "pin it, e.g. pytest==8.3.4 (the version the task was verified with)",
                line=number,
            )


def _readme(root: Path, relpath: str, text: str) -> Iterator[Finding]:
    for number, line in enumerate(text.splitlines(), start=1):
        match = _README_PLACEHOLDER.search(line)
        if match:
            yield Finding(
                "GT302",
                Severity.ERROR,
                relpath,
                f"command placeholder {match.group(0)!r} left in README",
                "write the real command, e.g. `docker compose run --rm before` (see `gtguard init`)",
                line=number,
            )
    code = task_code(root)
    first = next((line for line in text.splitlines() if line.startswith("# ")), "")
    heading = _HEADING_CODE.match(first)
    if code and heading and heading.group(1).lower() != code:
        yield Finding(
            "GT303",
            Severity.WARNING,
            relpath,
            f"README title names task {heading.group(1)}, but this "
            f"folder is task {code.upper()} (copied from another task?)",
            f"retitle the README for {code.upper()} and check the rest of it was written for this task",
        )


def _trajectory(text: str) -> Iterator[Finding]:
    where = _TRAJECTORY
    body = [line for line in text.splitlines() if line.strip() and not re.match(r"^#+\s*trajectory\s*$", line, re.I)]
    if not body or all(TODO_MARK in line or line.lstrip().startswith("#") for line in body):
        yield Finding(
            "GT201",
            Severity.TODO,
            where,
            "the trajectory is empty (only a heading)",
            "write how the task was solved: analysis, strategy, execution and resources",
        )
        return
    yield from (f for f in _scaffold_text(where, text) if f.severity is Severity.TODO)
    labels = [line.lower() for line in body if _is_label(line)]
    for section, words in SECTIONS.items():
        found = any(word in label for label in labels for word in words)
        if section == "resources" and _URL.search(text):
            found = True
        if not found:
            yield Finding(
                "GT202",
                Severity.WARNING,
                where,
                f"no {section} section",
                f"add a heading such as '## {section.capitalize()}' (the handbook asks for analysis, "
                "strategy, execution and resources)",
            )


def _is_label(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(("#", "**", "__")) or bool(re.match(r"^\d+[.)]\s", stripped))
