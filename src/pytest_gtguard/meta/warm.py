"""Warm the parent's imports so no child of ``pytest --meta`` pays for a first import the baseline paid once.

Every child is forked from the parent. A ground truth that imports a heavy library inside a function
(``def solve(): import numpy``) pays that import in the baseline once, inside whichever test ran
first, and the other tests' budgets come from their warm times; each later child starts cold and pays
it again, so a test "times out alone" or a mutant "times out" for an import, not for what it tests.
Importing, in the parent and before any child forks, what the baseline's ground truth imported makes
every child start warm. Only imports on lines the baseline executed are repeated (the suite ran them
anyway), so nothing runs here that the suite did not run.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from pytest_gtguard.meta.execute import Status, Verdict
from pytest_gtguard.meta.smells import Finding

__all__ = ["alone_findings", "executed_imports", "warm_imports"]


def executed_imports(sources: Sequence[Path], covering: Mapping[str, Mapping[int, object]] | None) -> list[str]:
    """Return the absolute module names the ground truth imports on lines the baseline ran, in file order.

    With no coverage data every import statement counts (the baseline ran the whole suite either way).
    """
    ran = {os.path.realpath(f): set(lines) for f, lines in (covering or {}).items()}
    names: dict[str, None] = {}
    for path in sources:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue
        lines = ran.get(os.path.realpath(path), set())
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            if covering is not None and node.lineno not in lines:
                continue
            if isinstance(node, ast.Import):
                names.update((alias.name, None) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names[node.module] = None
                names.update((f"{node.module}.{alias.name}", None) for alias in node.names if alias.name != "*")
    return list(names)


def warm_imports(names: Iterable[str]) -> list[str]:
    """Import each module in ``names`` not loaded yet; return those that are now loaded.

    ``from pkg import name`` lists ``pkg.name`` too, which is a submodule or an attribute: a name that is
    no module fails quietly, as does any import that fails (the baseline's own result stands).
    Output written while importing is dropped.
    """
    done: list[str] = []
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        for name in names:
            if name in sys.modules:
                continue
            try:
                importlib.import_module(name)
            except KeyboardInterrupt:
                raise
            except BaseException:  # SystemExit too: an import that fails is the suite's business, not ours
                continue
            done.append(name)
    return done


def alone_findings(verdicts: Iterable[Verdict], *, budget_s: Mapping[str, float]) -> tuple[set[str], list[Finding]]:
    """Return the tests not to use as judges and a finding for each, from the verdicts of their alone runs.

    A test that fails alone depends on another test's side effects. A test that ran out of time alone
    says nothing about side effects: it is named as too slow for its budget, never as dependent.
    """
    lonely: set[str] = set()
    found: list[Finding] = []
    for verdict in sorted(verdicts, key=lambda v: v.key):
        if verdict.status is Status.SURVIVED:
            continue
        lonely.add(verdict.key)
        if verdict.status is Status.TIMEOUT:
            message = (
                f"ran out of time when run on its own against the ground truth, twice (last budget "
                f"{budget_s.get(verdict.key, 0.0):.2f} s of CPU); a timeout says nothing about other tests' side "
                "effects, but a test slower alone than in the suite cannot judge mutants in time: not used to judge"
            )
            found.append(Finding("slow-alone", verdict.key.split("::", 1)[0], 0, verdict.key, message))
        else:
            message = (
                "fails when run on its own against the ground truth (it depends on another test's side "
                "effects); not used to judge mutants"
            )
            found.append(Finding("fails-alone", verdict.key.split("::", 1)[0], 0, verdict.key, message))
    return lonely, found
