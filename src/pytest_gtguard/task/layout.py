"""Layout checks: required folders and files, placeholder-only trees, stray solution copies, committed caches.

``submitted_files`` lists what a submission contains: inside a git work tree, the tracked and
untracked-but-not-ignored files (so a local ``__pycache__`` that .gitignore covers is not reported);
elsewhere (a downloaded archive), every file on disk, because an archive holds exactly what was committed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from pytest_gtguard.task.findings import Finding, Severity

__all__ = ["REQUIRED_DIRS", "REQUIRED_FILES", "check_layout", "submitted_files"]

REQUIRED_DIRS = (
    "repository_before",
    "repository_after",
    "tests",
    "evaluation",
    "instances",
    "patches",
    "trajectory",
)
REQUIRED_FILES = ("README.md", "Dockerfile", "trajectory/trajectory.md")
COMPOSE_NAMES = ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")
MAKEFILE_NAMES = ("Makefile", "makefile", "GNUmakefile")
_KEEP_FILES = frozenset({".gitkeep", ".keep", ".gitignore", ".DS_Store"})
_CACHE_DIRS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "node_modules", ".venv"})
_REPORT_DIR = re.compile(r"^evaluation/(?:.*/)?(20\d\d-\d\d-\d\d)[^/]*/")
_COMPANIONS = frozenset({"report.html", "report-perf.html"})  # the split's pages beside report.json
_REPORT_FILE = re.compile(r"^evaluation/(?:.*/)?[^/]*report[^/]*\.json$", re.IGNORECASE)
_ROOT_SOURCE = (".py", ".js", ".ts", ".go", ".java", ".rs", ".cs")
_ROOT_ALLOWED = frozenset(
    {
        "conftest.py",
        "setup.py",
        "noxfile.py",
        "manage.py",
        "jest.config.js",
        "babel.config.js",
        "vitest.config.ts",
        "jest.config.ts",
        "eslint.config.js",
        "tsconfig.json",
    }
)


def submitted_files(root: Path, *, use_git: bool = True) -> list[str]:
    """Return the posix paths (relative to ``root``) a submission of the task holds."""
    if use_git and shutil.which("git") is not None:
        proc = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            timeout=120,
            check=False,
        )
        inside = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--is-inside-work-tree"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        if proc.returncode == 0 and inside.stdout.strip() == b"true":
            names = [n for n in proc.stdout.decode("utf-8", "replace").split("\0") if n]
            return sorted(n for n in names if (root / n).exists() or (root / n).is_symlink())
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        base = Path(folder).relative_to(root)
        found.extend((base / name).as_posix() for name in files)
    return sorted(found)


def check_layout(root: Path, files: list[str]) -> Iterator[Finding]:
    """Yield findings about the task's folder structure, placeholder trees, strays, caches and reports."""
    yield from _required(root)
    yield from _placeholder_trees(root, files)
    yield from _strays(root, files)
    yield from _caches(root, files)


def _required(root: Path) -> Iterator[Finding]:
    for name in REQUIRED_DIRS:
        path = root / name
        if not path.is_dir() and (path.is_symlink() or path.exists()):  # the runs refuse it too (side/task.py)
            what = "a file" if path.exists() else f"a symbolic link to {os.readlink(path)}, which does not exist"
            yield Finding(
                "GT001",
                Severity.ERROR,
                f"{name}/",
                f"{name} is {what}, not a folder",
                f"replace it with the {name}/ folder",
            )
        # A greenfield task may leave repository_before/ out: the runtime treats a missing side as empty.
        elif name != "repository_before" and not path.is_dir():
            yield Finding(
                "GT001",
                Severity.ERROR,
                f"{name}/",
                f"required folder {name}/ is missing",
                f"create {name}/; `gtguard init` shows the expected layout",
            )
    for name in REQUIRED_FILES:
        if not _exists_nocase(root, name):
            yield Finding(
                "GT001",
                Severity.ERROR,
                name,
                f"required file {name} is missing",
                f"add {name}; `gtguard init NAME` writes a template",
            )
    if not any((root / n).is_file() for n in (*COMPOSE_NAMES, *MAKEFILE_NAMES)):
        yield Finding(
            "GT003",
            Severity.ERROR,
            ".",
            "no docker-compose.yml, compose.yml or Makefile",
            "add a docker-compose.yml with before, after and evaluation services (see `gtguard init`)",
        )


def _exists_nocase(root: Path, name: str) -> bool:
    if (root / name).is_file():
        return True
    parent = (root / name).parent
    return parent.is_dir() and any(p.name.lower() == Path(name).name.lower() for p in parent.iterdir())


def _placeholder_trees(root: Path, files: list[str]) -> Iterator[Finding]:
    what = {"repository_after": "the ground-truth solution", "tests": "the tests (the reward function)"}
    for folder, content in what.items():
        if not (root / folder).is_dir():
            continue
        inside = [f for f in files if f.startswith(folder + "/")]
        real = [f for f in inside if Path(f).name not in _KEEP_FILES and not _is_cache(f)]
        if not real:
            reason = "holds only .gitkeep" if inside else "is empty"
            yield Finding("GT002", Severity.TODO, f"{folder}/", f"{folder}/ {reason}", f"write {content} there")


