"""What a split is asked to do, and the start of its runs' interpreters.

Apart from ``split.session`` so that the pytest parent can start the zygotes before it imports the
classification, report and instance modules it only needs once the runs are under way.
"""

from __future__ import annotations

import importlib.util
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_gtguard._xdist import workers_count
from pytest_gtguard.errors import ConfigError, TaskLayoutError
from pytest_gtguard.side.compose import compose_images
from pytest_gtguard.side.task import Task, check_side_folder
from pytest_gtguard.split.neighbours import blocked_plugins, sort_args
from pytest_gtguard.split.pool import CAN_FORK, ZygotePool
from pytest_gtguard.split.runner import child_env, default_jobs, plan_runs

__all__ = [
    "NeighbourArgs",
    "SplitConfig",
    "check_pytest_args",
    "check_sides",
    "check_tests",
    "cli_neighbour_args",
    "hash_seeds",
    "neighbour_args",
    "runs_at_once",
    "start_pool",
]

# argparse's words for arguments it rejects; any other failure of the check is left to the runs to report.
_ARG_ERRORS = ("unrecognized arguments", "error: argument ", "expected one argument", "invalid choice")
_TEST_FOLDERS = ("tests", "test")


def runs_at_once(jobs: int | None, root: Path) -> tuple[int, tuple[str, ...]]:
    """Return how many runs to make at once (``jobs`` when asked), and the header note when the task decides it.

    A task that runs a database or a cache beside its tests (a compose service with an image) shares it
    between runs made at once: one run's rows are another's surprise, and tests flip (seen on a public
    bank-transfer task: 6 of 17 tests "flaky" with two runs at once, none with one). So its runs go one at a time.
    """
    if jobs is not None:
        return jobs, ()
    services = compose_images(root)
    if not services:
        return default_jobs(), ()
    names = ", ".join(f"{name} ({image})" for name, image in services.items())
    return 1, (
        f"gtguard: 1 run at a time: the task runs {names} beside its tests, which runs made at once would "
        "share (--gtguard-jobs N runs N at once)",
    )


@dataclass(frozen=True)
class SplitConfig:
    """Everything a split needs; built from pytest options or from ``gtguard split`` arguments."""

    task: Task
    args: tuple[str, ...]
    cwd: Path
    runs: int
    seed: int
    jobs: int
    timeout: float
    expect_f2p: bool = True
    instance_path: Path | None = None
    update_instance: bool = False
    report_path: Path | None = None
    write_report: bool = True
    randomly: bool = False  # pytest-randomly runs in the runs: each gets its seed (``neighbours``)
    notes: tuple[str, ...] = ()  # header lines: what the split did with its neighbours' options


@dataclass(frozen=True)
class NeighbourArgs:
    """The runs' arguments, the runs at once that ``-n`` asked for (None: not asked), the header notes."""

    args: tuple[str, ...]
    jobs: int | None
    notes: tuple[str, ...]
    randomly: bool = False  # pytest-randomly is on in the runs: each gets its seed


def neighbour_args(
    raw: Sequence[str],
    *,
    jobs: int | None,
    workers: object = None,
    xdist: bool = False,
    cov: bool = False,
    randomly: bool = False,
) -> NeighbourArgs:
    """Sort the user's arguments for the runs (``split.neighbours``): xdist, pytest-cov, pytest-randomly.

    ``jobs`` is ``--gtguard-jobs`` (None when not given); ``workers`` the ``-n`` value pytest parsed
    (the ini's addopts and PYTEST_ADDOPTS included), else the one in ``raw``; ``xdist``, ``cov`` and
    ``randomly`` whether the parent has xdist workers asked for, coverage asked for, pytest-randomly on.
    """
    got = sort_args(raw)
    workers = got.workers if workers is None else workers
    args, notes = list(got.args), []
    asked = workers_count(workers)
    if xdist or got.xdist:
        args += ["-n", "0"]  # after the ini's addopts: no run starts workers of its own
        if asked is not None and jobs is None:
            notes.append(f"gtguard: -n {workers} → {asked} split runs in parallel, no xdist workers")
        elif asked is not None:
            notes.append(f"gtguard: -n {workers} → no xdist workers; --gtguard-jobs {jobs} sets the runs in parallel")
        else:
            notes.append(f"gtguard: {' '.join(got.xdist) or 'xdist'} ignored: the split runs no xdist workers")
    if cov or got.cov:
        args.append("--no-cov")
        notes.append(
            "gtguard: --cov ignored under the split: the parent runs no test and the runs of two sides make no "
            "one figure; for the after side's coverage run pytest --after --cov=..."
        )
    if got.randomly_seed is not None:
        notes.append(f"gtguard: --randomly-seed {got.randomly_seed} ignored: each run's seed comes from --gtguard-seed")
    if randomly:
        notes.append(
            "gtguard: pytest-randomly: run i (from 0) gets --randomly-seed=SEED*1000+i and keeps the split's "
            "test order (report.json: runs[].random_seed)"
        )
    return NeighbourArgs(tuple(args), jobs if jobs is not None else asked, tuple(notes), randomly)


