"""``gtguard validate``: every reason an ingestion check would reject a task, found in one pass."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pytest_gtguard.errors import TaskLayoutError
from pytest_gtguard.task.collectable import check_collectable
from pytest_gtguard.task.commands import check_commands
from pytest_gtguard.task.content import TODO_MARK, check_content, task_code
from pytest_gtguard.task.exits import check_exits
from pytest_gtguard.task.findings import Finding, Severity, rel
from pytest_gtguard.task.ini import read_ini
from pytest_gtguard.task.instance import (
    BOM_FIX,
    BOM_REASON,
    ID_LISTS,
    InstanceError,
    differing_keys,
    find_instance_files,
    parse_instances,
    read_instance_text,
    schema_problems,
)
from pytest_gtguard.task.layout import REQUIRED_DIRS, check_layout, submitted_files
from pytest_gtguard.task.patch import check_patch, git_available, patch_files
from pytest_gtguard.task.sidetests import check_side_tests
from pytest_gtguard.task.testids import Resolution, TestIndex
from pytest_gtguard.task.trees import describe_missing, list_files

__all__ = ["ValidationReport", "validate"]

_SHOWN_IDS = 5


@dataclass(frozen=True)
class ValidationReport:
    """All findings for one task directory."""

    root: Path
    findings: tuple[Finding, ...]

    def count(self, severity: Severity) -> int:
        """Return how many findings have ``severity``."""
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def clean(self) -> bool:
        """Return True when there is nothing to report."""
        return not self.findings

    def to_json(self) -> dict[str, object]:
        """Return the report as the ``--json`` document."""
        return {
            "task": str(self.root),
            "clean": self.clean,
            "counts": {s.value: self.count(s) for s in Severity},
            "findings": [f.to_json() for f in self.findings],
        }


def validate(root: Path, *, use_git: bool = True, ignore: Iterable[str] = ()) -> ValidationReport:
    """Check the task at ``root`` and return every finding, sorted by file.

    Raises:
        TaskLayoutError: ``root`` does not exist or holds none of a task's folders.
    """
    if not root.is_dir():
        raise TaskLayoutError(
            f"{root}: {describe_missing(root)}; pass the task folder (the one holding repository_after/)"
        )
    if not any((root / name).is_dir() for name in REQUIRED_DIRS):
        raise TaskLayoutError(
            f"{root} holds none of {', '.join(d + '/' for d in REQUIRED_DIRS)}; pass the task's "
            "top folder, or create one with `gtguard init NAME`"
        )
    root = root.resolve()
    files = submitted_files(root, use_git=use_git)
    skipped = set(ignore)
    findings = [
        f
        for check in (
            check_layout(root, files),
            check_content(root, files),
            check_commands(root, files),
            check_side_tests(root),
            check_collectable(root),
            check_exits(root, files),
            _instance_checks(root),
            _patch_checks(root, use_git=use_git),
        )
        for f in check
        if f.code not in skipped
    ]
    findings.sort(key=lambda f: (f.file, f.line or 0, f.code))
    return ValidationReport(root, tuple(dict.fromkeys(findings)))


def _instance_checks(root: Path) -> Iterator[Finding]:
    paths = find_instance_files(root)
    if not paths:
        if (root / "instances").is_dir():
            yield Finding(
                "GT101",
                Severity.ERROR,
                "instances/",
                "no instance.json in instances/",
                "add instances/instance.json (schema: docs/cli.md; `gtguard init` writes one)",
            )
        return
    index: TestIndex | None = None
    parsed: dict[str, list[dict[str, object]]] = {}
    for path in paths:
        where = rel(path, root)
        try:
            text, bom = read_instance_text(path, where=where)
            items = parse_instances(text, where=where)
        except InstanceError as exc:
            yield Finding("GT102", Severity.ERROR, where, exc.reason, exc.fix, line=exc.line)
            continue
        if bom:
            yield Finding("GT102", Severity.ERROR, where, BOM_REASON, BOM_FIX, line=1)
        parsed[where] = items
        for position, data in enumerate(items):
            at = f"$[{position}]" if len(items) > 1 or text.lstrip().startswith("[") else "$"
            yield from _schema_findings(where, at, data)
            statement = data.get("problem_statement")
            if isinstance(statement, str) and not statement.strip():
                yield Finding(
                    "GT104",
                    Severity.TODO,
                    where,
                    "problem_statement is empty",
                    "describe the task for the model: the current behaviour, what must change, constraints",
                )
            for key, value in data.items():
                if isinstance(value, str) and TODO_MARK in value:
                    yield Finding(
                        "GT104",
                        Severity.TODO,
                        where,
                        f"{key} is not written yet ({_short(value)})",
                        f"replace the {TODO_MARK} text of {key}",
                    )
            yield from _leak(root, where, data)
            yield from _unchecked_constraints(root, where, data)
            f2p = data.get("FAIL_TO_PASS")
            if isinstance(f2p, list) and not f2p and _expects_f2p(root):
                yield Finding(
                    "GT105",
                    Severity.TODO,
                    where,
                    "FAIL_TO_PASS is empty",
                    "list the tests that fail on repository_before and pass on repository_after "
                    "(the split run `pytest --before --after` measures them)",
                )
            lists = {k: data[k] for k in ID_LISTS if isinstance(data.get(k), list)}
            if any(lists.values()):
                index = index or TestIndex.build(root)
                yield from _id_checks(where, lists, index)
    yield from _disagreements(parsed)


def _schema_findings(where: str, at: str, data: dict[str, object]) -> Iterator[Finding]:
    """Yield GT103 for one instance object: the hand-written checks, then what else the JSON Schema rejects.

    With jsonschema installed, a reason names the JSON path of the first bad item (``$.FAIL_TO_PASS[3]``);
    without it, the hand-written checks alone run (they apply the same rules; see docs/schemas.md).
    """
    from pytest_gtguard.schemas import schema_errors

    errors = schema_errors("instance", data, definition="instance") or []
    problems = schema_problems(data)
    for problem in problems:
        path = next((e.path for e in errors if e.key == problem.key and e.path not in ("$", f"$.{e.key}")), "")
        reason = f"{at}{path[1:]}: {problem.reason}" if path else problem.reason
        yield Finding("GT103", Severity.ERROR, where, reason, problem.fix)
    covered = {p.key for p in problems}
    for error in errors:
        if error.key not in covered:
            reason = f"{at}{error.path[1:]}: {error.message}"
            yield Finding("GT103", Severity.ERROR, where, reason, "see the instance schema in docs/schemas.md")


def _unchecked_constraints(root: Path, where: str, data: dict[str, object]) -> Iterator[Finding]:
    """Name each constraint of the problem statement that no test checks (docs/constraints.md)."""
    from pytest_gtguard.constraints import for_instance

    for check in for_instance(data, root).unmapped:
        yield Finding(
            "GT111",
            Severity.WARNING,
            where,
            f"the problem statement asks for {check.constraint.describe()} "
            f'("{_short(check.constraint.text)}") and no test checks it',
            f"add {check.suggestion}",
        )


def _disagreements(parsed: dict[str, list[dict[str, object]]]) -> Iterator[Finding]:
    """Compare every instance file with the first, the one the split reads (issue 15)."""
    files = list(parsed.items())
    for where, items in files[1:]:
        keys = differing_keys(files[0][1], items)
        if keys:
            yield Finding(
                "GT110",
                Severity.ERROR,
                where,
                f"disagrees with {files[0][0]} on {', '.join(keys)}; a pipeline may read either file",
                f"keep one instance file (the split reads {files[0][0]}), or make both say the same",
            )


def _expects_f2p(root: Path) -> bool:
    """Honour the split's setting: a pure refactor sets gtguard_expect_f2p = false (env, then ini)."""
    raw = os.environ.get("GTGUARD_EXPECT_F2P") or read_ini(root, "gtguard_expect_f2p") or "true"
    return raw.strip().lower() not in ("0", "false", "no", "off")


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _leak(root: Path, where: str, data: dict[str, object]) -> Iterator[Finding]:
    code = task_code(root)
    if code is None:
        return
    instance_id = data.get("instance_id")
    own = (
        re.match(r"^([a-z0-9]{6})(?:$|[-_ ])", instance_id.strip(), re.IGNORECASE)
        if isinstance(instance_id, str)
        else None
    )
    if own and own.group(1).lower() != code:
        yield Finding(
            "GT109",
            Severity.WARNING,
            where,
            f"instance_id {instance_id!r} is not this folder's code {code.upper()}",
            f'set "instance_id": "{code.upper()}" and check the rest was written for this task',
        )
    url = data.get("github_url") or data.get("repo")
    last = url.rstrip("/").rsplit("/", 1)[-1] if isinstance(url, str) else ""
    match = re.match(r"^([a-z0-9]{6})-", last, re.IGNORECASE)
    if match and match.group(1).lower() != code:
        yield Finding(
            "GT109",
            Severity.WARNING,
            where,
            f"github_url points at another task folder ({last})",
            f"point github_url at this task's folder ({root.name})",
        )


