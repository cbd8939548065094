"""Read the distribution names a project declares, from every file Python projects declare them in.

Each requirement string goes through ``packaging.requirements`` (the PEP 508 parser pip uses; a pytest
dependency). pip's requirements-file syntax is not covered by any maintained library (pip's own parser
is private API), so the line handling here is our own and follows pip's documented rules: comments start
at a ``#`` after whitespace, a trailing backslash continues the line, ``-r``/``--requirement`` includes
another file relative to this one (``-c`` constraints declare nothing), ``-e``/``--editable`` and plain
URLs name their distribution with ``#egg=name``, wheel and sdist file names name it in the file name,
and per-requirement options (``--hash=...``) follow the requirement.

setup.py is read as a syntax tree: the literal ``install_requires`` / ``extras_require`` of a
``setup(...)`` call (or a module-level name bound to a literal), never executed.
"""

from __future__ import annotations

import ast
import configparser
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from pytest_gtguard._toml import loads

__all__ = ["Declared", "from_pyproject", "from_requirements_file", "from_setup_cfg", "from_setup_py", "name_of"]

Declared = tuple[str, Path, int]  # (PEP 503 normalised name, file, line)

_COMMENT = re.compile(r"(^|\s+)#.*$")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_OPTION_TAIL = re.compile(r"\s+--?[A-Za-z][\w-]*(?:[=\s].*)?$")  # --hash=..., --config-settings ...
_INCLUDE = re.compile(r"^(?:-r|--requirement)(?:\s*=\s*|\s+|(?=\S))(\S+)")
_EDITABLE = re.compile(r"^(?:-e|--editable)(?:\s*=\s*|\s+)(\S+)")
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git\+|hg\+|svn\+|bzr\+|file:)", re.IGNORECASE)


def name_of(spec: str) -> str | None:
    """Return the normalised distribution name of one requirement (PEP 508, URL or path), or None."""
    text = spec.strip()
    if _URL.match(text) or text.startswith((".", "/", "~")) or text.endswith((".whl", ".tar.gz", ".zip")):
        egg = _EGG.search(text)
        return canonicalize_name(egg.group(1)) if egg else _from_file_name(text.rsplit("/", 1)[-1])
    try:
        return canonicalize_name(Requirement(text).name)
    except InvalidRequirement:
        return None


def from_requirements_file(path: Path, _seen: set[Path] | None = None) -> Iterator[Declared]:
    """Yield the requirements of a pip requirements file and the files it includes with ``-r``."""
    seen = set() if _seen is None else _seen
    resolved = path.resolve()
    if resolved in seen or not path.is_file():
        return
    seen.add(resolved)
    for number, line in _logical_lines(path):
        include = _INCLUDE.match(line)
        if include:
            yield from from_requirements_file(path.parent / include.group(1), seen)
            continue
        editable = _EDITABLE.match(line)
        if editable:
            line = editable.group(1)
        elif line.startswith("-"):
            continue  # -c, --index-url, -f, --pre, ...: no distribution
        name = name_of(_OPTION_TAIL.sub("", line))
        if name:
            yield name, path, number


def from_pyproject(path: Path) -> Iterator[Declared]:
    """Yield ``[project]`` dependencies and extras, PEP 735 ``[dependency-groups]`` and Poetry's tables."""
    text = path.read_text(encoding="utf-8", errors="replace")
    data = loads(text) or {}
    project = _table(data.get("project"))
    specs: list[str] = list(_strings(project.get("dependencies")))
    for group in _table(project.get("optional-dependencies")).values():
        specs.extend(_strings(group))
    for group in _table(data.get("dependency-groups")).values():
        specs.extend(_strings(group))  # {include-group = "..."} tables name a group, not a distribution
    poetry = _table(_table(data.get("tool")).get("poetry"))
    tables = [_table(poetry.get("dependencies")), _table(poetry.get("dev-dependencies"))]
    tables += [_table(_table(g).get("dependencies")) for g in _table(poetry.get("group")).values()]
    for table in tables:
        specs.extend(name for name in table if name.lower() != "python")
    yield from _located(specs, path, text)


def from_setup_cfg(path: Path) -> Iterator[Declared]:
    """Yield ``[options] install_requires`` and ``[options.extras_require]`` of a setup.cfg.

    configparser, not iniconfig: setuptools reads setup.cfg with configparser, so its rules are the ones
    that decide what the file declares.
    """
    parser = configparser.ConfigParser(interpolation=None)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
        parser.read_string(text)
    except (OSError, configparser.Error):
        return
    specs = _cfg_list(parser.get("options", "install_requires", fallback=""))
    if parser.has_section("options.extras_require"):
        for _, value in parser.items("options.extras_require"):
            specs.extend(_cfg_list(value))
    yield from _located(specs, path, text)


def from_setup_py(path: Path) -> Iterator[Declared]:
    """Yield the literal ``install_requires`` and ``extras_require`` of a setup.py's ``setup(...)`` call."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return
    names: dict[str, ast.expr] = {}
    for statement in tree.body:
        if (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            names[statement.targets[0].id] = statement.value
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _called(node) == "setup"):
            continue
        for keyword in node.keywords:
            if keyword.arg not in ("install_requires", "extras_require"):
                continue
            value = keyword.value
            if isinstance(value, ast.Name):
                value = names.get(value.id, value)
            for spec, line in _literal_specs(value):
                name = name_of(spec)
                if name:
                    yield name, path, line


def _logical_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (first line number, text) per logical line: comments removed, continuations joined."""
    try:
        raw_lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return
    buffer, start = "", 0
    for number, raw in enumerate(raw_lines, 1):
        if not buffer:
            start = number
        line = _COMMENT.sub("", raw)
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        text = (buffer + line).strip()
        buffer = ""
        if text:
            yield start, text
    if buffer.strip():
        yield start, buffer.strip()


def _from_file_name(name: str) -> str | None:
    name = name.split("#", 1)[0].split("?", 1)[0]
    try:
        if name.endswith(".whl"):
            return canonicalize_name(parse_wheel_filename(name)[0])
        if name.endswith((".tar.gz", ".zip")):
            return canonicalize_name(parse_sdist_filename(name)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None


def _located(specs: Iterable[str], path: Path, text: str) -> Iterator[Declared]:
    lines = text.splitlines()
    for spec in specs:
        name = name_of(spec)
        if name:
            raw = spec.strip()
            line = next((i for i, text_line in enumerate(lines, 1) if raw and raw in text_line), 0)
            yield name, path, line


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _cfg_list(value: str) -> list[str]:
    # setuptools' "dangling list": one requirement a line, comments after " #".
    lines = (_COMMENT.sub("", line).strip() for line in value.splitlines())
    return [line for line in lines if line]


def _called(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _literal_specs(node: ast.expr) -> Iterator[tuple[str, int]]:
    """Yield (string, line) for string constants in a list/tuple, or in the values of a dict of them."""
    if isinstance(node, ast.Dict):
        for value in node.values:
            yield from _literal_specs(value)
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        for item in node.elts:
            if isinstance(item, ast.Constant) and isinstance(item.value, str):
                yield item.value, item.lineno
