"""Why a split's tests fail, or give no evidence: the causes it names beside its verdict.

A verdict that lists 82 test ids under AFTER_NOT_PASSING says what fails but not why. On real tasks
(docs/real-tasks.md) the cause was most often outside the ground truth, and the split blamed it anyway:

- where failures were raised (``causes_of``, ``describe``): one ``N x file:line: Exception`` line each;
- the environment: a module neither the task nor this Python holds (``MISSING_MODULE``: on before alone
  it turned tests into FAIL_TO_PASS), a compose service the tests could not reach (``SERVICE_UNAVAILABLE``);
- why nothing ran or nothing failed on before: test files outside ``python_files`` (``NO_TESTS``), a suite
  in each side folder, ``pytest.xfail()`` calls that stop a test before it checks anything;
- how a flaky test's runs differ (``explain_flaky``), order dependence named.

Pure: it reads run results and the task's files, and imports nothing it names.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_gtguard.results import RunResults
from pytest_gtguard.side.compose import compose_images
from pytest_gtguard.split.classify import Category, Split, called_xfail
from pytest_gtguard.split.evidence import Site, failure_site
from pytest_gtguard.split.runner import RunOutcome
from pytest_gtguard.split.verdict import Problem, Severity
from pytest_gtguard.task.collectable import collect_fix, uncollected_test_files

__all__ = [
    "ENVIRONMENT_GAPS",
    "Cause",
    "causes_of",
    "describe",
    "explain_flaky",
    "install_fix",
    "missing_module_problem",
    "missing_modules",
    "nothing_collected_problem",
    "own_suites_hint",
    "service_problem",
    "unreachable_services",
    "xfail_calls_hint",
]

_NO_MODULE = re.compile(r"ModuleNotFoundError: No module named '(?P<name>[\w.]+)'")
# What a client library says when the host it was given does not resolve or does not answer.
_NETWORK = re.compile(
    r"could not translate host name|Name or service not known|nodename nor servname|Temporary failure in name "
    r"resolution|getaddrinfo failed|Connection refused|Error -?\d+ connecting to|No route to host|timed out|"
    r"(?:could not|cannot|can't|unable to) connect|not available|unavailable|not running|not reachable",
    re.IGNORECASE,
)
_PRUNED = {".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache"}
ENVIRONMENT_GAPS = ("MISSING_MODULE", "SERVICE_UNAVAILABLE")  # codes after which no instance list is written
_SHOWN = 3  # causes per problem on the console; the report's tests carry each one's whole text
_REQUIREMENT_FILES = ("requirements.txt", "requirements-dev.txt", "requirements-test.txt", "pyproject.toml")


@dataclass(frozen=True)
class Cause:
    """One place where tests fail, and the tests that fail there."""

    site: Site
    tests: tuple[str, ...]


def causes_of(runs: Sequence[RunResults], nodeids: Iterable[str], *, root: str) -> list[Cause]:
    """Group ``nodeids`` by where their first non-passing record in ``runs`` was raised, most tests first."""
    grouped: dict[Site, list[str]] = {}
    for nodeid in nodeids:
        record = next(
            (r for run in runs if (r := run.tests.get(nodeid)) is not None and not r.outcome.is_pass and r.message),
            None,
        )
        if record is not None:
            grouped.setdefault(failure_site(record.message, root=root), []).append(nodeid)
    ordered = sorted(grouped.items(), key=lambda item: (-len(item[1]), str(item[0])))
    return [Cause(site, tuple(sorted(ids))) for site, ids in ordered]


def describe(causes: Sequence[Cause]) -> list[str]:
    """Return the message lines of ``causes``: ``    | N x file:line: Exception: text``, the commonest first."""
    lines = [f"{len(c.tests)} x {c.site}" for c in causes[:_SHOWN]]
    if len(causes) > _SHOWN:
        lines.append(f"and {len(causes) - _SHOWN} more cause(s): see the failure text of each test in the report")
    return [f"    | {line}" for line in lines]


def missing_modules(runs: Mapping[str, Sequence[RunResults]], root: Path) -> dict[str, dict[str, int]]:
    """Return ``{module: {side: tests or files}}`` for modules the runs could not import and nothing provides.

    A module counts as missing from the environment when no folder of the task holds it (a task's own
    module missing from a side is the before side's normal state, or an import-path problem) and this
    interpreter cannot find it either.
    """
    seen: dict[str, dict[str, int]] = {}
    for side, side_runs in runs.items():
        per_side: dict[str, set[str]] = {}
        for run in side_runs:
            texts = [(r.nodeid, r.message) for r in run.tests.values() if not r.outcome.is_pass]
            texts += [(e.nodeid or "<conftest>", e.message) for e in run.collect_errors]
            for key, text in texts:
                for match in _NO_MODULE.finditer(text):
                    per_side.setdefault(match["name"].split(".", 1)[0], set()).add(key)
        for module, keys in per_side.items():
            seen.setdefault(module, {})[side] = len(keys)
    if not seen:
        return {}
    own = _task_module_names(root)
    return {m: sides for m, sides in sorted(seen.items()) if m not in own and not _importable(m)}


def missing_module_problem(missing: Mapping[str, Mapping[str, int]], root: Path) -> Problem | None:
    """Return MISSING_MODULE for modules the environment lacks (``missing_modules``), or None.

    An error: what fails for want of a package says nothing about the sides, and on before alone it turns
    tests into FAIL_TO_PASS that the task's own image would not.
    """
    if not missing:
        return None
    parts = [f"{module!r} ({_per_side(sides)})" for module, sides in missing.items()]
    return Problem(
        "MISSING_MODULE",
        Severity.ERROR,
        "tests or test files fail to import module(s) that neither the task holds nor this environment has: "
        + "; ".join(parts)
        + "; their outcomes say nothing about the sides",
        install_fix(missing, root),
    )


def nothing_collected_problem(runs: Sequence[RunOutcome], root: Path) -> Problem | None:
    """Return one NO_TESTS problem when every run of both sides finished and none collected a test, or None.

    One cause for all the runs, instead of a RUN_FAILED each; the usual one on real tasks is a test file
    whose name pytest's ``python_files`` does not match (``tests/test.py``, run by unittest).
    """
    if not runs or any(o.results is None or o.results.tests or o.results.collect_errors for o in runs):
        return None
    files = uncollected_test_files(root)
    if files:
        shown = ", ".join(str(f.relative_to(root)) for f in files[:3])
        why = f"; {shown} hold(s) tests, but pytest does not collect files by that name"
        fix = collect_fix(root, files)
    else:
        why = ""
        fix = "make the runs collect the tests: check testpaths, python_files, -k, -m and the paths given"
    return Problem("NO_TESTS", Severity.ERROR, f"none of the {len(runs)} runs collected a test{why}", fix)


def unreachable_services(runs: Mapping[str, Sequence[RunResults]], root: Path) -> dict[str, tuple[str, dict[str, int]]]:
    """Return ``{service: (image, {side: tests})}`` for the task's compose image services tests could not reach.

    A failure or skip counts when its text says a host did not resolve or answer, or that something is not
    available, and names the service (``Skipped: Redis not available``, ``could not translate host name "db"``).
    """
    images = compose_images(root)
    if not images:
        return {}
    names = {name: re.compile(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", re.IGNORECASE) for name in images}
    found: dict[str, dict[str, int]] = {}
    for side, side_runs in runs.items():
        per_side: dict[str, set[str]] = {}
        for run in side_runs:
            for record in run.tests.values():
                if record.outcome.is_pass or not _NETWORK.search(record.message):
                    continue
                for name, pattern in names.items():
                    if pattern.search(record.message):
                        per_side.setdefault(name, set()).add(record.nodeid)
        for name, ids in per_side.items():
            found.setdefault(name, {})[side] = len(ids)
    return {name: (images[name], sides) for name, sides in sorted(found.items())}


def service_problem(unreachable: Mapping[str, tuple[str, Mapping[str, int]]]) -> Problem | None:
    """Return SERVICE_UNAVAILABLE for compose services the tests need and could not reach, or None."""
    if not unreachable:
        return None
    parts = [f"{name!r} (image {image}; {_per_side(sides)})" for name, (image, sides) in unreachable.items()]
    first = next(iter(unreachable))
    return Problem(
        "SERVICE_UNAVAILABLE",
        Severity.ERROR,
        "tests fail to reach the compose service(s) the task runs beside them: "
        + "; ".join(parts)
        + "; their outcomes say nothing about the sides",
        f"run the split where the service answers by that name, inside the task's compose network "
        f"(`docker compose up -d {first}`, then `docker compose run --rm <service> pytest --before --after`), "
        "or start it here and point the tests' host variables at it",
    )


def own_suites_hint(split: Split) -> str | None:
    """Return the NO_FAIL_TO_PASS fix for a task whose tests live in the side folders, each side's own, or None.

    gtguard collects one side's folder on that side only, so ``repository_before/tests`` and
    ``repository_after/tests`` (a refactor that keeps each side's suite) never run on both sides: there is
    nothing for FAIL_TO_PASS to name.
    """
    own: dict[str, int] = {}
    shared = 0
    for test in split.tests.values():
        folder = test.nodeid.split("/", 1)[0]
        if folder.startswith("repository_") and "missing" in {o.value for o in (*test.before, *test.after)}:
            own[folder] = own.get(folder, 0) + 1
        elif test.category is not Category.SIDE_INDEPENDENT:
            shared += 1
    if not own or shared:
        return None
    where = ", ".join(f"{n} in {folder}/" for folder, n in sorted(own.items()))
    return (
        f"the tests live in the side folders ({where}) and each side runs only its own, so no test runs on both "
        "sides: put the tests meant for both sides under tests/ (or set gtguard_expect_f2p = false for a refactor "
        "whose suites only have to pass on their own side)"
    )


def xfail_calls_hint(split: Split, before: Sequence[RunResults]) -> str | None:
    """Return the NO_FAIL_TO_PASS fix for tests that call ``pytest.xfail()`` on before and pass on after, or None.

    Such a test stops at the call, before it checks anything, so its before runs show nothing (esjdzl: all 8
    tests); a marker's xfail runs the test and counts as failing there (docs/split.md).
    """
    ids = [
        t.nodeid
        for t in split.tests.values()
        if t.category is Category.OTHER
        and t.after
        and all(o.is_pass for o in t.after)
        and any(called_xfail(r) for run in before if (r := run.tests.get(t.nodeid)) is not None)
    ]
    if not ids:
        return None
    return (
        f"{len(ids)} test(s) call pytest.xfail() on before (e.g. {sorted(ids)[0]}) and stop there, before checking "
        "anything: let them run their check on before, and fail (drop the call, or use "
        "@pytest.mark.xfail(condition, strict=True), whose test runs)"
    )


def explain_flaky(problem: Problem, outcomes: Sequence[RunOutcome], *, root: str) -> Problem:
    """Return FLAKY with one line per flaky test (three at most): how its runs differ, and where it failed.

    A test that passes in pytest's own order (run 1) and fails in every shuffled run, or the reverse,
    depends on what another test leaves behind: its order, not chance. When run 1 was the traced run
    (slower), a test failing only there is a timing case, not an order one.
    """
    lines = []
    for nodeid in problem.tests[:_SHOWN]:
        for side in ("before", "after"):
            runs = sorted((o for o in outcomes if o.spec.side == side and o.results), key=lambda o: o.spec.index)
            records = [(o, o.results.tests.get(nodeid)) for o in runs if o.results is not None]
            passes = [r is not None and r.outcome.is_pass for _, r in records]
            if len(set(passes)) < 2:
                continue
            first, shuffled = passes[0], set(passes[1:])
            if len(shuffled) == 1 and first not in shuffled and not (records[0][0].spec.trace and not first):
                how = "passes" if first else "fails"
                why = (
                    f"{how} in pytest's order (run 1) and {'fails' if first else 'passes'} in every shuffled run: "
                    "it depends on what another test leaves behind"
                )
            else:
                why = "passes in runs " + ", ".join(
                    str(o.spec.index + 1) for (o, _), ok in zip(records, passes, strict=True) if ok
                )
            failed = next((r for _, r in records if r is not None and not r.outcome.is_pass and r.message), None)
            where = f"; {failure_site(failed.message, root=root)}" if failed is not None else ""
            lines.append(f"    | {nodeid} ({side}): {why}{where}")
    if not lines:
        return problem
    return dataclasses.replace(problem, message="\n".join([problem.message, *lines]))


def _per_side(counts: Mapping[str, int]) -> str:
    """Return ``8 on after, 3 on before``."""
    return ", ".join(f"{n} on {side}" for side, n in sorted(counts.items()))


def install_fix(modules: Iterable[str], root: Path) -> str:
    """Return how to give the environment ``modules``: the task's requirement file when it has one."""
    names = ", ".join(repr(m) for m in modules)
    declared = next((name for name in _REQUIREMENT_FILES if (root / name).is_file()), None)
    if declared == "pyproject.toml":
        how = "install the task's dependencies (pip install -e . or the tool its pyproject.toml uses)"
    elif declared is not None:
        how = f"install the task's requirements (pip install -r {declared})"
    else:
        how = "install the packages the task needs (it declares none: add a requirements.txt)"
    return f"{how} in the environment that runs the split, so that {names} can be imported, then split again"


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken module spec is the environment's problem too
        return False


def _task_module_names(root: Path) -> set[str]:
    """Return every module or package name a file or folder of the task could provide."""
    names: set[str] = set()
    for _folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _PRUNED and not d.startswith(".")]
        names.update(dirs)
        names.update(f[:-3] for f in files if f.endswith(".py"))
        names.update(f.split(".", 1)[0] for f in files if f.endswith((".so", ".pyd")))
    return names