def _id_checks(where: str, lists: dict[str, list[object]], index: TestIndex) -> Iterator[Finding]:
    seen: dict[str, str] = {}
    for key, ids in lists.items():
        missing: list[str] = []
        files: list[str] = []
        for test_id in ids:
            if not isinstance(test_id, str):
                continue
            if test_id in seen:
                yield Finding(
                    "GT108",
                    Severity.WARNING,
                    where,
                    f"{test_id!r} is listed in {seen[test_id]} and again in {key}",
                    "list each test id once, in exactly one of the two lists",
                )
            seen.setdefault(test_id, key)
            resolution = index.resolve(test_id)
            if resolution is Resolution.MISSING:
                missing.append(test_id)
            elif resolution is Resolution.FILE:
                files.append(test_id)
        if missing:
            yield Finding(
                "GT106",
                Severity.ERROR,
                where,
                f"{len(missing)} of {len(ids)} {key} ids name no test: {_show(missing)}",
                "use pytest node ids of tests that exist, e.g. "
                "tests/test_x.py::TestY::test_z (`pytest --collect-only -q` lists them)",
            )
        if files:
            yield Finding(
                "GT107",
                Severity.WARNING,
                where,
                f"{len(files)} {key} ids name a file, not a test: {_show(files)}",
                "list the tests in the file one by one (`pytest --collect-only -q FILE`)",
            )


