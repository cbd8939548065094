"""Options of the split run (``--before --after``) and of the per-run results channel."""

from __future__ import annotations

from pytest_gtguard._option import Kind, Option

__all__ = ["SPLIT_OPTIONS", "STRIPPED_FLAGS", "STRIPPED_VALUED"]

SPLIT_OPTIONS: tuple[Option, ...] = (
    Option(
        "gtguard_runs",
        "Runs per side in a split, each with its own hash seed and test order (default: 3)",
        Kind.INT,
        flags=("--gtguard-runs",),
        env="GTGUARD_RUNS",
        ini="gtguard_runs",
        default=3,
        metavar="N",
    ),
    Option(
        "gtguard_jobs",
        "Runs to make at once in a split (default: one per core)",
        Kind.INT,
        flags=("--gtguard-jobs",),
        env="GTGUARD_JOBS",
        ini="gtguard_jobs",
        metavar="N",
    ),
    Option(
        "gtguard_seed",
        "Base of the hash seeds and test orders of a split, for reproducing it (default: 0)",
        Kind.INT,
        flags=("--gtguard-seed",),
        env="GTGUARD_SEED",
        ini="gtguard_seed",
        default=0,
        metavar="N",
    ),
    Option(
        "gtguard_run_timeout",
        "Seconds each run may take before it alone is killed (default: 900)",
        Kind.FLOAT,
        flags=("--gtguard-run-timeout",),
        ini="gtguard_run_timeout",
        default=900.0,
        metavar="SECONDS",
    ),
    Option(
        "gtguard_report",
        "Where the split writes its report (default: evaluation/YYYY-MM-DD/HH-MM-SS/report.json in the task)",
        Kind.PATH,
        flags=("--gtguard-report",),
        env="GTGUARD_REPORT",
        ini="gtguard_report",
        metavar="PATH",
    ),
    Option(
        "gtguard_instance",
        "The task's instance file (default: instances/instance.json or instances.json)",
        Kind.PATH,
        flags=("--gtguard-instance",),
        ini="gtguard_instance",
        metavar="PATH",
    ),
    Option(
        "gtguard_update_instance",
        "Write the computed FAIL_TO_PASS and PASS_TO_PASS into the instance file",
        Kind.FLAG,
        flags=("--gtguard-update-instance",),
        default=False,
    ),
    Option(
        "gtguard_expect_f2p",
        "Whether the task must have FAIL_TO_PASS tests (false for a pure refactor)",
        Kind.FLAG,
        env="GTGUARD_EXPECT_F2P",
        ini="gtguard_expect_f2p",
        default=True,
    ),
    Option(
        "gtguard_results",
        "Write this run's per-test outcomes as JSON to FILE (the channel split and calibrate read)",
        Kind.PATH,
        flags=("--gtguard-results",),
        metavar="FILE",
    ),
    Option(
        "gtguard_shuffle",
        "Shuffle the test order with this seed (modules, then tests within each)",
        Kind.INT,
        flags=("--gtguard-shuffle",),
        hidden=True,
        metavar="SEED",
    ),
    Option(
        "gtguard_reach_sides",
        "Record which side folders the whole run loaded code from or read (cheap; the split traces only when needed)",
        Kind.FLAG,
        flags=("--gtguard-reach-sides",),
        hidden=True,
        default=False,
    ),
    Option(
        "gtguard_trace_sides",
        "Record which side folders each test ran code from or read (finds side-independent tests)",
        Kind.FLAG,
        flags=("--gtguard-trace-sides",),
        hidden=True,
        default=False,
    ),
)

# The per-run channel's options: what a split gives each of its runs, never the split itself.
CHANNEL_OPTIONS = frozenset({"gtguard_results", "gtguard_shuffle", "gtguard_trace_sides", "gtguard_reach_sides"})

# Options of the parent split that its child runs must not see again.
STRIPPED_FLAGS = frozenset({"--before", "--after", "--gtguard-before", "--gtguard-after", "--gtguard-update-instance"})
STRIPPED_VALUED = frozenset(
    {
        "--gtguard-runs",
        "--gtguard-jobs",
        "--gtguard-seed",
        "--gtguard-run-timeout",
        "--gtguard-report",
        "--gtguard-instance",
        "--gtguard-results",
        "--gtguard-shuffle",
    }
)
