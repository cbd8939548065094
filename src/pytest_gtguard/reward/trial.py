"""One trial: build a candidate's workspace, run pytest in the sandbox, and gather the facts.

The pytest command is pinned so that nothing the candidate ships can steer it: the judge's own
``sys.path`` is passed explicitly, and where the run could write to the Python environment (the
process level without a uid of its own) the interpreter starts with ``-S``, so a ``.pth`` file or
``sitecustomize`` planted by an earlier candidate never runs (elsewhere site start-up stays on:
editable installs register import hooks there); ``-B``; ini file, rootdir and confcutdir are the
trusted copy's; plugin autoload is off and the installed plugins, read once before any candidate
ran, are named in ``PYTEST_PLUGINS``, the reporter first; the candidate's path is never a
positional argument (``--after`` with the candidate standing in ``repository_after/``); the
environment is built from nothing.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import secrets
import shutil
import stat
import sys
import tempfile
from collections.abc import Mapping, Sequence
from importlib.metadata import entry_points
from pathlib import Path

from pytest_gtguard.reward import sandbox, tripwires, workspace
from pytest_gtguard.reward.channel import Channel, parse_records
from pytest_gtguard.reward.model import Isolation, Signal
from pytest_gtguard.reward.verdict import RunFacts
from pytest_gtguard.reward.workspace import TaskFiles, Workspace

__all__ = ["REPORTER", "pytest_argv", "run_trial"]

REPORTER = "pytest_gtguard.reward.inside.reporter"
_SKIPPED_PLUGINS = frozenset({"randomly"})  # reorders tests at random: canaries' baselines need one order
_MASK = "<workspace>"


@functools.lru_cache(maxsize=1)
def installed_plugins() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the pytest11 plugins installed now (read before any candidate has run).

    Returns (modules, names): plugin modules to name in ``PYTEST_PLUGINS``, and the entry-point names
    of the few plugins that are not a plain module, for ``-p``. ``PYTEST_PLUGINS`` imports a module
    directly, where each ``-p NAME`` makes pytest scan every installed distribution's metadata
    (10-15 ms apiece on every graded run).
    """
    found = [ep for ep in entry_points(group="pytest11") if ep.name not in _SKIPPED_PLUGINS]
    modules = sorted({ep.value for ep in found if ":" not in ep.value})
    names = sorted({ep.name for ep in found if ":" in ep.value})
    return tuple(modules), tuple(names)


@functools.lru_cache(maxsize=1)
def _trusted_path() -> tuple[str, ...]:
    """Return the judge's import path, taken once: site folders and what their .pth files added."""
    return tuple(p for p in sys.path if p and os.path.isabs(p) and os.path.isdir(p))


def pytest_argv(ws: Workspace, isolation: Isolation) -> list[str]:
    """Return the pinned pytest command for ``ws``."""
    writable_env = isolation is Isolation.PROCESS and not sandbox.can_drop_privileges()
    # sys.executable as it is, not its realpath: a virtualenv's python is a symlink, and resolving it
    # would run the base interpreter with another sys.prefix and other site-packages.
    argv = [sys.executable, *(["-S"] if writable_env else []), "-B", "-m", "pytest"]
    argv += ["-c", str(ws.ini), "--rootdir", str(ws.task), "--confcutdir", str(ws.task)]
    argv += ["-p", "no:cacheprovider", "-p", "no:randomly"]
    for name in installed_plugins()[1]:
        argv += ["-p", name]
    argv += ["--gtguard-task", str(ws.task), "--after", "-q", "--no-header", "--tb=short"]
    # A module that cannot import must not hide the others' outcomes from the candidate's feedback.
    argv += ["--continue-on-collection-errors", ws.tests.name]
    return argv


def _env(ws: Workspace, conf: Mapping[str, object], token: str, hidden: Sequence[Path]) -> dict[str, str]:
    path = [p for p in _trusted_path() if not any(Path(p) == h or h in Path(p).parents for h in hidden)]
    return {
        "PATH": os.pathsep.join(dict.fromkeys([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"])),
        "HOME": str(ws.scratch / "home"),
        "TMPDIR": str(ws.scratch / "tmp"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONPATH": os.pathsep.join(path),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        # The reporter first, so its baseline is taken before any other plugin or conftest is imported.
        "PYTEST_PLUGINS": ",".join([REPORTER, *installed_plugins()[0]]),
        "GTGUARD_GRADE": json.dumps(conf),
        "GTGUARD_RUN_TOKEN": token,
    }


def run_trial(
    files: TaskFiles,
    tree: Path,
    sources: Mapping[str, str],
    isolation: Isolation,
    limits: sandbox.Limits,
    hidden: Sequence[Path],
) -> tuple[RunFacts, list[Signal]]:
    """Run the task's tests (with ``sources`` replacing test files) against ``tree`` in a sandbox."""
    root = Path(tempfile.mkdtemp(prefix="gtguard-ws-"))
    try:
        ws, copied = workspace.build(files, tree, root / "ws", tests=sources)
        static = tripwires.scan(ws.candidate)
        static += [Signal("outside-link", f"{link} (dropped)") for link in copied.outside_links]
        if copied.bytecode:
            static.append(
                Signal("bytecode-shipped", f"{len(copied.bytecode)} file(s), e.g. {copied.bytecode[0]} (dropped)")
            )
        trusted = workspace.tree_digest(ws.root, raw=True, skip=("task/repository_after/", "scratch/"))
        env_before = tripwires.env_snapshot() if isolation is Isolation.PROCESS else ""
        channel = Channel()
        nonce, token = secrets.token_hex(16), secrets.token_hex(16)
        protect = [str(ws.tests), *(str(p) for p in tripwires.site_dirs())]
        conf = {
            "fd": channel.write_fd,
            "nonce": nonce,
            "candidate": str(ws.candidate),
            "tests": str(ws.tests),
            "protect": protect,
            "forbidden": [_hash(p) for p in hidden] if isolation is Isolation.PROCESS else [],
            "pidns": isolation is Isolation.NAMESPACES,
        }
        run = sandbox.Launch(
            argv=pytest_argv(ws, isolation),
            cwd=ws.task,
            env=_env(ws, conf, token, hidden),
            readonly=ws.readonly,
            writable=ws.writable,
            hidden=hidden,
            pass_fds=(channel.write_fd,),
            limits=limits,
            token=token,
        )
        try:
            finished = sandbox.run(run, isolation)
        finally:
            data = channel.collect()
        observed = parse_records(data.replace(str(ws.root).encode(), _MASK.encode()), nonce)
        facts = RunFacts(
            observed=observed,
            finished=finished,
            tests_dir=Path(_MASK) / "task" / ws.tests.name,
            tests_changed=workspace.tree_digest(ws.root, raw=True, skip=("task/repository_after/", "scratch/"))
            != trusted,
            env_changed=bool(env_before) and tripwires.env_snapshot() != env_before,
        )
        return facts, static
    finally:
        _remove(root)


def _hash(path: Path) -> str:
    return hashlib.sha256(os.path.realpath(path).encode()).hexdigest()


def _remove(root: Path) -> None:
    def retry(func: object, path: str, _exc: object) -> None:
        try:
            os.chmod(os.path.dirname(path), stat.S_IRWXU)
            os.chmod(path, stat.S_IRWXU)
        except OSError:
            return
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)

    if sys.version_info >= (3, 12):
        shutil.rmtree(root, onexc=retry)
    else:  # onexc is 3.12+, and onerror is deprecated there
        shutil.rmtree(root, onerror=retry)