def _show(ids: list[str]) -> str:
    shown = ", ".join(ids[:_SHOWN_IDS])
    return shown + (f" (+{len(ids) - _SHOWN_IDS} more)" if len(ids) > _SHOWN_IDS else "")


def _patch_checks(root: Path, *, use_git: bool) -> Iterator[Finding]:
    if not (root / "patches").is_dir() or not list_files(root / "repository_after"):
        return  # GT001 or GT002 already says what is missing; there is nothing to diff yet
    patches = patch_files(root)
    if not patches:
        yield Finding(
            "GT601",
            Severity.ERROR,
            "patches/",
            "no .patch or .diff file in patches/",
            "run `gtguard patch` to write patches/<task>.patch",
        )
        return
    checked = []
    for path in patches:
        where = rel(path, root)
        data = path.read_bytes()
        if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\0" in data[:400]:
            yield Finding(
                "GT603",
                Severity.ERROR,
                where,
                "the patch is UTF-16 (a PowerShell `>` redirect writes that); git apply cannot read it",
                "regenerate it with `gtguard patch` (writes UTF-8)",
            )
        elif not data.strip():
            yield Finding(
                "GT602",
                Severity.ERROR,
                where,
                "the patch file is empty",
                "run `gtguard patch` to write the diff from repository_before to repository_after",
            )
        else:
            checked.append(check_patch(root, path, use_git=use_git and git_available()))
    for result in checked:
        if result.caches:
            yield Finding(
                "GT605",
                Severity.WARNING,
                rel(result.patch, root),
                f"the patch includes {len(result.caches)} cache file(s), e.g. {result.caches[0]}",
                "regenerate it with `gtguard patch`, which leaves caches out",
            )
    if checked and not any(c.ok for c in checked):
        for result in checked:
            detail = result.error or "; ".join(result.differences[:_SHOWN_IDS]) + (
                f" (+{len(result.differences) - _SHOWN_IDS} more)" if len(result.differences) > _SHOWN_IDS else ""
            )
            yield Finding(
                "GT604",
                Severity.ERROR,
                rel(result.patch, root),
                f"applied to repository_before, the patch does not give repository_after: {detail}",
                "regenerate it with `gtguard patch` (and check with `gtguard patch --check`)",
            )
