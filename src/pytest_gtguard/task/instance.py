"""Read ``instances/instance.json`` (or ``instances.json``) strictly and check it against its schema.

Reusable outside ``validate``: the split run imports ``load_instances`` to compare the listed
FAIL_TO_PASS / PASS_TO_PASS with the ones it measures. Schema (docs/schemas.md, schemas/instance.schema.json):

=================== ========================= ==========================================
key                 type                      notes
=================== ========================= ==========================================
instance_id         string                    the task's code, e.g. "EAQG1V"
problem_statement   non-empty string          what the model is asked to do
base_commit         string                    usually "repository_before/"
repo / github_url   string                    one of the two is required
FAIL_TO_PASS        list of strings           test ids failing before and passing after
PASS_TO_PASS        list of strings           test ids passing on both sides
(optional)          test_patch, environment_setup, requirements, category, difficulty, tags, ...
=================== ========================= ==========================================

Survey §4: 58 of 601 real files parse only with ``json.loads(strict=False)`` (raw newlines in
strings) and 49 not at all (unescaped quotes), so errors say line, column and the fix.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_gtguard.errors import GtguardError

__all__ = [
    "BOM_FIX",
    "BOM_REASON",
    "INSTANCE_NAMES",
    "Instance",
    "InstanceError",
    "SchemaProblem",
    "differing_keys",
    "find_instance_files",
    "load_instances",
    "parse_instances",
    "read_instance_text",
    "schema_problems",
]

INSTANCE_NAMES = ("instance.json", "instances.json")
REQUIRED_TEXT = ("instance_id", "problem_statement", "base_commit")
ID_LISTS = ("FAIL_TO_PASS", "PASS_TO_PASS")
_UTF8_BOM = b"\xef\xbb\xbf"
# gtguard reads past a BOM, but pipelines that call json.load on the file fail on it (issue 15).
BOM_REASON = "the file starts with a UTF-8 byte order mark (BOM), which json.load and strict JSON parsers reject"
BOM_FIX = "save it as UTF-8 without BOM"


class InstanceError(GtguardError):
    """The instance file cannot be read as strict JSON; the message gives line, column and the fix."""

    def __init__(
        self, message: str, *, line: int | None = None, lenient_ok: bool = False, reason: str = "", fix: str = ""
    ) -> None:
        super().__init__(message)
        self.line = line
        self.lenient_ok = lenient_ok  # json.loads(strict=False) would have accepted it
        self.reason = reason or message
        self.fix = fix or "fix the JSON syntax (python -m json.tool FILE shows the same error)"


@dataclass(frozen=True)
class Instance:
    """One task instance as the dataset ingests it."""

    instance_id: str
    problem_statement: str
    base_commit: str
    repo: str
    fail_to_pass: tuple[str, ...]
    pass_to_pass: tuple[str, ...]
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Instance:
        """Build an Instance leniently (wrong types become empty values; ``schema_problems`` reports them)."""
        known = {*REQUIRED_TEXT, "repo", "github_url", *ID_LISTS}
        return cls(
            instance_id=_text(data.get("instance_id")),
            problem_statement=_text(data.get("problem_statement")),
            base_commit=_text(data.get("base_commit")),
            repo=_text(data.get("repo")) or _text(data.get("github_url")),
            fail_to_pass=_ids(data.get("FAIL_TO_PASS")),
            pass_to_pass=_ids(data.get("PASS_TO_PASS")),
            extra={k: v for k, v in data.items() if k not in known},
        )


@dataclass(frozen=True)
class SchemaProblem:
    """A key that is missing or has the wrong type."""

    key: str
    reason: str
    fix: str


def find_instance_files(task_root: Path) -> list[Path]:
    """Return a task's instance files: instances/instance.json, instances.json, or else instances/*.json."""
    folder = task_root / "instances"
    named = [folder / name for name in INSTANCE_NAMES if (folder / name).is_file()]
    if named or not folder.is_dir():
        return named
    return sorted(p for p in folder.glob("*.json") if p.is_file())


def load_instances(path: Path) -> list[Instance]:
    """Read ``path`` strictly and return its instances (a file holds one object or a list of them).

    Raises:
        InstanceError: the file is unreadable, not strict JSON, or not an object / list of objects.
    """
    text, _ = read_instance_text(path)
    return [Instance.from_mapping(item) for item in parse_instances(text, where=str(path))]


def read_instance_text(path: Path, *, where: str | None = None) -> tuple[str, bool]:
    """Return the file's text and whether it starts with a UTF-8 BOM (read past, but worth a finding).

    Raises:
        InstanceError: the file cannot be read, is UTF-16 or otherwise not UTF-8, or is empty; the
            reason and the fix say which (each needs another fix than a JSON syntax error).
    """
    where = where or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = f"cannot read the file ({exc.strerror or exc})"
        raise _unreadable(where, reason, "check that it is a readable file") from None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\0" in data[:400]:
        reason = "the file is UTF-16 (PowerShell's `>` and Notepad's 'Unicode' write that), not UTF-8"
        raise _unreadable(where, reason, "save it as UTF-8")
    bom = data.startswith(_UTF8_BOM)
    try:
        text = data[len(_UTF8_BOM) if bom else 0 :].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _unreadable(where, f"not UTF-8 text (byte {exc.start}: {exc.reason})", "save it as UTF-8") from None
    if not text.strip():
        raise _unreadable(
            where,
            "the file is empty",
            'write the instance object: {"instance_id": ..., "problem_statement": ..., "base_commit": ..., '
            '"github_url": ..., "FAIL_TO_PASS": [...], "PASS_TO_PASS": [...]} (schema: docs/schemas.md)',
        )
    return text, bom


