"""Read the environment a task's compose file gives its before and after services.

Real tasks often pick their side through a variable that only the compose file sets
(``TARGET_REPOSITORY=repository_before`` under the before service) and that the tests read with no
default, so nothing in the test sources says its spelling. This reads every compose service that
runs one side (by its name, or a command naming ``before``/``repository_before``), with its
``environment:`` in both the list and the map form, the ``env_file:`` files it names, and
``${VAR:-default}`` interpolation from the project's ``.env``. Pure; PyYAML is imported only when a
compose file exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["COMPOSE_NAMES", "ComposeEnv", "compose_images", "read_compose_env"]

COMPOSE_NAMES = ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")
_MAX_BYTES = 512 * 1024
_INTERPOLATE = re.compile(
    r"\$\$|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)
_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class ComposeEnv:
    """The variables the compose file sets for the services of one side, and where."""

    side: str  # "before" or "after"
    env: Mapping[str, str]
    where: dict[str, str]  # variable -> "docker-compose.yml service test-before"


def read_compose_env(root: Path) -> tuple[ComposeEnv, ...]:
    """Return what the task's compose file sets for its before and after services (none without one).

    A compose file gtguard cannot read (bad YAML, not a mapping) gives nothing: the task's own
    tooling reports it, and a guess from a broken file would be worse than none.
    """
    path = next((root / name for name in COMPOSE_NAMES if (root / name).is_file()), None)
    if path is None:
        return ()
    data = _load(path)
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return ()
    project = _dotenv(root / ".env")
    found: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
    for name, service in services.items():
        if not isinstance(service, dict):
            continue
        side = _side_of(str(name), service)
        if side is None:
            continue
        env, where = found.setdefault(side, ({}, {}))
        for key, value in _service_env(root, service, project):
            if key not in env:  # the first service of a side wins (before, then test-before, ...)
                env[key] = value
                where[key] = f"{path.name} service {name}"
    return tuple(ComposeEnv(side, env, where) for side, (env, where) in sorted(found.items()))


def compose_images(root: Path) -> dict[str, str]:
    """Return ``{service: image}`` for the compose services that run a ready-made image (a database, a cache).

    These are what the tests reach over the network by the service's name (``host="db"``); a service
    that builds the task's own image is where the tests run, not what they reach.
    """
    path = next((root / name for name in COMPOSE_NAMES if (root / name).is_file()), None)
    data = _load(path, needs=("image",)) if path is not None else None
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return {}
    return {
        str(name): str(service["image"])
        for name, service in services.items()
        if isinstance(service, dict) and service.get("image") and "build" not in service
    }


def _load(path: Path, needs: tuple[str, ...] = ("environment", "env_file")) -> Any:
    try:
        if path.stat().st_size > _MAX_BYTES:
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if not any(word in text for word in needs):
        return None  # nothing to read: spare the YAML import (most compose files of real tasks set nothing)
    import importlib

    try:
        # Only for tasks with a compose file: keeps plugin import cheap. (By name: PyYAML ships no type stubs.)
        yaml: Any = importlib.import_module("yaml")
    except ImportError:  # pragma: no cover - a declared dependency; a broken install reads no compose file
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def _side_of(name: str, service: Mapping[str, Any]) -> str | None:
    """Return "before" or "after" for a service that runs one side, else None (both, or neither)."""
    words = {w.lower() for w in _WORD.findall(name)}
    by_name = {s for s in ("before", "after") if s in words}
    if len(by_name) == 1:
        return by_name.pop()
    command = service.get("command") or service.get("entrypoint") or ""
    text = " ".join(map(str, command)) if isinstance(command, list) else str(command)
    by_command = {s for s in ("before", "after") if f"repository_{s}" in text or f"--{s}" in text}
    if len(by_command) == 1:
        return by_command.pop()
    return None


def _service_env(root: Path, service: Mapping[str, Any], project: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    """Yield the service's variables: ``environment:`` first (it wins in compose), then its env files."""
    raw = service.get("environment")
    if isinstance(raw, dict):
        for key, value in raw.items():
            if value is not None:
                yield str(key), _interpolate(str(value), project)
    elif isinstance(raw, list):
        for item in raw:
            key, sep, value = str(item).partition("=")
            if sep:
                yield key.strip(), _interpolate(value, project)
    files = service.get("env_file")
    for entry in files if isinstance(files, list) else [files] if files else []:
        name = entry.get("path") if isinstance(entry, dict) else entry
        if isinstance(name, str):
            yield from _dotenv(root / name).items()


def _dotenv(path: Path) -> dict[str, str]:
    """Return the ``NAME=value`` lines of a .env file (comments, ``export`` and quotes handled)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {}
    values: dict[str, str] = {}
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        text = text.removeprefix("export ").strip()
        key, sep, value = text.partition("=")
        if not sep or not key.strip().isidentifier():
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key.strip()] = value
    return values


def _interpolate(value: str, project: Mapping[str, str]) -> str:
    """Expand ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}`` and ``$VAR`` from the project's .env."""

    def expand(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match["braced"] or match["bare"]
        got = project.get(name)
        op, arg = match["op"] or "", match["arg"] or ""
        if op in (":-", "-"):
            return got if got or (op == "-" and got is not None) else _interpolate(arg, project)
        if op in (":+", "+"):
            return _interpolate(arg, project) if got or (op == "+" and got is not None) else ""
        return got or ""

    return _INTERPOLATE.sub(expand, value)
