"""Declare every gtguard option once and resolve it with provenance (CLI, then env, then ini, then default).

The same table feeds pytest's parser (``declare_options``) and the ``gtguard`` command line, so the
two never drift apart. Features add their own ``Option`` tuples and list them in ``ALL_OPTIONS``.
"""

from __future__ import annotations

import argparse
import math
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pytest_gtguard._option import Kind, Option, old_dest
from pytest_gtguard.errors import ConfigError

__all__ = [
    "ALL_OPTIONS",
    "BOUNDS",
    "CORE_OPTIONS",
    "Kind",
    "Option",
    "Resolved",
    "add_argparse_options",
    "declare_options",
    "deprecated_uses",
    "resolve",
]


class _Group(Protocol):
    def addoption(self, *opts: str, **attrs: Any) -> None: ...


class _AddIni(Protocol):
    def __call__(self, name: str, help: str, type: Any = ..., default: Any = ...) -> None: ...


CORE_OPTIONS: tuple[Option, ...] = (
    Option(
        "gtguard_before",
        "Run the tests against the task's repository_before",
        Kind.FLAG,
        flags=("--before", "--gtguard-before"),
        default=False,
    ),
    Option(
        "gtguard_after",
        "Run the tests against the task's repository_after (the ground truth)",
        Kind.FLAG,
        flags=("--after", "--gtguard-after"),
        default=False,
    ),
    Option(
        "gtguard_repo",
        "Run the tests against PATH, e.g. a model's candidate solution, in place of repository_after",
        Kind.PATH,
        flags=("--repo", "--gtguard-repo"),
        metavar="PATH",
    ),
    Option(
        "gtguard_side",
        "Side to test when no side option is given: before, after or a path",
        Kind.TEXT,
        env="GTGUARD_SIDE",
        ini="gtguard_side",
    ),
    Option(
        "gtguard_task",
        "Task directory (default: nearest directory at or above the test paths with repository_before/ "
        "or repository_after/)",
        Kind.PATH,
        flags=("--gtguard-task",),
        env="GTGUARD_TASK",
        ini="gtguard_task",
        metavar="DIR",
    ),
    Option(
        "gtguard_category",
        "The task's category (testing, bugfix, ...); testing: the suite under judgement is in "
        "repository_after/ (default: the instance's category, else read from the layout)",
        Kind.TEXT,
        ini="gtguard_category",
    ),
    Option(
        "gtguard_env",
        "Environment variables to set for the side under test, as NAME=TEMPLATE with {side}, {SIDE}, "
        "{name}, {rel}, {path} and {task} (default: REPO_PATH={rel}, i.e. repository_before or _after)",
        Kind.ARGS,
        flags=("--gtguard-env",),
        ini="gtguard_env",
        metavar="NAME=TEMPLATE",
        append=True,
        default=("REPO_PATH={rel}",),
    ),
    Option(
        "gtguard_env_detect",
        "Also set the variables the tests read with a side-naming default, e.g. os.environ.get('TEST_REPO', "
        "'after') (default: true)",
        Kind.FLAG,
        env="GTGUARD_ENV_DETECT",
        ini="gtguard_env_detect",
        default=True,
    ),
    Option(
        "gtguard_alias_before",
        "With --before, make `import repository_after.x` load repository_before: auto (when the tests never "
        "name repository_before), true or false (default: auto)",
        Kind.TEXT,
        env="GTGUARD_ALIAS_BEFORE",
        ini="gtguard_alias_before",
        default="auto",
    ),
    Option(
        "gtguard_repo_alias",
        "Package name that --repo PATH stands in for, so `import repository_after.x` loads the candidate "
        "(empty to disable)",
        Kind.TEXT,
        ini="gtguard_repo_alias",
        default="repository_after",
    ),
    Option(
        "gtguard_allow_side_independent",
        "Let the split call a task valid although most of its tests are side-independent (they compare "
        "with the other side) (default: false)",
        Kind.FLAG,
        env="GTGUARD_ALLOW_SIDE_INDEPENDENT",
        ini="gtguard_allow_side_independent",
        default=False,
    ),
)