def _unreadable(where: str, reason: str, fix: str) -> InstanceError:
    return InstanceError(f"{where}: {reason}; {fix}", reason=reason, fix=fix)


def differing_keys(first: Sequence[Mapping[str, Any]], second: Sequence[Mapping[str, Any]]) -> list[str]:
    """Return the keys on which two instance files' objects differ (empty: they agree).

    Objects are matched by ``instance_id``, else by position; an object without a partner counts as
    differing on ``instance_id``.
    """
    by_id = {_text(item.get("instance_id")): item for item in second}
    keys: set[str] = set()
    for i, item in enumerate(first):
        other = by_id.get(_text(item.get("instance_id"))) or (second[i] if i < len(second) else None)
        if other is None:
            keys.add("instance_id")
            continue
        keys |= {k for k in item.keys() | other.keys() if item.get(k) != other.get(k)}
    if len(first) != len(second):
        keys.add("instance_id")
    return sorted(keys)


def parse_instances(text: str, *, where: str) -> list[dict[str, Any]]:
    """Parse instance JSON text strictly and return the list of objects in it.

    Raises:
        InstanceError: with line, column and the fix (raw newline, unescaped quote, ...).
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _explain(exc, text, where) from None
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(item, dict) for item in items):
        raise InstanceError(
            f"{where}: expected a JSON object (or a list of objects) with instance_id, "
            f"problem_statement, ...; got {type(data).__name__}"
        )
    return items


def schema_problems(data: Mapping[str, Any]) -> list[SchemaProblem]:
    """Return every schema problem of one instance object (empty when it conforms)."""
    problems: list[SchemaProblem] = []
    for key in REQUIRED_TEXT:
        if key not in data:
            problems.append(SchemaProblem(key, f"{key} is missing", f'add "{key}": "..."'))
        elif not isinstance(data[key], str):
            problems.append(
                SchemaProblem(
                    key, f"{key} is {type(data[key]).__name__}, not a string", f"write {key} as a JSON string"
                )
            )
    if not any(isinstance(data.get(k), str) and data.get(k) for k in ("repo", "github_url")):
        problems.append(
            SchemaProblem(
                "repo",
                "neither repo nor github_url is set",
                'add "github_url": "https://github.com/<owner>/<repo>/tree/main/<task>"',
            )
        )
    for key in ID_LISTS:
        value = data.get(key)
        if value is None:
            problems.append(SchemaProblem(key, f"{key} is missing", f'add "{key}": [] and list the test ids'))
        elif isinstance(value, str):
            problems.append(
                SchemaProblem(
                    key,
                    f"{key} is a string, not a list ({_short(value)})",
                    f'write {key} as a JSON list of test ids: ["tests/test_x.py::test_y"]',
                )
            )
        elif not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(
                SchemaProblem(
                    key,
                    f"{key} must be a list of strings",
                    f'write {key} as ["tests/test_x.py::test_y", ...]',
                )
            )
    return problems


def _explain(exc: json.JSONDecodeError, text: str, where: str) -> InstanceError:
    line_text = text.splitlines()[exc.lineno - 1] if 0 < exc.lineno <= len(text.splitlines()) else ""
    at = f"{where}:{exc.lineno}:{exc.colno}"
    lenient_ok = True
    try:
        json.loads(text, strict=False)
    except json.JSONDecodeError:
        lenient_ok = False
    if lenient_ok or exc.msg.startswith("Invalid control character"):
        fix = (
            "a raw line break or tab inside a string; JSON strings must write it as \\n (or \\t). "
            "json.loads(strict=False) accepts it, strict parsers do not"
        )
    elif exc.msg.startswith(("Expecting ',' delimiter", "Expecting ':' delimiter")) and '"' in line_text:
        fix = 'probably an unescaped double quote inside a string; write it as \\" (or use single quotes)'
    elif exc.msg.startswith("Expecting property name") or exc.msg.startswith("Expecting value"):
        fix = "a trailing comma, a comment or a missing value; JSON allows none of them"
    else:
        fix = "fix the syntax at that position (python -m json.tool FILE shows the same error)"
    snippet = line_text.strip()
    shown = f" near: {_short(snippet, 60)}" if snippet else ""
    reason = f"not strict JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}{shown}"
    return InstanceError(
        f"{at}: not strict JSON: {exc.msg}{shown}; {fix}",
        line=exc.lineno,
        lenient_ok=lenient_ok,
        reason=reason,
        fix=fix,
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _ids(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
