"""``gtguard split [TASK_DIR] [-- PYTEST_ARGS]``: the split outside a pytest command line."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_gtguard.errors import ConfigError
from pytest_gtguard.settings import Kind, add_argparse_options, resolve
from pytest_gtguard.side.task import Task
from pytest_gtguard.split.config import (
    SplitConfig,
    check_pytest_args,
    check_sides,
    check_tests,
    cli_neighbour_args,
    runs_at_once,
)
from pytest_gtguard.split.options import CHANNEL_OPTIONS, SPLIT_OPTIONS
from pytest_gtguard.split.render import progress_line, summary_lines
from pytest_gtguard.split.session import run_split
from pytest_gtguard.split.verdict import ExitCode
from pytest_gtguard.task import taskdir
from pytest_gtguard.task.ini import read_ini
from pytest_gtguard.task.taskdir import add_task_dir

__all__ = ["add_arguments", "run"]

_OPTIONS = tuple(opt for opt in SPLIT_OPTIONS if opt.dest not in CHANNEL_OPTIONS)
_COLORS = {"red": "31", "green": "32", "yellow": "33", "bold": "1"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the ``split`` subcommand's arguments (the same table as the pytest options)."""
    add_task_dir(parser)
    # nargs="*" rather than REMAINDER: REMAINDER swallowed the split's own options written after TASK_DIR.
    parser.add_argument(
        "pytest_args", nargs="*", metavar="PYTEST_ARGS", help="Arguments for every pytest run, after --"
    )
    add_argparse_options(parser, _OPTIONS)


def run(ns: argparse.Namespace) -> int:
    """Run the split for the parsed ``ns``; return the documented exit code."""
    try:
        source = taskdir.where(ns.task)
        task = Task.at(taskdir.task_dir(ns.task).resolve(), where=source)
        check_sides(task, where=source)
        # Every value is checked (settings.BOUNDS) before anything runs: a bad one is a usage error.
        values = {
            o.dest: resolve(o, cli=ns, environ=os.environ, getini=_task_ini(task.root), base=task.root).value
            for o in _OPTIONS
        }
        args = [a for a in ns.pytest_args if a != "--"]
        named = [a for a in args if not a.startswith("-") and (task.root / a.split("::")[0]).exists()]
        check_tests(task, named, example=f"gtguard split {ns.task or 'TASK_DIR'} -- path/to/tests")
        addopts = shlex.split(read_ini(task.root, "addopts") or "")
        given = cli_neighbour_args(args, addopts, jobs=values["gtguard_jobs"], environ=os.environ)
        jobs_at_once, jobs_note = runs_at_once(given.jobs, task.root)
        cfg = SplitConfig(
            task=task,
            args=given.args,
            cwd=task.root,
            runs=values["gtguard_runs"],
            seed=values["gtguard_seed"],
            jobs=jobs_at_once,
            timeout=values["gtguard_run_timeout"],
            expect_f2p=values["gtguard_expect_f2p"],
            instance_path=values["gtguard_instance"],
            update_instance=values["gtguard_update_instance"],
            report_path=values["gtguard_report"],
            randomly=given.randomly,
            notes=given.notes + jobs_note,
        )
        check_pytest_args(cfg, os.environ, where="-- PYTEST_ARGS")
        for note in cfg.notes:  # what the split did with xdist, pytest-cov and pytest-randomly options
            print(note, flush=True)
        result = run_split(cfg, env=os.environ, progress=lambda o: print(progress_line(o), flush=True))
    except ConfigError as exc:
        print(f"gtguard split: error: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE_ERROR)
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    for text, markup in summary_lines(result, update_instance=cfg.update_instance):
        print(_paint(text, markup) if color else text)
    return int(result.exit_code)


def _task_ini(root: Path) -> Callable[[str], Any]:
    """Return a getini that reads the task's own pytest configuration, as ``pytest --before --after`` does."""
    lists = {o.ini for o in _OPTIONS if o.kind is Kind.ARGS}

    def getini(name: str) -> Any:
        raw = read_ini(root, name)
        return shlex.split(raw) if raw is not None and name in lists else raw

    return getini


def _paint(text: str, markup: dict[str, bool]) -> str:
    codes = ";".join(_COLORS[k] for k, on in markup.items() if on and k in _COLORS)
    return f"\033[{codes}m{text}\033[0m" if codes else text