def declare_options(group: _Group, addini: _AddIni, options: Sequence[Option] | None = None) -> None:
    """Register ``options`` (default: all of them) with a pytest option group and ini parser.

    Hidden options and deprecated spellings are accepted but left out of ``--help``.
    """
    for opt in ALL_OPTIONS if options is None else options:
        if opt.flags:
            group.addoption(*opt.flags, **_parser_attrs(opt, opt.dest, hidden=opt.hidden))
        if opt.deprecated:
            group.addoption(*opt.deprecated, **_parser_attrs(opt, old_dest(opt), hidden=True))
        if opt.ini:
            ini_type = "args" if opt.kind is Kind.ARGS else "string"
            addini(opt.ini, opt.help, type=ini_type, default=None)


def _parser_attrs(opt: Option, dest: str, *, hidden: bool) -> dict[str, Any]:
    attrs: dict[str, Any] = {"dest": dest, "help": argparse.SUPPRESS if hidden else opt.help}
    attrs["default"] = None  # None = "not given", so env and ini still apply
    if opt.kind is Kind.FLAG:
        attrs["action"] = "store_true"
    else:
        attrs["action"] = "append" if opt.append else "store"
        attrs["metavar"] = opt.metavar
    return attrs


def add_argparse_options(parser: Any, options: Sequence[Option]) -> None:
    """Add the command-line forms of ``options`` to an argparse parser (the ``gtguard`` command)."""
    for opt in options:
        flags = [f for f in opt.flags if f.startswith("--gtguard-")] or list(opt.flags)
        if flags:
            parser.add_argument(*flags, **_parser_attrs(opt, opt.dest, hidden=opt.hidden))


def deprecated_uses(namespace: Any, options: Sequence[Option] | None = None) -> list[str]:
    """Return one warning text per deprecated spelling given in the parsed ``namespace``, naming the new one."""
    return [
        f"{opt.deprecated[0]} is deprecated and will be removed in the next release: use {opt.flags[-1]}"
        for opt in (ALL_OPTIONS if options is None else options)
        if opt.deprecated and getattr(namespace, old_dest(opt), None) not in (None, False)
    ]


@dataclass(frozen=True)
class Resolved:
    """A setting's value and where it came from, for error messages and the run header."""

    value: Any
    source: str


def resolve(
    opt: Option,
    *,
    cli: Any,
    environ: Mapping[str, str],
    getini: Callable[[str], Any],
    base: Path,
) -> Resolved:
    """Return the value of ``opt``: CLI, then environment, then ini, then the default.

    ``cli`` is the parsed option namespace; ``base`` is where relative ini paths are anchored.

    Raises:
        ConfigError: the raw text cannot be parsed; the message names the option and its source.
    """
    raw_cli = getattr(cli, opt.dest, None) if opt.flags else None
    where = f"command-line option {opt.flags[0]}" if opt.flags else ""
    if (raw_cli is None or raw_cli is False) and opt.deprecated:
        raw_cli, where = getattr(cli, old_dest(opt), None), f"command-line option {opt.deprecated[0]}"
    if raw_cli is not None and raw_cli is not False:
        if opt.append:
            words = [w for item in raw_cli for w in (shlex.split(item) if opt.kind is Kind.ARGS else [item])]
            return Resolved(tuple(_parse(opt, w, where, Path.cwd()) for w in words), where)
        return Resolved(_parse(opt, raw_cli, where, Path.cwd()), where)
    if opt.env and environ.get(opt.env, "") != "":
        where = f"environment variable {opt.env}"
        if opt.kind is Kind.ARGS:
            return Resolved(tuple(shlex.split(environ[opt.env])), where)
        return Resolved(_parse(opt, environ[opt.env], where, Path.cwd()), where)
    if opt.ini:
        raw_ini = getini(opt.ini)
        # An explicitly empty text value means "empty" (e.g. gtguard_repo_alias = to disable the alias);
        # unset keys read as None (pytest >= 8.4) or [] (older pytest).
        if raw_ini not in (None, []) and (raw_ini != "" or opt.kind is Kind.TEXT):
            where = f"ini key {opt.ini}"
            if opt.kind is Kind.ARGS:
                return Resolved(tuple(str(w) for w in raw_ini), where)
            return Resolved(_parse(opt, raw_ini, where, base), where)
    return Resolved(opt.default, "default")


