"""Options of ``pytest --meta`` (declared once; see settings.ALL_OPTIONS)."""

from __future__ import annotations

from pytest_gtguard._option import Kind, Option

__all__ = ["META_OPTIONS", "REQ_MARKER_HELP"]

META_OPTIONS: tuple[Option, ...] = (
    Option(
        "gtguard_meta",
        "Judge the test suite: run it against hand-written broken variants and seeded mutants of the ground "
        "truth (implies --after in a task)",
        Kind.FLAG,
        flags=("--meta", "--gtguard-meta"),
        default=False,
    ),
    Option(
        "gtguard_meta_seed",
        "Seed for mutant sampling (default 0; same seed, same mutants and verdicts)",
        Kind.INT,
        flags=("--gtguard-meta-seed",),
        deprecated=("--meta-seed",),
        env="GTGUARD_META_SEED",
        ini="gtguard_meta_seed",
        default=0,
        metavar="N",
    ),
    Option(
        "gtguard_meta_max_mutants",
        "Run at most N mutants, sampled reproducibly with the seed (default: all)",
        Kind.INT,
        flags=("--gtguard-meta-max-mutants",),
        deprecated=("--meta-max-mutants",),
        env="GTGUARD_META_MAX_MUTANTS",
        ini="gtguard_meta_max_mutants",
        metavar="N",
    ),
    Option(
        "gtguard_meta_min_score",
        "Fail when the mutation score (percent of valid mutants detected) is under SCORE (default 0)",
        Kind.FLOAT,
        flags=("--gtguard-meta-min-score",),
        deprecated=("--meta-min-score",),
        env="GTGUARD_META_MIN_SCORE",
        ini="gtguard_meta_min_score",
        default=0.0,
        metavar="SCORE",
    ),
    Option(
        "gtguard_meta_suite",
        "Test suite under judgement when no test paths are given (default: <side>/tests if it exists)",
        Kind.PATH,
        flags=("--gtguard-meta-suite",),
        ini="gtguard_meta_suite",
        metavar="PATH",
    ),
    Option(
        "gtguard_meta_target",
        "Ground-truth files or folders to mutate (default: the side under test, else the rootdir; test "
        "files and folders are skipped)",
        Kind.ARGS,
        flags=("--gtguard-meta-target",),
        ini="gtguard_meta_target",
        metavar="PATH",
        append=True,
    ),
    Option(
        "gtguard_meta_variants",
        "Hand-written broken variants as TARGET=VARIANT (a .py replacement or a .patch); "
        "tests/resources/<module>/broken_*.py are found without it",
        Kind.ARGS,
        flags=("--gtguard-meta-variants",),
        deprecated=("--gtguard-meta-variant",),
        ini="gtguard_meta_variants",
        metavar="TARGET=VARIANT",
        append=True,
    ),
    Option(
        "gtguard_meta_operators",
        "Mutation operator families, comma-separated (default: all): arithmetic, comparison, boundary, "
        "boolean, constant, return, statement, exception, slice, loop",
        Kind.ARGS,
        flags=("--gtguard-meta-operators",),
        env="GTGUARD_META_OPERATORS",
        ini="gtguard_meta_operators",
        metavar="NAMES",
        append=True,
    ),
    Option(
        "gtguard_meta_calibrate",
        "A reference run's mutation-report.json: mutants it did not detect are Ignored (likely equivalent), "
        "so the score counts only mutants a good suite can kill",
        Kind.PATH,
        flags=("--gtguard-meta-calibrate",),
        ini="gtguard_meta_calibrate",
        metavar="REPORT",
    ),
    Option(
        "gtguard_meta_workers",
        "Mutants run in parallel (default: number of CPUs)",
        Kind.INT,
        flags=("--gtguard-meta-workers",),
        env="GTGUARD_META_WORKERS",
        ini="gtguard_meta_workers",
        metavar="N",
    ),
    Option(
        "gtguard_meta_report",
        "Folder for mutation-report.json (mutation-testing-report-schema) and mutation-report.html",
        Kind.PATH,
        flags=("--gtguard-meta-report",),
        env="GTGUARD_META_REPORT",
        ini="gtguard_meta_report",
        metavar="DIR",
    ),
    Option(
        "gtguard_meta_memorizers",
        "Memorizers (per public function, a version right only on the inputs the suite used): warn (a "
        "survivor is a passable-by-hardcoding finding), fail (a survivor fails the run) or off (default: warn)",
        Kind.TEXT,
        flags=("--gtguard-meta-memorizers",),
        env="GTGUARD_META_MEMORIZERS",
        ini="gtguard_meta_memorizers",
        default="warn",
        metavar="warn|fail|off",
    ),
)

REQ_MARKER_HELP = "req(*ids): requirement id(s) this test checks; pytest --meta reports its results per requirement"