def cli_neighbour_args(
    args: Sequence[str], addopts: Sequence[str], *, jobs: int | None, environ: Mapping[str, str]
) -> NeighbourArgs:
    """Return ``neighbour_args`` for ``gtguard split``: from ini ``addopts``, PYTEST_ADDOPTS and ``args``, as pytest.

    Without a pytest parent to ask, pytest-randomly is taken as on when it is installed and neither
    blocked (``-p no:randomly``) nor kept from loading (PYTEST_DISABLE_PLUGIN_AUTOLOAD).
    """
    whole = [*addopts, *shlex.split(environ.get("PYTEST_ADDOPTS", "")), *args]  # pytest's order
    got, blocked = sort_args(whole), blocked_plugins(whole)
    autoload = not environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") and "*" not in blocked
    randomly = autoload and "randomly" not in blocked and importlib.util.find_spec("pytest_randomly") is not None
    cov = any(opt.partition(" ")[0].partition("=")[0] == "--cov" for opt in got.cov) and "--no-cov" not in got.cov
    return neighbour_args(args, jobs=jobs, workers=got.workers, xdist=bool(got.xdist), cov=cov, randomly=randomly)


def start_pool(cfg: SplitConfig, env: Mapping[str, str]) -> ZygotePool | None:
    """Start the interpreters of ``cfg``'s runs now, so they load while the caller finishes starting up.

    Returns None where the platform cannot fork (each run is then started when it is due).
    """
    return ZygotePool(hash_seeds(cfg), env=env, cwd=cfg.cwd, args=cfg.args) if CAN_FORK and cfg.runs >= 1 else None


def hash_seeds(cfg: SplitConfig) -> list[int]:
    """Return the PYTHONHASHSEED of each round of runs (both sides of a round share one)."""
    return sorted({spec.hash_seed for spec in plan_runs(cfg.runs, cfg.seed, trace=False)})


def check_tests(task: Task, test_paths: Sequence[object], testpaths_ini: Sequence[str] = (), *, example: str) -> None:
    """Refuse a split of ``task`` that would find no test, naming the missing tests/ folder.

    A split collects from the task root unless told otherwise; with no ``tests/`` (or ``test/``) folder,
    no test file at the root, no test path given and no ``testpaths`` ini, both sides collect nothing
    and the split ended as "no tests" without saying why.

    Raises:
        TaskLayoutError: the message names the folder and the fix (``example`` shows how to name tests).
    """
    root = task.root
    if test_paths or testpaths_ini or any((root / name).is_dir() for name in _TEST_FOLDERS):
        return
    if any(root.glob("test_*.py")) or any(root.glob("*_test.py")):
        return
    raise TaskLayoutError(
        f"{root} has no tests/ folder, so the split finds no test on either side; put the task's tests in "
        f"{root / 'tests'}/, or name them: {example}"
    )


def check_pytest_args(cfg: SplitConfig, env: Mapping[str, str], *, where: str) -> None:
    """Refuse arguments for the runs that pytest rejects, before any run starts.

    Checked in a child ``pytest --after ARGS --markers``: pytest parses the whole command line there,
    with the options the task's conftests declare (which a parse in this process could not know without
    importing them), and ``--markers`` stops before collection, so no test module is imported (~0.3 s).
    Parsing in this process with pytest's own parser would reject a conftest's options.

    Raises:
        ConfigError: pytest rejects the arguments; the message quotes its complaint.
    """
    if not cfg.args:
        return
    command = [sys.executable, "-m", "pytest", "--after", "-p", "no:cacheprovider", *cfg.args, "--markers"]
    try:
        proc = subprocess.run(
            command,
            cwd=cfg.cwd,
            env=child_env(env, 0),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=cfg.timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return  # the runs will meet the same problem and report it
    errors = [line for line in proc.stderr.decode(errors="replace").splitlines() if "error:" in line]
    complaint = next((line for line in errors if any(word in line for word in _ARG_ERRORS)), None)
    if proc.returncode == 4 and complaint is not None:
        reason = complaint.split("error:", 1)[1].strip()
        raise ConfigError(
            f"{where}: pytest rejects the arguments for the runs ({' '.join(cfg.args)}): {reason}; "
            "fix or drop them (pytest --help lists the options)"
        )


def check_sides(task: Task, *, where: str) -> None:
    """Refuse a split whose repository_after/ is missing, or whose side folders are files or dangling links.

    Raises:
        TaskLayoutError: the message names the folder and the fix.
    """
    check_side_folder(task.before_dir, required=False, where=where)
    check_side_folder(task.after_dir, required=True, where=where)
