"""Fork pytest runs from one interpreter per hash seed: ``python -m pytest_gtguard.split.zygote``.

The hash seed is fixed when an interpreter starts, so each seed needs its own process; but importing
pytest is most of a small suite's run time (0.16 s of 0.3 s here). The zygote starts with the run's
PYTHONHASHSEED, imports pytest, its plugins and gtguard's per-run modules and nothing of the user's, freezes
that heap (``gc.freeze``: the children's collections skip it), then forks one child per run it is
sent. Each child is a clean interpreter as far as the task is concerned: no task module, conftest or
sys.path entry of it is loaded before the fork.

Plugins are imported through pytest's assertion-rewriting hook, as each run would import them
(``_preload_plugins``), so a run finds them already loaded and warns about nothing.

Command line: entry point names of plugins not to preload (the runs' ``-p no:NAME``).
Protocol (one JSON object per line, both ways):

- out ``{"ready": true}`` once the preload is done;
- in ``{"id", "argv", "stdout", "stderr"}``: fork a child running ``pytest.main(argv)`` with its
  output in those files; out ``{"started": id, "pid": pid}``;
- out ``{"done": id, "code": exit code, "duration": seconds}`` when that child ends;
- end of input: exit; children still running then mean the parent died (it ends the input only
  once every run it started has ended or been killed), so they are killed.

The parent (``split.pool``) decides when each run starts, so only as many children as it allows run at
once. Linux and macOS only (os.fork).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import select
import signal
import sys
import time
from importlib import metadata
from typing import Any

__all__ = ["LATE_IMPORTS", "main"]

# What every run imports after the fork; paid once per hash seed instead of once per run.
_PRELOAD = (
    "pytest",
    "pytest_gtguard.plugin",
    "pytest_gtguard.side.conventions",
    "pytest_gtguard.side.imports",
    "pytest_gtguard.split.channel",
    "pytest_gtguard.checks.session",
)
# Modules a plugin imports late in every run whatever the task (hypothesis's terminal summary imports
# hypothesis itself: ~0.1 s a run), keyed by the plugin's entry point name.
LATE_IMPORTS = {"hypothesispytest": ("hypothesis.internal.observability",)}
_POLL = 0.01  # seconds between checks for ended children while input is quiet


def _preload(blocked: frozenset[str]) -> None:
    for name in _PRELOAD:
        importlib.import_module(name)
    from _pytest.config import default_plugins

    for name in default_plugins:  # pytest's own plugins, imported by every run's config
        importlib.import_module(f"_pytest.{name}")
    if "*" not in blocked and not os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        _preload_plugins(blocked)
    gc.collect()
    gc.freeze()  # the children's collections (pytest runs several at exit) skip the preloaded heap


def _preload_plugins(blocked: frozenset[str]) -> None:
    """Import the installed pytest plugins the way every run imports them.

    That is: through pytest's assertion-rewriting hook, their distributions marked for rewriting. A
    plugin imported any other way makes each run warn "Module already imported so cannot be rewritten" (an error under
    ``filterwarnings = error``); one imported through the hook is what pytest expects to find.

    This uses two pytest internals (``install_importhook``, ``Config._mark_plugins_for_rewrite``); if
    they change, nothing is preloaded and each run imports its plugins itself, as before.
    """
    try:
        from _pytest.assertion import install_importhook
        from _pytest.config import get_config
    except ImportError:
        return
    config = get_config()  # pytest's builtin plugins only: no ini file, no conftest, nothing of the task
    try:
        hook = install_importhook(config)
        config._mark_plugins_for_rewrite(hook, False)
        for entry in metadata.entry_points(group="pytest11"):
            if entry.name in blocked or entry.value.startswith("pytest_gtguard"):
                continue
            try:
                entry.load()
            except Exception:  # a broken plugin fails in the run, where pytest reports it properly
                continue
            for name in LATE_IMPORTS.get(entry.name, ()):
                with contextlib.suppress(Exception):
                    importlib.import_module(name)
    except Exception:  # pytest internals changed: the runs import their plugins themselves
        pass
    finally:
        config._ensure_unconfigure()  # removes the hook from sys.meta_path again


def _child(run: dict[str, Any]) -> int:
    os.setpgid(0, 0)  # a group of its own: a timeout kills the run and whatever it started, not its siblings
    if _channel != 1:
        os.close(_channel)  # a run must not write on the channel, nor keep it open after the zygote
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # the zygote's stdin carries commands; a test reading stdin must not eat them
    os.close(null)
    for fd, path in ((1, run["stdout"]), (2, run["stderr"])):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    import pytest

    return int(pytest.main(list(run["argv"])))


def _fork(run: dict[str, Any]) -> int:
    pid = os.fork()
    if pid == 0:  # the child: never return into the zygote's loop
        code = 3  # pytest's "internal error", if pytest.main itself raises
        try:
            code = _child(run)
        except BaseException:
            import traceback

            traceback.print_exc()  # into the run's stderr file: the parent reports it
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return pid


_channel = 1  # the fd messages go out on: stdout at first, a private copy once ``main`` has moved it


def _say(message: dict[str, Any]) -> None:
    os.write(_channel, (json.dumps(message) + "\n").encode())


def main(argv: list[str] | None = None) -> None:
    """Preload, then fork a child per line of input until input ends and every child has ended.

    ``argv``: entry point names of plugins the runs block (``-p no:NAME``), not to preload; ``*``
    (the runs disable plugin autoloading) preloads none.
    """
    global _channel
    blocked = frozenset(sys.argv[1:] if argv is None else argv)
    # Messages get a private fd; what preloaded code prints goes where stderr goes, not into them.
    _channel = os.dup(1)
    os.dup2(2, 1)
    _preload(blocked)
    running: dict[int, tuple[int, float]] = {}  # pid -> (run id, start)
    try:
        _say({"ready": True})
        _serve(running)
    except BrokenPipeError:  # the parent is gone mid-split: its runs are of no use to anyone
        _abandon(running)


def _serve(running: dict[int, tuple[int, float]]) -> None:
    pending = b""
    while True:
        if select.select([0], [], [], _POLL if running else None)[0]:
            chunk = os.read(0, 65536)
            if not chunk:
                # The parent ends the input only when every run it started has ended, or after it
                # killed them; a run still going means the parent died: no one wants its result.
                _abandon(running)
                return
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                if line.strip():
                    run = json.loads(line)
                    pid = _fork(run)
                    running[pid] = (run["id"], time.perf_counter())
                    _say({"started": run["id"], "pid": pid})
        while running:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            run_id, start = running.pop(pid)
            _say({"done": run_id, "code": os.waitstatus_to_exitcode(status), "duration": time.perf_counter() - start})


def _abandon(running: dict[int, tuple[int, float]]) -> None:
    """Kill the running children (and what they started) and reap them."""
    for pid in running:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    for pid in running:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    running.clear()


if __name__ == "__main__":
    main()
    # Nothing is left to flush (messages go out with os.write): skip the interpreter's teardown, which
    # the parent would otherwise wait for.
    os._exit(0)
