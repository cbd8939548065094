"""``gtguard batch``: one operation over a whole dataset, on this machine or on a Ray cluster.

The Python API behind the command, for pipelines::

    from pytest_gtguard.batch import LocalEngine, ResultStore, discover, run_batch

    items = discover(Path("dataset"), "validate")
    with ResultStore(Path("results.jsonl")) as store:
        for record in run_batch(items, LocalEngine(jobs=2, timeout=600), store):
            ...  # each record is on disk before it is yielded

``LocalEngine.stream(items)`` (and ``RayEngine.stream``) yield records without a results file.
``RayEngine`` lives in ``pytest_gtguard.batch.ray_engine`` and needs ``pip install 'pytest-gtguard[ray]'``.
"""

from __future__ import annotations

from pytest_gtguard.batch.envs import EnvCache, RequirementsFailed
from pytest_gtguard.batch.items import OPERATIONS, Item, discover, read_manifest
from pytest_gtguard.batch.local import LocalEngine
from pytest_gtguard.batch.run import Engine, Progress, Summary, run_batch
from pytest_gtguard.batch.store import ResultStore, read_records

__all__ = [
    "OPERATIONS",
    "Engine",
    "EnvCache",
    "Item",
    "LocalEngine",
    "Progress",
    "RequirementsFailed",
    "ResultStore",
    "Summary",
    "discover",
    "read_manifest",
    "read_records",
    "run_batch",
]
