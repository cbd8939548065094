"""argparse glue for ``gtguard batch OPERATION SOURCE [options] [-- OPERATION_OPTIONS]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_gtguard.batch.dashboard import write_dashboard
from pytest_gtguard.batch.envs import EnvCache
from pytest_gtguard.batch.items import OPERATIONS, discover
from pytest_gtguard.batch.local import LocalEngine
from pytest_gtguard.batch.run import Engine, Progress, Summary, run_batch
from pytest_gtguard.batch.store import ResultStore, read_records
from pytest_gtguard.errors import ConfigError

__all__ = ["add_parser", "default_results", "run"]

_OWN = {"--json", "--gtguard-report", "--attempts"}  # set by the batch for each item


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
    return value


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``batch`` subcommand to ``sub`` and return its parser."""
    p: argparse.ArgumentParser = sub.add_parser(
        "batch",
        help="Run validate, split, grade, calibrate or meta over a whole dataset, locally or on Ray",
        description="Run one operation over every task of a dataset folder, or every line of a JSONL manifest, "
        "each item in its own process with a time limit. Results go to an append-only JSONL file, record by "
        "record; a rerun skips what it holds. Options after -- go to each item's command (docs/batch.md).",
    )
    p.add_argument("operation", choices=OPERATIONS, metavar="OPERATION", help=f"One of {', '.join(OPERATIONS)}")
    p.add_argument("source", type=Path, metavar="SOURCE", help="A dataset folder, or a .jsonl manifest")
    p.add_argument("item_options", nargs="*", metavar="-- OPTIONS", help="Options of the single-task command")
    p.add_argument("--jobs", type=_count, default=2, metavar="N", help="Items run at once (default: 2)")
    p.add_argument("--timeout", type=_positive, default=1800.0, metavar="SECONDS", help="Time limit per item")
    p.add_argument("--memory-mb", type=_count, metavar="MB", help="Address-space limit of each item's process")
    p.add_argument("--engine", choices=["local", "ray"], default="local", help="Where items run (default: local)")
    p.add_argument("--ray-address", metavar="ADDRESS", help="auto, ray://HOST:PORT, or none for a local Ray")
    p.add_argument("--results", type=Path, metavar="PATH", help="The JSONL results file (see docs/batch.md)")
    p.add_argument("--html", type=Path, metavar="PATH", help="The dashboard (default: beside the results file)")
    p.add_argument("--no-html", action="store_true", help="Write no dashboard")
    p.add_argument("--force", action="store_true", help="Rerun items that already have a result")
    p.add_argument("--env-cache", type=Path, metavar="DIR", help="Where requirement environments are built")
    setattr(p, "parse_known_args", _split_at_dashes(p.parse_known_args))  # noqa: B010
    return p


def _split_at_dashes(parse: Callable[..., tuple[argparse.Namespace, list[str]]]) -> Callable[..., Any]:
    """Hand everything after ``--`` to the item's command, whatever options come before it.

    argparse alone matches the empty ``OPTIONS`` right after SOURCE, then rejects what follows ``--``.
    """

    def parse_known_args(args: list[str] | None = None, namespace: argparse.Namespace | None = None) -> Any:
        args = list(args or [])
        tail: list[str] = []
        if "--" in args:
            cut = args.index("--")
            args, tail = args[:cut], args[cut + 1 :]
        ns, extra = parse(args, namespace)
        ns.item_options = [*ns.item_options, *tail]
        return ns, extra

    return parse_known_args


def default_results(source: Path, operation: str) -> Path:
    """Return ``./gtguard-batch/<source name>-<operation>.jsonl``: never inside the dataset."""
    name = source.resolve().stem or "dataset"
    return Path("gtguard-batch") / f"{name}-{operation}.jsonl"


def _check_options(ns: argparse.Namespace, task_parser: Callable[[], argparse.ArgumentParser] | None) -> None:
    own = sorted(o for o in ns.item_options if o.split("=", 1)[0] in _OWN)
    if own:
        raise ConfigError(f"{', '.join(own)}: the batch sets this for each item; leave it out")
    if task_parser is None or ns.operation == "meta":
        return  # meta's options are pytest's: the first item reports a bad one
    fixed = {"grade": ["TASK", "CANDIDATE"], "calibrate": ["TASK", "--attempts", "DIR"]}
    task_parser().parse_args([ns.operation, *fixed.get(ns.operation, ["TASK"]), *ns.item_options])


def make_engine(ns: argparse.Namespace) -> Engine:
    """Return the engine ``ns`` asks for.

    Raises:
        ConfigError: Ray was asked for but is not installed, or cannot be reached.
    """
    envs = EnvCache(ns.env_cache)
    if ns.engine == "ray":
        from pytest_gtguard.batch.ray_engine import RayEngine

        return RayEngine(address=ns.ray_address, jobs=ns.jobs, timeout=ns.timeout, memory_mb=ns.memory_mb)
    return LocalEngine(jobs=ns.jobs, timeout=ns.timeout, memory_mb=ns.memory_mb, envs=envs)


def run(ns: argparse.Namespace) -> int:
    """Run the batch ``ns`` describes; 0 when every item ran to its verdict, 1 otherwise, 2 on Ctrl-C."""
    _check_options(ns, getattr(ns, "task_parser", None))
    items = discover(ns.source, ns.operation, [o for o in ns.item_options if o != "--"])
    results = ns.results or default_results(ns.source, ns.operation)
    html = None if ns.no_html else ns.html or results.with_suffix(".html")
    engine = make_engine(ns)
    summary = Summary()
    with ResultStore(results) as store:
        if store.repaired:
            print(
                f"gtguard batch: {results}: cut off a half-written last line ({store.repaired} bytes)", file=sys.stderr
            )
        print(f"gtguard batch {ns.operation}: {len(items)} item(s) on {engine.name}; results in {results}", flush=True)
        try:
            for _ in run_batch(items, engine, store, force=ns.force, progress=Progress(len(items)), summary=summary):
                pass
        except KeyboardInterrupt:
            summary.interrupted = True
        finally:
            shutdown = getattr(engine, "shutdown", None)
            if shutdown is not None:
                shutdown()
    for line in summary.lines():
        print(line)
    if html is not None:
        write_dashboard(list(read_records(results)), html, title=f"gtguard batch {ns.operation}: {ns.source}")
        print(f"dashboard: {html}")
    if summary.interrupted:
        return 2
    return 0 if set(summary.by_status) <= {"ok"} else 1