def _parse(opt: Option, raw: Any, where: str, base: Path) -> Any:
    if opt.kind is Kind.FLAG:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{where}: expected true or false, got {raw!r}")
    if opt.kind is Kind.PATH:
        path = Path(str(raw)).expanduser()
        return path if path.is_absolute() else (base / path)
    if opt.kind in (Kind.INT, Kind.FLOAT):
        return _number(opt, raw, where)
    return str(raw)


@dataclass(frozen=True)
class Bound:
    """The values a numeric option accepts: at least (or above) ``low``, at most ``high``."""

    low: float
    strict: bool = False  # True: the value must be above ``low``, not equal to it
    high: float | None = None

    def describe(self, kind: Kind) -> str:
        """Return e.g. ``a whole number of at least 1`` or ``a number above 0``."""
        noun = "a whole number" if kind is Kind.INT else "a number"
        low = f"{self.low:g}"
        text = f"{noun} above {low}" if self.strict else f"{noun} of at least {low}"
        return text + (f" and at most {self.high:g}" if self.high is not None else "")

    def admits(self, value: float) -> bool:
        """Return whether ``value`` lies within the bound."""
        above = value > self.low if self.strict else value >= self.low
        return above and (self.high is None or value <= self.high)


# Every numeric option's range, checked wherever a value comes from (command line, environment, ini), so
# `--gtguard-run-timeout 0` is a usage error up front, not a split whose every run times out.
# tests/unit checks that each INT/FLOAT option of ALL_OPTIONS has an entry.
BOUNDS: dict[str, Bound] = {
    "gtguard_runs": Bound(1),
    "gtguard_jobs": Bound(1),
    "gtguard_seed": Bound(0),
    "gtguard_run_timeout": Bound(0, strict=True),
    "gtguard_shuffle": Bound(0),
    "gtguard_perf_scale": Bound(0, strict=True),
    "gtguard_perf_reference_ms": Bound(0, strict=True),
    "gtguard_determinism_runs": Bound(2),
    "gtguard_determinism_timeout": Bound(0, strict=True),
    "gtguard_meta_seed": Bound(0),
    "gtguard_meta_max_mutants": Bound(1),
    "gtguard_meta_min_score": Bound(0, high=100),
    "gtguard_meta_workers": Bound(1),
}


def _number(opt: Option, raw: Any, where: str) -> int | float:
    bound = BOUNDS.get(opt.dest, Bound(-math.inf))
    expected = bound.describe(opt.kind) if opt.dest in BOUNDS else f"a {opt.kind.value}"
    try:
        value: int | float = int(str(raw)) if opt.kind is Kind.INT else float(str(raw))
    except ValueError:
        raise ConfigError(f"{where}: got {raw!r}; pass {expected}") from None
    if not math.isfinite(value) or not bound.admits(value):
        default = f" (the default is {opt.default:g})" if isinstance(opt.default, (int, float)) else ""
        raise ConfigError(f"{where}: got {raw!r}; pass {expected}{default}")
    return value


def _all_options() -> tuple[Option, ...]:
    # Features declare their options beside their code; imported here so one table feeds pytest and the CLI.
    from pytest_gtguard.checks.options import CHECKS_OPTIONS
    from pytest_gtguard.hypothesis_policy.options import HYPOTHESIS_OPTIONS
    from pytest_gtguard.meta.options import META_OPTIONS
    from pytest_gtguard.perf.options import PERF_OPTIONS
    from pytest_gtguard.split.options import SPLIT_OPTIONS

    return (*CORE_OPTIONS, *SPLIT_OPTIONS, *PERF_OPTIONS, *CHECKS_OPTIONS, *META_OPTIONS, *HYPOTHESIS_OPTIONS)


ALL_OPTIONS: tuple[Option, ...] = _all_options()
