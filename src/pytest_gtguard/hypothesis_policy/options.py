"""Option of the Hypothesis policy (declared once; settings.ALL_OPTIONS lists it)."""

from __future__ import annotations

from pytest_gtguard._option import Kind, Option

__all__ = ["HYPOTHESIS_OPTIONS"]

HYPOTHESIS_OPTIONS: tuple[Option, ...] = (
    Option(
        "gtguard_hypothesis",
        "Run Hypothesis tests derandomized, with no example database and no deadline: auto (in split, "
        "single-side, --meta, graded runs and determinism re-runs), on (every run) or off (the task's own "
        "Hypothesis settings) (default: auto)",
        Kind.TEXT,
        flags=("--gtguard-hypothesis",),
        env="GTGUARD_HYPOTHESIS",
        ini="gtguard_hypothesis",
        default="auto",
        metavar="auto|on|off",
    ),
)
