"""Options of the checks feature (declared once; settings.ALL_OPTIONS lists them)."""

from __future__ import annotations

from pytest_gtguard._option import Kind, Option

__all__ = ["CHECKS_OPTIONS"]

CHECKS_OPTIONS: tuple[Option, ...] = (
    Option(
        "gtguard_forbid_imports",
        "Modules the code under test must not import, for every test (like @pytest.mark.forbid_imports)",
        Kind.ARGS,
        flags=("--gtguard-forbid-imports",),
        env="GTGUARD_FORBID_IMPORTS",
        ini="gtguard_forbid_imports",
        metavar="MODULES",
        append=True,
    ),
    Option(
        "gtguard_forbid_calls",
        "Functions and methods the code under test must not call, e.g. sorted eval list.sort",
        Kind.ARGS,
        flags=("--gtguard-forbid-calls",),
        env="GTGUARD_FORBID_CALLS",
        ini="gtguard_forbid_calls",
        metavar="NAMES",
        append=True,
    ),
    Option(
        "gtguard_python_syntax",
        "Python version whose syntax the code under test must parse at, e.g. 3.9",
        Kind.TEXT,
        flags=("--gtguard-python-syntax",),
        env="GTGUARD_PYTHON_SYNTAX",
        ini="gtguard_python_syntax",
        metavar="VERSION",
    ),
    Option(
        "gtguard_no_new_dependencies",
        "Fail when the side under test declares a dependency repository_before does not",
        Kind.FLAG,
        flags=("--gtguard-no-new-dependencies",),
        env="GTGUARD_NO_NEW_DEPENDENCIES",
        ini="gtguard_no_new_dependencies",
        default=False,
    ),
    Option(
        "gtguard_determinism_sources",
        "Report unseeded random, wall-clock time, entropy and network use of the code under test, every test",
        Kind.FLAG,
        flags=("--gtguard-determinism-sources",),
        env="GTGUARD_DETERMINISM_SOURCES",
        ini="gtguard_determinism_sources",
        default=False,
    ),
    Option(
        "gtguard_determinism_runs",
        "Fresh-process runs per determinism check (default: 3)",
        Kind.INT,
        flags=("--gtguard-determinism-runs",),
        env="GTGUARD_DETERMINISM_RUNS",
        ini="gtguard_determinism_runs",
        metavar="N",
        default=3,
    ),
    Option(
        "gtguard_determinism_timeout",
        "Seconds one fresh-process determinism run may take (default: 120)",
        Kind.FLOAT,
        flags=("--gtguard-determinism-timeout",),
        ini="gtguard_determinism_timeout",
        metavar="SECONDS",
        default=120.0,
    ),
    Option(
        "gtguard_checks_source",
        "Code under test when no side is selected (default: the rootdir without test files)",
        Kind.PATH,
        flags=("--gtguard-checks-source",),
        env="GTGUARD_CHECKS_SOURCE",
        ini="gtguard_checks_source",
        metavar="PATH",
    ),
)
