"""`gtguard batch --engine ray` on a local cluster of simulated nodes (``ray.cluster_utils.Cluster``).

One test, one cluster: the suite runs under xdist, and two clusters at once would double the cost.
Skipped where the ``[ray]`` extra is not installed (the 3.10 and 3.12 CI legs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

# Read by Ray when it is imported: 0 keeps every address on the loopback (no node IP, no firewall question).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_raylet_start_wait_time_s", "300")  # a loaded 2-core machine starts raylets slowly
ray = pytest.importorskip("ray", reason="the [ray] extra is not installed (pip install 'pytest-gtguard[ray]')")

from pytest_gtguard.batch import EnvCache, LocalEngine, discover, read_manifest  # noqa: E402
from pytest_gtguard.batch.items import Item  # noqa: E402
from pytest_gtguard.batch.ray_engine import RayEngine  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning"), pytest.mark.slow]

ROOT = Path(__file__).parents[1]
RUNS_1 = ("--gtguard-runs", "1", "--gtguard-jobs", "1")
VOLATILE = {"duration", "worker", "engine", "retried"}


def _same(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in VOLATILE}


def _run(engine: Any, items: list[Item]) -> dict[str, dict[str, Any]]:
    return {r["fingerprint"]: _same(r) for r in engine.stream([i.with_fingerprint() for i in items])}


def _slow(dataset: Path) -> None:
    for test in dataset.glob("*/tests/test_*.py"):
        test.write_text(test.read_text() + "\n\ndef test_slowly():\n    import time\n    time.sleep(3)\n")
        instance = test.parents[1] / "instances" / "instance.json"
        data = json.loads(instance.read_text())
        data["PASS_TO_PASS"].append(f"tests/{test.name}::test_slowly")
        instance.write_text(json.dumps(data))


@pytest.fixture
def cluster() -> Any:
    from ray.cluster_utils import Cluster

    local = {"node_ip_address": "127.0.0.1", "include_dashboard": False}
    head = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, **local})
    try:
        nodes = [head.add_node(num_cpus=1, **local)]  # two nodes: a third costs a minute on a loaded 2-core machine
        ray.init(address=head.address, log_to_driver=False)
        yield head, nodes
    finally:
        ray.shutdown()
        head.shutdown()


def test_ray_engine_gives_the_local_engines_results_and_retries_the_items_of_a_removed_node(
    cluster: Any, tmp_path: Path
) -> None:
    head, nodes = cluster
    gen = [sys.executable, str(ROOT / "bench" / "make_dataset.py")]
    subprocess.run([*gen, str(tmp_path / "ds"), "-n", "12"], check=True, capture_output=True)
    os.environ["GTGUARD_CACHE_DIR"] = str(tmp_path / "cache")  # Ray workers inherit the driver's environment
    grade = read_manifest(tmp_path / "ds-grade.jsonl", "grade", ["--isolation", "process"])[:3]
    items = [
        *discover(tmp_path / "ds", "validate"),
        *discover(tmp_path / "ds", "split", RUNS_1),
        *grade,
    ]
    local = _run(LocalEngine(jobs=2, timeout=300, envs=EnvCache(tmp_path / "envs")), items)
    on_ray = _run(RayEngine(jobs=2, timeout=300), items)
    assert len(local) == 27 and on_ray == local
    assert {r["verdict"] for r in local.values() if r["operation"] == "split"} >= {"valid", "invalid"}
    assert sorted(r["reward"] for r in local.values() if r["operation"] == "grade") == [-1.0, 1.0, 1.0]

    subprocess.run([*gen, str(tmp_path / "slow"), "-n", "4"], check=True, capture_output=True)
    _slow(tmp_path / "slow")
    slow = [i.with_fingerprint() for i in discover(tmp_path / "slow", "split", RUNS_1)]
    threading.Timer(3.0, head.remove_node, args=(nodes[0],), kwargs={"allow_graceful": False}).start()
    start = time.monotonic()
    records = list(RayEngine(jobs=2, timeout=300).stream(slow))
    assert time.monotonic() - start > 3.0  # the node went while items ran on it
    assert sorted(r["fingerprint"] for r in records) == sorted(i.fingerprint for i in slow)
    assert {r["status"] for r in records} == {"ok"}
    retried = [r for r in records if r.get("retried")]
    assert retried and all(r["worker"].split(":")[1] != nodes[0].node_id[:8] for r in retried)