def _strays(root: Path, files: list[str]) -> Iterator[Finding]:
    side_names: dict[str, str] = {}
    for f in files:
        parts = f.split("/")
        if parts[0] in ("repository_before", "repository_after") and len(parts) > 1 and parts[-1] != "__init__.py":
            side_names.setdefault(parts[-1], f)
            if len(parts) > 2:  # a package folder in the side
                side_names.setdefault(parts[1] + "/", "/".join(parts[:2]) + "/")
    root_entries = {f.split("/")[0] + ("/" if "/" in f else "") for f in files}
    for entry in sorted(root_entries):
        name = entry.rstrip("/")
        if name in _ROOT_ALLOWED or name in REQUIRED_DIRS or name.startswith("."):
            continue
        twin = side_names.get(entry)
        if twin is None:
            continue
        if entry.endswith("/"):
            if not any(f.startswith(entry) and f.endswith(".py") for f in files):
                continue
        elif not name.endswith(_ROOT_SOURCE) or (not name.endswith(".py") and not _same(root / name, root / twin)):
            continue
        yield Finding(
            "GT401",
            Severity.ERROR,
            entry,
            f"{entry} at the task root has the name of {twin}: pytest's "
            "rootdir insertion can import it instead of the side under test, so before passes",
            f"delete {entry} from the task root (the solution belongs in repository_after/)",
        )


def _same(a: Path, b: Path) -> bool:
    try:
        return a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def _is_cache(path: str) -> bool:
    return any(part in _CACHE_DIRS for part in path.split("/")) or path.endswith((".pyc", ".pyo"))


def _caches(root: Path, files: list[str]) -> Iterator[Finding]:
    seen: set[str] = set()
    own = _own_reports(root, files)
    tops: dict[str, str] = {}  # the cache folder (or file) -> its cache part's name
    for f in files:
        if _is_cache(f):
            parts = f.split("/")
            cut = next((i for i, p in enumerate(parts) if p in _CACHE_DIRS), len(parts) - 1)
            tops.setdefault("/".join(parts[: cut + 1]) + ("/" if cut < len(parts) - 1 else ""), parts[cut])
    # Committed caches are an error; a cache no commit holds (untracked, or outside a git work tree where
    # nothing tells them apart) is what running the tests here writes, so it is only a warning (issue 16).
    tracked = _tracked(root, sorted(tops)) if tops else set()
    for top, name in tops.items():
        if any(t == top or t.startswith(top) for t in tracked):
            yield Finding(
                "GT402",
                Severity.ERROR,
                top,
                f"{top} is a cache or build artefact git tracks; a submission must not include it",
                f"git rm -r --cached {top} and add {name} to .gitignore",
            )
        else:
            yield Finding(
                "GT402",
                Severity.WARNING,
                top,
                f"{top} is a cache or build artefact (written by a local run, or packaged with the task: "
                "nothing here tells which); a submission must not include it",
                f"delete {top} before packaging the task, and add {name} to .gitignore",
            )
    for f in files:
        if _is_cache(f):
            continue
        match = _REPORT_DIR.match(f)
        if match:
            top = f[: match.end()]
            if top in own:
                continue
            if top not in seen:
                seen.add(top)
                yield Finding(
                    "GT403",
                    Severity.WARNING,
                    top,
                    f"{top} is a generated evaluation report; a submission must not include it",
                    f"git rm -r --cached {top} and add evaluation/20*/ to .gitignore",
                )
        elif _REPORT_FILE.match(f) and f not in seen and f not in own:
            seen.add(f)
            yield Finding(
                "GT403",
                Severity.WARNING,
                f,
                f"{f} is a generated evaluation report; a submission must not include it",
                f"git rm --cached {f} and add it to .gitignore",
            )


def _own_reports(root: Path, files: list[str]) -> set[str]:
    """Return the report folders and files gtguard's own runs wrote and git does not track.

    ``pytest --before --after`` and ``pytest --meta`` write evaluation/DATE/TIME/report.json, so a task
    validated after the documented workflow holds one: it is this machine's output, not part of the
    submission, until someone commits it (then GT403 stands). Outside a git work tree nothing tells a
    local run from a committed file; gtguard's own reports are left out there too.
    """
    candidates: dict[str, str] = {}
    for f in files:
        if f.endswith("report.json") and (_REPORT_DIR.match(f) or _REPORT_FILE.match(f)):
            match = _REPORT_DIR.match(f)
            candidates[f] = f[: match.end()] if match else f
    own = {f: key for f, key in candidates.items() if _written_by_gtguard(root / f)}
    if not own:
        return set()
    tracked = _tracked(root, sorted(own))
    keys = {key for f, key in own.items() if f not in tracked}
    # A folder counts as ours only when every file in it is an untracked gtguard output: report.json, the pages
    # written beside it (report.html, report-perf.html) and meta/.
    beside = {f.rpartition("/")[0] + "/" + name for f in own for name in _COMPANIONS}
    return {
        key
        for key in keys
        if not key.endswith("/")
        or all(f in own or f in beside or f.startswith(key + "meta/") for f in files if f.startswith(key))
    }


def _written_by_gtguard(path: Path) -> bool:
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("tool") == "pytest-gtguard"


def _tracked(root: Path, paths: list[str]) -> set[str]:
    """Return which of ``paths`` git tracks in ``root`` (none outside a work tree or without git)."""
    if shutil.which("git") is None:
        return set()
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--", *paths],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return set()
    if proc.returncode != 0:
        return set()
    return {n for n in proc.stdout.decode("utf-8", "replace").split("\0") if n}
