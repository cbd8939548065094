"""The perf gate's options (one table, merged into ``settings.ALL_OPTIONS``)."""

from __future__ import annotations

from pytest_gtguard._option import Kind, Option

__all__ = ["PERF_OPTIONS"]

PERF_OPTIONS: tuple[Option, ...] = (
    Option(
        "gtguard_perf_scale",
        "Multiply every perf_gate time budget (ms=) by FACTOR, e.g. 2 on a machine twice as slow as the "
        "one the budgets were set on (default 1)",
        Kind.FLOAT,
        flags=("--gtguard-perf-scale",),
        env="GTGUARD_PERF_SCALE",
        ini="gtguard_perf_scale",
        metavar="FACTOR",
        default=1.0,
    ),
    Option(
        "gtguard_perf_strict",
        "Keep perf_gate failures fatal under pytest-xdist (by default they become GtguardWarnings there, "
        "since other workers compete for the CPUs)",
        Kind.FLAG,
        flags=("--gtguard-perf-strict",),
        env="GTGUARD_PERF_STRICT",
        ini="gtguard_perf_strict",
        default=False,
    ),
    Option(
        "gtguard_perf_reference_ms",
        "CPU milliseconds of gtguard's reference workload on the machine the budgets were set on (shown "
        "in the run header); budgets relax on a slower machine. Default: calibrated at the first gate",
        Kind.FLOAT,
        flags=("--gtguard-perf-reference-ms",),
        env="GTGUARD_PERF_REFERENCE_MS",
        ini="gtguard_perf_reference_ms",
        metavar="MS",
    ),
    Option(
        "gtguard_perf_html",
        "Write an HTML page with a log-log plot of time against n per perf_gate (points, budget, fitted "
        "growth line) to PATH at the end of the run",
        Kind.PATH,
        flags=("--gtguard-perf-html",),
        env="GTGUARD_PERF_HTML",
        ini="gtguard_perf_html",
        metavar="PATH",
    ),
)
