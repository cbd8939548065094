"""Items per second against workers (1, 2) on the local engine and on Ray, and each engine's per-item overhead.

    python bench/batch_scaling.py [--tasks 40] [--rounds 5] [--no-ray] [--operation validate]

The items are ``gtguard batch validate`` over a generated dataset (``make_dataset.py``): each is real
work (reading the task, parsing, checking the patch in a temporary copy) of some tens of milliseconds,
short enough that an engine's own cost shows. Rounds interleave every (engine, workers) pair, so a
neighbour's load on a shared machine falls on all of them; the median and the range are printed.

* items/s: items finished per second between the first and the last record (steady state: the start
  of the zygotes, and of Ray's workers, is excluded and printed apart as ``start``).
* overhead: with one worker, the time per item minus the time the item's own process ran (measured
  inside the zygote, fork to exit): forking, the pipes, the thread handoff, Ray's scheduling, parsing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_gtguard.batch import EnvCache, Item, LocalEngine, discover

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # read when Ray is imported: stay on the loopback
os.environ.setdefault("RAY_raylet_start_wait_time_s", "300")  # a loaded machine starts raylets slowly

sys.path.insert(0, str(Path(__file__).parent))
from make_dataset import make_dataset


def measure(engine: Any, items: list[Item]) -> dict[str, float]:
    """Run ``items``; return steady-state items/s, start-up seconds and per-item overhead in ms."""
    start = time.monotonic()
    stamps: list[float] = []
    inside: list[float] = []
    for record in engine.stream(items):
        stamps.append(time.monotonic())
        inside.append(float(record["duration"]))
        assert record["status"] == "ok", record
    span = stamps[-1] - stamps[0]
    per_item = span / (len(stamps) - 1)
    return {
        "rate": (len(stamps) - 1) / span,
        "start": stamps[0] - start,
        "overhead_ms": 1000 * (per_item - statistics.mean(inside)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tasks", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--operation", default="validate")
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        make_dataset(Path(tmp) / "ds", args.tasks)
        items = [i.with_fingerprint() for i in discover(Path(tmp) / "ds", args.operation)]
        envs = EnvCache(Path(tmp) / "envs")
        engines: dict[str, Callable[[int], Any]] = {
            "local": lambda jobs: LocalEngine(jobs=jobs, timeout=600, envs=envs),
        }
        if not args.no_ray:
            import ray

            from pytest_gtguard.batch.ray_engine import RayEngine

            ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
            engines["ray"] = lambda jobs: RayEngine(jobs=jobs, timeout=600)
        results: dict[tuple[str, int], list[dict[str, float]]] = {}
        for make in engines.values():  # warm-up, not counted: Ray starts its workers, caches fill
            measure(make(2), items[:6])
        for round_ in range(args.rounds):
            for name, make in engines.items():
                for jobs in (1, 2):
                    results.setdefault((name, jobs), []).append(measure(make(jobs), items))
            print(f"round {round_ + 1}/{args.rounds} done", file=sys.stderr)
    print(f"{len(items)} {args.operation} items, {args.rounds} interleaved rounds: median [min .. max]")
    for name in engines:
        one, two = results[(name, 1)], results[(name, 2)]
        speedups = [b["rate"] / a["rate"] for a, b in zip(one, two, strict=True)]
        for jobs, runs in ((1, one), (2, two)):
            rates = [r["rate"] for r in runs]
            starts = [r["start"] for r in runs]
            print(
                f"{name:5} workers={jobs}: {statistics.median(rates):6.1f} items/s "
                f"[{min(rates):.1f} .. {max(rates):.1f}], start {statistics.median(starts):.2f}s"
            )
        print(
            f"{name:5} speed-up 2 vs 1: {statistics.median(speedups):.2f}x [{min(speedups):.2f} .. {max(speedups):.2f}]"
        )
        overheads = [r["overhead_ms"] for r in one]
        print(
            f"{name:5} per-item overhead: {statistics.median(overheads):.1f} ms "
            f"[{min(overheads):.1f} .. {max(overheads):.1f}]"
        )


if __name__ == "__main__":
    main()
