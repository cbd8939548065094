"""argparse glue for ``gtguard grade``: options in, one line (or one JSON object) per candidate out."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pytest_gtguard.errors import ConfigError
from pytest_gtguard.reward.grader import GradeOptions, TaskNotGradable, iter_grades
from pytest_gtguard.reward.model import Isolation, Status
from pytest_gtguard.reward.sandbox import SandboxUnavailable
from pytest_gtguard.task.taskdir import add_task_dir, grade_paths

__all__ = ["GRADER_UNAVAILABLE", "add_parser", "run"]

GRADER_UNAVAILABLE = 7  # the grader could not run: no sandbox at the level asked for, or an ungradable task


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
    return value


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _reward(text: str) -> tuple[Status, float]:
    name, _, number = text.partition("=")
    try:
        return Status(name.strip()), float(number)
    except ValueError:
        known = ", ".join(s.value for s in Status)
        raise argparse.ArgumentTypeError(f"{text!r} is not STATUS=NUMBER with STATUS one of {known}") from None


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``grade`` subcommand to ``sub`` and return its parser."""
    p = sub.add_parser(
        "grade",
        help="Reward candidate solutions: +1 only for a real, untampered pass",
        description="Run the task's tests against each candidate in its own sandboxed workspace and print "
        "its reward, status and signals. Candidate code never runs in the process that decides.",
    )
    add_task_dir(p)
    p.add_argument(
        "candidates",
        nargs="+",
        metavar="CANDIDATE",
        help="A folder laid out like repository_after/, or a .patch/.diff against repository_before",
    )
    p.add_argument("--json", action="store_true", help="Print one JSON object per candidate per line")
    p.add_argument("--timeout", type=_positive, default=600.0, metavar="SECONDS", help="Time limit per candidate")
    p.add_argument("--jobs", type=_jobs, default=1, metavar="N", help="Candidates graded at once")
    p.add_argument("--tests", metavar="DIR", help="Hidden tests kept outside the task, used in place of tests/")
    p.add_argument(
        "--isolation",
        choices=["auto", *(i.value for i in Isolation)],
        default="auto",
        help="namespaces (bubblewrap) or process; auto takes the strongest this machine allows",
    )
    p.add_argument("--memory-mb", type=int, default=8192, metavar="MB", help="Address-space limit of a run")
    p.add_argument("--no-cache", action="store_true", help="Rerun the ground truth instead of using the cache")
    p.add_argument(
        "--reward",
        type=_reward,
        action="append",
        default=[],
        metavar="STATUS=NUMBER",
        help="Reward of a status, e.g. unresolved=0 (repeatable; default: resolved=1, every other status -1)",
    )
    parser: argparse.ArgumentParser = p
    return parser


def run(args: argparse.Namespace) -> int:
    """Grade every candidate; return 0 when all were graded, whatever their rewards."""
    task, labels = grade_paths(args.task, args.candidates)  # with $GTGUARD_TASK, TASK_DIR may be left out
    candidates = [Path(c) for c in labels]
    options = GradeOptions(
        timeout=args.timeout,
        tests=Path(args.tests) if args.tests else None,
        isolation=args.isolation,
        jobs=args.jobs,
        memory_mb=args.memory_mb,
        use_cache=not args.no_cache,
        rewards=dict(args.reward) or None,
    )
    try:
        # Each line is printed as soon as its candidate is graded: a long batch that dies loses nothing done.
        for item in iter_grades(task, candidates, labels=labels, options=options):
            print(json.dumps(item.to_json()) if args.json else item.line(), flush=True)
    except (SandboxUnavailable, TaskNotGradable) as exc:
        print(f"gtguard grade: error: {exc}", file=sys.stderr)
        return GRADER_UNAVAILABLE
    except ConfigError:
        raise  # the CLI prints it as a usage error
    return 0
