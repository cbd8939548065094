"""Fork pytest runs from one interpreter per hash seed: ``python -m pytest_gtguard.split.zygote``.

The hash seed is fixed when an interpreter starts, so each seed needs its own process; but importing
pytest is most of a small suite's run time (0.16 s of 0.3 s here). The zygote starts with the run's
PYTHONHASHSEED, imports pytest and gtguard's own per-run modules and nothing of the user's, freezes
that heap (``gc.freeze``: the children's collections skip it), then forks one child per run it is
sent. Each child is a clean interpreter as far as the task is concerned: no task module, conftest or
sys.path entry of it is loaded before the fork. Third-party pytest plugins are not preloaded: pytest
marks their modules for assertion rewriting and warns when they are already imported (an error under
``filterwarnings = error``), so each child imports them itself, exactly as a plain run does.

Protocol (one JSON object per line, both ways):

- out ``{"ready": true}`` once the preload is done;
- in ``{"id", "argv", "stdout", "stderr"}``: fork a child running ``pytest.main(argv)`` with its
  output in those files; out ``{"started": id, "pid": pid}``;
- out ``{"done": id, "code": exit code, "duration": seconds}`` when that child ends;
- end of input: wait for the running children, then exit.

The parent (``split.pool``) decides when each run starts, so only as many children as it allows run at
once. Linux and macOS only (os.fork).
"""

from __future__ import annotations

import gc
import json
import os
import select
import sys
import time
from typing import Any

__all__ = ["main"]

# What every run imports after the fork; paid once per hash seed instead of once per run.
_PRELOAD = (
    "pytest",
    "pytest_gtguard.plugin",
    "pytest_gtguard.side.conventions",
    "pytest_gtguard.side.imports",
    "pytest_gtguard.split.channel",
    "pytest_gtguard.checks.session",
)
_POLL = 0.01  # seconds between checks for ended children while input is quiet


def _preload() -> None:
    import importlib

    for name in _PRELOAD:
        importlib.import_module(name)
    from _pytest.config import default_plugins

    for name in default_plugins:  # pytest's own plugins, imported by every run's config
        importlib.import_module(f"_pytest.{name}")
    gc.collect()
    gc.freeze()  # the children's collections (pytest runs several at exit) skip the preloaded heap


def _child(run: dict[str, Any]) -> int:
    os.setpgid(0, 0)  # a group of its own: a timeout kills the run and whatever it started, not its siblings
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


def _say(message: dict[str, Any]) -> None:
    os.write(1, (json.dumps(message) + "\n").encode())


def main() -> None:
    """Preload, then fork a child per line of input until input ends and every child has ended."""
    _preload()
    _say({"ready": True})
    running: dict[int, tuple[int, float]] = {}  # pid -> (run id, start)
    pending, reading = b"", True
    while reading or running:
        if reading and select.select([0], [], [], _POLL if running else None)[0]:
            chunk = os.read(0, 65536)
            reading = bool(chunk)
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                if line.strip():
                    run = json.loads(line)
                    pid = _fork(run)
                    running[pid] = (run["id"], time.perf_counter())
                    _say({"started": run["id"], "pid": pid})
        # Without more input to wait for, block until a child ends; otherwise only look.
        while running:
            pid, status = os.waitpid(-1, 0 if not reading else os.WNOHANG)
            if pid == 0:
                break
            run_id, start = running.pop(pid)
            _say({"done": run_id, "code": os.waitstatus_to_exitcode(status), "duration": time.perf_counter() - start})


if __name__ == "__main__":
    main()
