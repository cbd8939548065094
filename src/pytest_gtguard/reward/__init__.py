"""``gtguard grade``: a reward that candidate code cannot fake.

The layout draws the trust boundary. The judge (``grader``, ``trial``, ``verdict``, ``channel``,
``canaries``, ``tripwires``, ``workspace``, ``model``) never imports candidate code; ``sandbox`` is the
only module that starts it; ``inside/`` is the only code that runs next to it, and the judge never
imports ``inside/`` (``tests/test_architecture.py`` checks both).

Public API (imported lazily: this package is imported by the split's zygotes and every pytest run)::

    from pytest_gtguard.reward import grade, grade_many, Grade, Status
    result = grade("task/", "attempt-1/", timeout=120)
    result.reward, result.status, result.signals
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_gtguard.reward.adapters import compute_score
    from pytest_gtguard.reward.grader import GradeOptions, grade, grade_many
    from pytest_gtguard.reward.model import Grade, Signal, Status

__all__ = ["Grade", "GradeOptions", "Signal", "Status", "compute_score", "grade", "grade_many"]

_LAZY = {
    "Grade": "pytest_gtguard.reward.model",
    "Signal": "pytest_gtguard.reward.model",
    "Status": "pytest_gtguard.reward.model",
    "GradeOptions": "pytest_gtguard.reward.grader",
    "grade": "pytest_gtguard.reward.grader",
    "grade_many": "pytest_gtguard.reward.grader",
    "compute_score": "pytest_gtguard.reward.adapters",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_gtguard.reward' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
