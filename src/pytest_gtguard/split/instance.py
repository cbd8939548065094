"""Read a task's instance file, map its hand-written test ids to node ids, and write computed lists back.

Real instance files name tests in five styles (survey §4): ``tests/x.py::Class::test``, bare
``test_name``, ``Class::test``, dotted ``tests.test_x.Class.test`` and file names. ``resolve_ids``
maps each to the node ids actually collected, so a listed id that names no test is found.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_gtguard.errors import ConfigError

__all__ = ["Instance", "find_instance", "load_instance", "resolve_id", "write_lists"]

LIST_KEYS = ("FAIL_TO_PASS", "PASS_TO_PASS")


@dataclass
class Instance:
    """A parsed instance file."""

    path: Path
    data: dict[str, Any]
    indent: int = 2
    problems: list[str] = field(default_factory=list)

    def listed(self, key: str) -> list[str]:
        """Return the ids listed under ``key`` (a string holding a JSON list is accepted too)."""
        value = self.data.get(key)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return [value] if value.strip() else []
        return [str(v) for v in value] if isinstance(value, list) else []


def find_instance(task_root: Path) -> Path | None:
    """Return the task's instance file: instances/instance.json, instances.json or the only JSON there."""
    folder = task_root / "instances"
    for candidate in (folder / "instance.json", folder / "instances.json", task_root / "instance.json"):
        if candidate.is_file():
            return candidate
    found = sorted(folder.glob("*.json")) if folder.is_dir() else []
    return found[0] if len(found) == 1 else None


def load_instance(path: Path) -> Instance:
    """Parse ``path`` as strict JSON.

    Raises:
        ConfigError: not strict JSON (the message gives line, column and the usual fix) or not an object.
    """
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(_json_help(path, text, exc)) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the instance must be a JSON object with FAIL_TO_PASS and PASS_TO_PASS keys")
    instance = Instance(path, data, indent=_indent_of(text))
    missing = [k for k in ("instance_id", "problem_statement", *LIST_KEYS) if k not in data]
    if missing:
        instance.problems.append(f"{path}: missing key(s) {', '.join(missing)}")
    for key in LIST_KEYS:
        if key in data and not isinstance(data[key], list):
            instance.problems.append(f"{path}: {key} should be a JSON list of test ids, not {type(data[key]).__name__}")
    return instance


def _json_help(path: Path, text: str, exc: json.JSONDecodeError) -> str:
    where = f"{path}:{exc.lineno}:{exc.colno}"
    try:
        json.loads(text, strict=False)
    except json.JSONDecodeError:
        pass
    else:
        return (
            f"{where}: not strict JSON: a raw line break or tab inside a string ({exc.msg}); "
            "write it as \\n (json.dumps does this) so every JSON reader accepts the file"
        )
    if "delimiter" in exc.msg or "Expecting" in exc.msg:
        return (
            f"{where}: not valid JSON ({exc.msg}); most often an unescaped double quote inside "
            'problem_statement: write it as \\" or use single quotes in the text'
        )
    return f"{where}: not valid JSON ({exc.msg}); fix the file so json.load() reads it"


def _indent_of(text: str) -> int:
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" ")
        if stripped and len(stripped) != len(line):
            return len(line) - len(stripped)
    return 2


def resolve_id(listed: str, nodeids: Sequence[str]) -> list[str]:
    """Return the node ids ``listed`` names, in any of the five styles real tasks use."""
    item = listed.strip()
    if not item:
        return []
    exact = [n for n in nodeids if n == item or n.endswith("/" + item)]
    if exact:
        return exact
    if "::" in item:
        path, _, rest = item.partition("::")
        if path.endswith(".py"):  # a path relative to another folder, e.g. repository_after/tests/x.py
            return [n for n in nodeids if n.split("::", 1)[1:] == [rest] and path.endswith(n.split("::", 1)[0])]
        return [n for n in nodeids if n.endswith("::" + item)]  # Class::test
    if item.endswith(".py"):
        return [n for n in nodeids if n.split("::", 1)[0].endswith(item)]
    if "." in item and not item.endswith("]"):
        return _dotted(item, nodeids)
    return [n for n in nodeids if _function(n) == item or n.rsplit("::", 1)[-1] == item]


def _dotted(item: str, nodeids: Sequence[str]) -> list[str]:
    parts = item.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        path = "/".join(parts[:cut]) + ".py"
        names = "::".join(parts[cut:])
        found = [n for n in nodeids if n.split("::", 1)[0].endswith(path) and n.split("::", 1)[-1] == names]
        if found:
            return found
    return []


def _function(nodeid: str) -> str:
    return nodeid.rsplit("::", 1)[-1].split("[", 1)[0]


def write_lists(instance: Instance, lists: dict[str, Iterable[str]]) -> None:
    """Replace FAIL_TO_PASS / PASS_TO_PASS in the file, keeping every other key and the key order."""
    data = dict(instance.data)
    for key, ids in lists.items():
        data[key] = sorted(ids)
    text = json.dumps(data, indent=instance.indent, ensure_ascii=False) + "\n"
    tmp = instance.path.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(instance.path)
    instance.data = data
