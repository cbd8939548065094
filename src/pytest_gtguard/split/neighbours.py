"""What a split's runs get of the options of the pytest plugins beside gtguard (docs/xdist.md).

Pure: it reads and writes argument lists. The split runs each side in its own processes, ``jobs`` at a
time, so:

- pytest-xdist: ``-n N`` sets how many runs go at once (unless ``--gtguard-jobs`` does) instead of
  starting N workers in every run and in the parent; the runs get ``-n 0``.
- pytest-cov: the parent runs no test, and six runs of two sides cannot add up to one figure, so the
  ``--cov`` options are dropped (with a note) and the runs get ``--no-cov``.
- pytest-randomly: each run gets ``--randomly-seed`` derived from ``--gtguard-seed`` and the run index
  (so a split is reproduced by its seed), and ``--randomly-dont-reorganize``: the split plans the order.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["RunArgs", "blocked_plugins", "random_seed", "randomly_args", "sort_args"]

# pytest-xdist's options (xdist/plugin.py), with and without a value.
XDIST_VALUED = frozenset(
    {"-n", "--numprocesses", "--maxprocesses", "--max-worker-restart", "--dist", "--tx", "--px", "--rsyncdir"}
    | {"--rsyncignore", "--testrunuid", "--maxschedchunk"}
)
XDIST_FLAGS = frozenset({"-d", "--loadscope-reorder", "--no-loadscope-reorder"})
# pytest-cov's: --cov takes an optional value (argparse takes the next word unless it starts with "-").
COV_OPTIONAL = frozenset({"--cov"})
COV_VALUED = frozenset({"--cov-report", "--cov-config", "--cov-fail-under", "--cov-context", "--cov-precision"})
COV_FLAGS = frozenset({"--no-cov", "--no-cov-on-fail", "--cov-append", "--cov-branch", "--cov-reset"})
# pytest-randomly's seed: the split sets it per run.
RANDOMLY_VALUED = frozenset({"--randomly-seed"})


@dataclass(frozen=True)
class RunArgs:
    """The user's arguments sorted for the runs: what the runs get, and what was taken out."""

    args: tuple[str, ...]
    workers: str | None = None  # the -n value given ("2", "auto"), the last one wins as in argparse
    xdist: tuple[str, ...] = ()  # the xdist options taken out
    cov: tuple[str, ...] = ()  # the pytest-cov options taken out
    randomly_seed: str | None = None  # a --randomly-seed the user gave (the split's seed replaces it)


def sort_args(args: Sequence[str]) -> RunArgs:
    """Take the xdist, pytest-cov and pytest-randomly-seed options out of ``args`` (see the module doc)."""
    out: list[str] = []
    xdist: list[str] = []
    cov: list[str] = []
    workers: str | None = None
    seed: str | None = None
    words = list(args)
    i = 0
    while i < len(words):
        arg = words[i]
        name, eq, value = arg.partition("=")
        short = _short_n(arg)
        if short is not None or name in XDIST_VALUED:
            value = short if short is not None else value if eq else _next(words, i)
            i += 1 if short is not None or eq else 2
            xdist.append(arg if short is not None or eq else f"{arg} {value}")
            if name in ("-n", "--numprocesses") or short is not None:
                workers = value
            continue
        if arg in XDIST_FLAGS:
            xdist.append(arg)
        elif name in COV_OPTIONAL:
            taken = not eq and i + 1 < len(words) and not words[i + 1].startswith("-")
            cov.append(f"{arg} {words[i + 1]}" if taken else arg)
            i += 1 if not taken else 2
            continue
        elif name in COV_VALUED or name in RANDOMLY_VALUED:
            value = value if eq else _next(words, i)
            if name in COV_VALUED:
                cov.append(arg if eq else f"{arg} {value}")
            else:
                seed = value
            i += 1 if eq else 2
            continue
        elif arg in COV_FLAGS:
            cov.append(arg)
        else:
            out.append(arg)
        i += 1
    return RunArgs(tuple(out), workers, tuple(xdist), tuple(cov), seed)


def _short_n(arg: str) -> str | None:
    """Return the value of an attached ``-n2`` / ``-nauto`` / ``-n=2``, else None."""
    if arg.startswith("-n") and len(arg) > 2 and not arg.startswith("--"):
        return arg[2:].lstrip("=")
    return None


def _next(words: Sequence[str], i: int) -> str:
    return words[i + 1] if i + 1 < len(words) else ""


def random_seed(seed: int, index: int) -> int:
    """Return pytest-randomly's seed for run ``index`` of a split with ``--gtguard-seed`` ``seed``.

    Both sides of a round share it (as they share the hash seed): the two sides differ only in the code.
    """
    return seed * 1000 + index


def randomly_args(seed: int) -> list[str]:
    """Return the arguments that give a run pytest-randomly's ``seed`` and leave the order to the split."""
    return [f"--randomly-seed={seed}", "--randomly-dont-reorganize"]


def blocked_plugins(args: Sequence[str]) -> list[str]:
    """Return the plugin names ``args`` block (``-p no:NAME``), or ``["*"]`` when they disable autoloading."""
    names: list[str] = []
    for flag, value in itertools.pairwise([*args, ""]):
        if flag == "--disable-plugin-autoload":
            return ["*"]
        spec = value if flag == "-p" else flag[2:] if flag.startswith("-p") else ""
        if spec.startswith("no:"):
            names.append(spec[3:])
    return names
