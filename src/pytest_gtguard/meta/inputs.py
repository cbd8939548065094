"""Read the optional inputs of a meta run: a reference report to calibrate by, the task's requirements."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_gtguard.errors import MetaSetupError
from pytest_gtguard.side.task import Task

__all__ = ["calibration", "listed_requirements"]


def calibration(path: Path | None) -> dict[str, str]:
    """Return ids of mutants a reference run did not detect (likely equivalent), with the reason to show."""
    if path is None:
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        mutants = [m for info in document["files"].values() for m in info["mutants"]]
        undetected = {str(m["id"]) for m in mutants if m["status"] in ("Survived", "NoCoverage")}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MetaSetupError(
            f"gtguard meta: --gtguard-meta-calibrate {path}: not a mutation report written by "
            f"--gtguard-meta-report ({type(exc).__name__}: {exc}); run the reference suite with "
            "--gtguard-meta-report=DIR and pass DIR/mutation-report.json"
        ) from None
    return dict.fromkeys(undetected, f"the reference run ({path.name}) did not detect it either: likely equivalent")


def listed_requirements(task: Task | None) -> list[str]:
    """Return the ``requirements`` list of the task's instance file, if it has one (free text, numbered)."""
    if task is None:
        return []
    for path in sorted((task.root / "instances").glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        listed = data.get("requirements") if isinstance(data, dict) else None
        if isinstance(listed, list):
            return [str(r) for r in listed]
    return []
