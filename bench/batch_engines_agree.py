"""The acceptance run at full size: validate, split and grade over 50 generated tasks on both engines, compared.

    python bench/batch_engines_agree.py [-n 50] [--grade-tasks 10]

The test suite runs the same comparison on 12 tasks (tests/test_batch_ray.py); this is the 50-task run,
too slow for every CI run on a 2-core machine. Ray runs as a private local instance with 2 CPUs.
Prints the item counts, the verdicts, the time per engine, and every record that differs (none, or exit 1).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_raylet_start_wait_time_s", "300")

from pytest_gtguard.batch import EnvCache, Item, LocalEngine, discover, read_manifest

sys.path.insert(0, str(Path(__file__).parent))
from make_dataset import make_dataset

VOLATILE = {"duration", "worker", "engine", "retried"}


def run(engine: Any, items: list[Item]) -> dict[str, dict[str, Any]]:
    """Return each item's record without the fields that describe where and how long it ran."""
    return {r["fingerprint"]: {k: v for k, v in r.items() if k not in VOLATILE} for r in engine.stream(items)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=50)
    parser.add_argument("--grade-tasks", type=int, default=10, help="Tasks whose 3 candidates are graded")
    args = parser.parse_args()
    import ray

    from pytest_gtguard.batch.ray_engine import RayEngine

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GTGUARD_CACHE_DIR"] = str(Path(tmp) / "cache")
        make_dataset(Path(tmp) / "ds", args.n)
        runs_1 = ["--gtguard-runs", "1", "--gtguard-jobs", "1"]
        items = [
            *discover(Path(tmp) / "ds", "validate"),
            *discover(Path(tmp) / "ds", "split", runs_1),
            *read_manifest(Path(tmp) / "ds-grade.jsonl", "grade", ["--isolation", "process"])[: 3 * args.grade_tasks],
        ]
        items = [i.with_fingerprint() for i in items]
        start = time.monotonic()
        local = run(LocalEngine(jobs=2, timeout=600, envs=EnvCache(Path(tmp) / "envs")), items)
        local_s = time.monotonic() - start
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        start = time.monotonic()
        on_ray = run(RayEngine(jobs=2, timeout=600), items)
        ray_s = time.monotonic() - start
        ray.shutdown()
    by_op = Counter((r["operation"], r["status"], r["verdict"]) for r in local.values())
    print(f"{len(items)} items: local {local_s:.0f}s, ray {ray_s:.0f}s")
    for (operation, status, verdict), n in sorted(by_op.items(), key=str):
        print(f"  {operation:8} {status:8} {verdict}: {n}")
    differ = [fp for fp in local if local[fp] != on_ray.get(fp)]
    for fp in differ:
        print(f"DIFFERS: {local[fp]}\n   ray: {on_ray.get(fp)}")
    print("identical records on both engines" if not differ and len(on_ray) == len(local) else "ENGINES DISAGREE")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
