"""The ``gtguard`` command: validate, patch, init and calibrate a task repository through its whole life.

Imports pure modules only (never a ``plugin.py``), so it starts fast and works without a pytest run.
Exit codes follow pytest's where they overlap (0 ok, 1 findings, 2 interrupted, 3 internal error,
4 usage error); see ``ExitCode``.
"""

from __future__ import annotations

import argparse
import difflib
import enum
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from pytest_gtguard import __version__
from pytest_gtguard.batch import command as batch_command
from pytest_gtguard.errors import GtguardError
from pytest_gtguard.reward import command as grade_command
from pytest_gtguard.reward.grader import GradeOptions, TaskNotGradable, grade_prepared, prepare
from pytest_gtguard.reward.sandbox import SandboxUnavailable
from pytest_gtguard.split import command as split_command
from pytest_gtguard.task import calibrate as cal
from pytest_gtguard.task import patch as patching
from pytest_gtguard.task.findings import CODES, Severity
from pytest_gtguard.task.scaffold import Category, create_task
from pytest_gtguard.task.taskdir import TASK_ENV, add_task_dir, task_dir
from pytest_gtguard.task.trees import describe_missing
from pytest_gtguard.task.validate import ValidationReport, validate

__all__ = ["ExitCode", "build_parser", "main"]


