"""Map an instance file's hand-written test ids to collected node ids, and write computed lists back.

Reading and the schema are ``task.instance``'s (shared with ``gtguard validate``); this module adds
what only the split can do: resolve ids against the node ids the runs actually collected.

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

from pytest_gtguard import _atomic
from pytest_gtguard.errors import ConfigError
from pytest_gtguard.task.instance import (
    InstanceError,
    find_instance_files,
    parse_instances,
    read_instance_text,
    schema_problems,
)

__all__ = ["Instance", "find_instance", "load_instance", "resolve_id", "write_lists"]

LIST_KEYS = ("FAIL_TO_PASS", "PASS_TO_PASS")


@dataclass
class Instance:
    """A parsed instance file."""

    path: Path
    data: dict[str, Any]
    indent: int = 2
    wrapped: bool = False  # the file holds a one-element list
    problems: list[str] = field(default_factory=list)
    bom: bool = False  # the file starts with a UTF-8 BOM (write_lists writes it without)
    # The task's other instance files: their objects, or why they cannot be read (compared by the verdict).
    others: dict[Path, list[dict[str, Any]] | str] = field(default_factory=dict)

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
    """Return the task's instance file (see ``task.instance.find_instance_files``), or None."""
    found = find_instance_files(task_root)
    return found[0] if found else None


def load_instance(path: Path) -> Instance:
    """Parse ``path`` as strict JSON (one object, or a list holding one) and note its schema problems.

    Raises:
        ConfigError: not strict JSON (the message gives line, column and the usual fix) or not an object.
    """
    try:
        text, bom = read_instance_text(path)
        items = parse_instances(text, where=str(path))
    except InstanceError as exc:
        raise ConfigError(str(exc)) from None
    if len(items) != 1:
        raise ConfigError(f"{path}: holds {len(items)} instances; the split checks a file with exactly one")
    instance = Instance(path, items[0], indent=_indent_of(text), wrapped=text.lstrip().startswith("["), bom=bom)
    # A list given as a string is an error of the lists, judged by the verdict (as validate's GT103 does).
    instance.problems.extend(
        f"{path}: {p.key}: {p.reason}; {p.fix}"
        for p in schema_problems(items[0])
        if not (p.key in LIST_KEYS and isinstance(items[0].get(p.key), str))
    )
    instance.others = _others(path)
    return instance


def _others(path: Path) -> dict[Path, list[dict[str, Any]] | str]:
    """Read the task's other instance files, to tell when two of them disagree (issue 15)."""
    if path.parent.name != "instances":
        return {}
    found: dict[Path, list[dict[str, Any]] | str] = {}
    for other in find_instance_files(path.parent.parent):
        if other.resolve() == path.resolve():
            continue
        try:
            found[other] = parse_instances(read_instance_text(other)[0], where=str(other))
        except InstanceError as exc:
            found[other] = str(exc)
    return found


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
    """Replace FAIL_TO_PASS / PASS_TO_PASS in the file, keeping every other key and the key order.

    Raises:
        WriteError: the file cannot be written (it is left as it was).
    """
    data = dict(instance.data)
    for key, ids in lists.items():
        data[key] = sorted(ids)
    text = json.dumps([data] if instance.wrapped else data, indent=instance.indent, ensure_ascii=False) + "\n"
    _atomic.write_text(instance.path, text, alternative="run without --gtguard-update-instance")
    instance.data = data
    instance.bom = False
