"""What a split is asked to do, and the start of its runs' interpreters.

Apart from ``split.session`` so that the pytest parent can start the zygotes before it imports the
classification, report and instance modules it only needs once the runs are under way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pytest_gtguard.side.task import Task
from pytest_gtguard.split.pool import CAN_FORK, ZygotePool
from pytest_gtguard.split.runner import plan_runs

__all__ = ["SplitConfig", "hash_seeds", "start_pool"]


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


def start_pool(cfg: SplitConfig, env: Mapping[str, str]) -> ZygotePool | None:
    """Start the interpreters of ``cfg``'s runs now, so they load while the caller finishes starting up.

    Returns None where the platform cannot fork (each run is then started when it is due).
    """
    return ZygotePool(hash_seeds(cfg), env=env, cwd=cfg.cwd, args=cfg.args) if CAN_FORK and cfg.runs >= 1 else None


def hash_seeds(cfg: SplitConfig) -> list[int]:
    """Return the PYTHONHASHSEED of each round of runs (both sides of a round share one)."""
    return sorted({spec.hash_seed for spec in plan_runs(cfg.runs, cfg.seed, trace=False)})