class ExitCode(enum.IntEnum):
    """Exit status of every ``gtguard`` subcommand."""

    OK = 0  # clean: no finding, the patch reproduces after, the verdict is Goldilocks
    FINDINGS = 1  # validate found errors or warnings; a patch is stale; the verdict is not Goldilocks
    INTERRUPTED = 2  # Ctrl-C
    INTERNAL_ERROR = 3  # a bug in gtguard: please report it
    USAGE_ERROR = 4  # bad arguments or input: a missing folder, malformed JSON, no attempts
    # 5 is pytest's "no tests collected" (gtguard split returns it too), so the next free code:
    TODO = 6  # validate found only parts a person still has to write (a fresh `gtguard init` skeleton)
    GRADER_UNAVAILABLE = grade_command.GRADER_UNAVAILABLE  # grade: no sandbox at the level asked, or no ground truth


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE_ERROR, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``gtguard`` and its subcommands."""
    parser = _Parser(prog="gtguard", description="Check, patch, create and calibrate code-LLM training tasks.")
    parser.add_argument("--version", action="version", version=f"gtguard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser(
        "validate",
        help="Report everything an ingestion check would reject",
        description="Report everything an ingestion check would reject, each with file, reason and fix.",
    )
    add_task_dir(p)
    p.add_argument("--json", action="store_true", help="Print the findings as JSON (for pipelines)")
    p.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="CODE[,CODE]",
        help="Skip findings with these codes, e.g. GT202 (repeatable)",
    )
    p.add_argument(
        "--no-git",
        action="store_true",
        help="List the task's files from disk, not from git, and check patches without git",
    )
    p.set_defaults(func=_validate)

    p = sub.add_parser(
        "patch",
        help="Write patches/<name>.patch from repository_before to repository_after",
        description="Write the binary-safe diff from repository_before to repository_after, or check "
        "an existing patch with --check. The task's trees are never modified.",
    )
    add_task_dir(p)
    p.add_argument(
        "--name",
        metavar="NAME",
        help="Patch file name without .patch (default: the existing patch's name, else the task folder's name)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="Apply the existing patch to a copy of repository_before and compare with repository_after",
    )
    p.add_argument("--stdout", action="store_true", help="Print the patch instead of writing it")
    p.add_argument("--no-git", action="store_true", help="Use the pure-Python diff and apply, even if git is installed")
    p.set_defaults(func=_patch)

    p = sub.add_parser(
        "init",
        help="Create a task skeleton that validates clean except person-only parts",
        description="Create NAME/ with the layout, Dockerfile, docker-compose.yml (before, after, "
        "evaluation), pinned requirements, an instance file and a trajectory template.",
    )
    p.add_argument("name", metavar="NAME", help="Task folder name, e.g. ab12cd-rate-limiter")
    p.add_argument("--category", required=True, choices=[c.value for c in Category], help="The task's category")
    p.add_argument("--dir", default=".", metavar="DIR", help="Folder to create the task in (default: .)")
    p.set_defaults(func=_init)

    p = sub.add_parser(
        "split",
        help="Run both sides in fresh processes and compute FAIL_TO_PASS / PASS_TO_PASS (the split run)",
        description="The split outside a pytest command line: the same as `pytest --before --after` run in "
        "TASK_DIR (docs/split.md). Its exit codes are the split's: 0 valid, 1 problems, 3 a run crashed, "
        "4 usage error, 5 no tests.",
    )
    split_command.add_arguments(p)
    p.set_defaults(func=split_command.run)

    p = sub.add_parser(
        "calibrate",
        help="Run the tests against model attempts: pass@k and the verdict",
        description="Grade each attempt as gtguard grade does (its own sandboxed workspace) and "
        "report pass/fail, failing tests, pass@k and Too Hot / Goldilocks / Too Cold over honest passes.",
    )
    add_task_dir(p)
    p.add_argument(
        "--attempts",
        required=True,
        metavar="DIR",
        help="Folder with one solution folder or .patch file per target-model attempt",
    )
    p.add_argument(
        "--reference",
        action="append",
        default=[],
        metavar="DIR",
        help="A stronger model's solution folder (repeatable)",
    )
    p.add_argument("--k", action="append", type=int, default=[], metavar="K", help="Also report pass@K (repeatable)")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="Attempts to run at once (default: 1)")
    p.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="Stop an attempt's run after this long (default: 600)",
    )
    p.add_argument(
        "--isolation",
        choices=["auto", "namespaces", "process"],
        default="auto",
        help="Sandbox level of each attempt's run, as for gtguard grade (default: auto)",
    )
    p.add_argument("--json", action="store_true", help="Print the calibration as JSON")
    p.set_defaults(func=_calibrate)

    grade_command.add_parser(sub).set_defaults(func=grade_command.run)
    batch_command.add_parser(sub).set_defaults(func=batch_command.run, task_parser=build_parser)
    return parser


def _validate(args: argparse.Namespace) -> ExitCode:
    ignore = [code.strip().upper() for item in args.ignore for code in item.split(",") if code.strip()]
    for code in ignore:
        if code not in CODES:
            near = difflib.get_close_matches(code, CODES, n=1)
            hint = f"did you mean {near[0]}? " if near else ""
            raise GtguardError(
                f"--ignore {code}: no finding has this code; {hint}the codes are {', '.join(CODES)} (docs/cli.md)"
            )
    report = validate(task_dir(args.task), use_git=not args.no_git, ignore=ignore)
    code = _validate_exit(report)
    if args.json:
        print(json.dumps({**report.to_json(), "exit_code": int(code)}, indent=2))
        return code
    print(f"gtguard validate: {report.root}")
    for f in report.findings:
        print(f"{f.location()}: {f.severity.value} {f.code} {f.reason}")
        print(f"    fix: {f.fix}")
    counts = ", ".join(f"{report.count(s)} {s.value}{'s' if report.count(s) != 1 else ''}" for s in Severity)
    if report.clean:
        print("clean: nothing an ingestion check would reject")
    elif code is ExitCode.TODO:
        print(f"{counts}: only parts a person has to write remain")
    else:
        print(counts)
    return code


def _validate_exit(report: ValidationReport) -> ExitCode:
    if report.clean:
        return ExitCode.OK
    if report.count(Severity.ERROR) or report.count(Severity.WARNING):
        return ExitCode.FINDINGS
    return ExitCode.TODO


def _patch(args: argparse.Namespace) -> ExitCode:
    task = task_dir(args.task)
    if not task.is_dir():
        raise GtguardError(
            f"{task}: {describe_missing(task)}; pass the task folder (the one holding repository_after/)"
        )
    use_git = False if args.no_git else None
    existing = patching.patch_files(task)
    if args.check:
        targets = [p for p in existing if args.name is None or p.stem == args.name]
        if not targets:
            print(f"no patch file in {task / 'patches'}; write one with `gtguard patch`", file=sys.stderr)
            return ExitCode.FINDINGS
        ok = True
        for target in targets:
            result = patching.check_patch(task, target, use_git=use_git)
            if result.ok:
                print(f"{target}: applies to repository_before and reproduces repository_after")
                continue
            ok = False
            print(f"{target}: does not reproduce repository_after")
            for line in [result.error] if result.error else list(result.differences):
                print(f"    {line}")
        return ExitCode.OK if ok else ExitCode.FINDINGS
    data = patching.make_patch(task, use_git=use_git)
    if not data:
        print("repository_after is identical to repository_before: there is nothing to diff", file=sys.stderr)
        return ExitCode.FINDINGS
    if args.stdout:
        sys.stdout.buffer.write(data)
        return ExitCode.OK
    name = args.name or (existing[0].stem if len(existing) == 1 else task.resolve().name)
    target = task / "patches" / f"{name}.patch"
    patching.write_patch(target, data)
    files = data.count(b"\ndiff --git ") + data.startswith(b"diff --git ")
    print(f"wrote {target} ({files} file{'s' if files != 1 else ''}, {len(data)} bytes)")
    result = patching.check_patch(task, target, use_git=use_git)
    if not result.ok:
        print(f"but it does not round-trip: {result.error or '; '.join(result.differences)}", file=sys.stderr)
        return ExitCode.FINDINGS
    return ExitCode.OK


def _init(args: argparse.Namespace) -> ExitCode:
    root = create_task(Path(args.dir).expanduser(), args.name, Category(args.category))
    print(f"created {root}")
    report = validate(root, use_git=False)
    todos = report.count(Severity.TODO)
    print(f"{todos} part{'s' if todos != 1 else ''} only you can write remain; `gtguard validate {root}` lists them")
    print("next: write repository_before/, repository_after/ and tests/, then `gtguard patch` and `gtguard validate`")
    return ExitCode.OK


def _calibrate(args: argparse.Namespace) -> ExitCode:
    task = task_dir(args.task)
    if not task.is_dir():
        raise GtguardError(f"{task}: {describe_missing(task)}; pass the task folder (TASK_DIR, or ${TASK_ENV})")
    attempts = cal.attempt_dirs(Path(args.attempts).expanduser())
    references = [Path(r).expanduser() for r in args.reference]
    for ref in references:
        if not ref.is_dir():
            raise GtguardError(f"--reference {ref}: {describe_missing(ref)}; pass the stronger model's solution folder")
    if any(k < 1 for k in args.k) or args.jobs < 1 or args.timeout <= 0:
        raise GtguardError("--k and --jobs must be at least 1, and --timeout above 0")
    candidates = [p.resolve() for p in (*attempts, *references)]
    options = GradeOptions(timeout=args.timeout, isolation=args.isolation, hidden=(Path(args.attempts).resolve(),))
    try:
        prepared = prepare(task.resolve(), options, candidates=candidates)
    except (SandboxUnavailable, TaskNotGradable) as exc:
        print(f"gtguard calibrate: error: {exc}", file=sys.stderr)
        return ExitCode.GRADER_UNAVAILABLE

    def run(attempt: Path) -> cal.AttemptResult:
        return cal.from_grade(grade_prepared(prepared, attempt, label=attempt.name, options=options), attempt)

    result = cal.calibrate(
        task.resolve(),
        [a.resolve() for a in attempts],
        [r.resolve() for r in references],
        ks=args.k,
        jobs=args.jobs,
        run=run,
    )
    code = ExitCode.OK if result.verdict is cal.Verdict.GOLDILOCKS else ExitCode.FINDINGS
    if args.json:
        print(json.dumps({**result.to_json(), "exit_code": int(code)}, indent=2))
        return code
    for label, rows in (("attempt", result.attempts), ("reference", result.references)):
        for a in rows:
            counts = ", ".join(f"{v} {k}" for k, v in sorted(a.counts.items())) or "no results"
            print(f"{label} {a.name}: {'PASS' if a.passed else 'FAIL'} [{a.status}] ({counts})")
            for test in a.failing[:10]:
                print(f"    failed: {test}")
            if len(a.failing) > 10:
                print(f"    ... and {len(a.failing) - 10} more")
            if a.error:
                print(f"    {a.error}")
    print("  ".join(f"pass@{k} = {v:.3f}" for k, v in result.pass_at.items()))
    passed = sum(a.passed for a in result.attempts)
    print(
        f"verdict: {result.verdict.value} (target passed {passed} of {len(result.attempts)}"
        + (
            f"; reference passed {sum(r.passed for r in result.references)} of {len(result.references)})"
            if result.references
            else "; no --reference given)"
        )
    )
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``gtguard`` with ``argv`` (default: ``sys.argv[1:]``) and return its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    passthrough: list[str] = []
    if argv[:1] == ["split"] and "--" in argv:
        # Everything after `--` goes to the split's pytest runs untouched (argparse would try to parse it).
        cut = argv.index("--")
        argv, passthrough = argv[:cut], argv[cut + 1 :]
    args = build_parser().parse_args(argv)
    if passthrough:
        args.pytest_args = [*args.pytest_args, *passthrough]
    try:
        return int(args.func(args))
    except GtguardError as exc:
        print(f"gtguard {args.command}: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE_ERROR
    except BrokenPipeError:  # `gtguard validate | head`: the reader left, which is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK
    except KeyboardInterrupt:
        print("gtguard: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except OSError as exc:
        print(f"gtguard {args.command}: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
