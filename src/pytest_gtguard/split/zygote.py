"""Fork pytest runs from one interpreter per hash seed: ``python -m pytest_gtguard.split.zygote``.

The hash seed is fixed when an interpreter starts, so each seed needs its own process; but importing
pytest and its plugins is most of a small suite's run time (0.21 s of 0.32 s here). The zygote starts
with the run's PYTHONHASHSEED, imports pytest and the installed pytest11 plugins and nothing of the
user's, then forks one child per side. Each child is a clean interpreter as far as the task is
concerned (no task module, conftest or sys.path entry of it is loaded before the fork).

Protocol: a JSON list of runs on stdin ({"argv", "stdout", "stderr"}); on stdout one JSON object
{"codes": [...], "durations": [...]} when every child has ended. Linux and macOS only (os.fork).
"""

from __future__ import annotations

import json
import os
import sys
import time
from importlib import metadata
from typing import Any

__all__ = ["main"]


def _preload() -> None:
    import pytest  # noqa: F401  # the point of the zygote: paid once per hash seed

    for entry in metadata.entry_points(group="pytest11"):
        try:
            entry.load()
        except Exception:  # a broken plugin fails in the child, where pytest reports it properly
            continue


def _child(run: dict[str, Any]) -> int:
    import pytest

    for fd, path in ((1, run["stdout"]), (2, run["stderr"])):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    code = int(pytest.main(list(run["argv"])))
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def main() -> None:
    """Read the runs, fork them all, wait, and report their exit codes and durations."""
    runs: list[dict[str, Any]] = json.load(sys.stdin)
    _preload()
    started: dict[int, tuple[int, float]] = {}
    for index, run in enumerate(runs):
        pid = os.fork()
        if pid == 0:  # the child: never return into the zygote's code
            code = 3
            try:
                code = _child(run)
            finally:
                os._exit(code)
        started[pid] = (index, time.perf_counter())
    codes, durations = [0] * len(runs), [0.0] * len(runs)
    while started:
        pid, status = os.wait()
        index, start = started.pop(pid)
        codes[index] = os.waitstatus_to_exitcode(status)
        durations[index] = time.perf_counter() - start
    json.dump({"codes": codes, "durations": durations}, sys.stdout)


if __name__ == "__main__":
    main()
