"""Grade candidates: prepare the task once (the ground truth's run, cached), then run each candidate.

``prepare`` runs the ground truth in the same sandbox a candidate gets, with every canary the tests
allow: the tests it passes become the expected set (unless the instance lists them), the canaries it
fails are the ones that can be trusted, and the signals it raises are not held against candidates.
The result is cached by a fingerprint of the task, the interpreter and gtguard, so an RL loop that
grades one task a million times runs its ground truth once.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from pytest_gtguard.errors import ConfigError, GtguardError
from pytest_gtguard.reward import canaries as canary_mod
from pytest_gtguard.reward import heldout, trial, tripwires, verdict
from pytest_gtguard.reward.canaries import Canary
from pytest_gtguard.reward.model import Grade, Isolation, Signal, Status, reward_for
from pytest_gtguard.reward.sandbox import Limits, SandboxUnavailable, can_drop_privileges, choose_isolation
from pytest_gtguard.reward.workspace import TaskFiles
from pytest_gtguard.split.instance import LIST_KEYS, load_instance, resolve_id
from pytest_gtguard.task.patch import PATCH_SUFFIXES, PatchError, apply_patch, filter_sections
from pytest_gtguard.task.trees import copy_tree

__all__ = ["GradeOptions", "Prepared", "TaskNotGradable", "grade", "grade_many", "iter_grades", "prepare"]

_CACHE_FORMAT = 2


class TaskNotGradable(GtguardError):
    """The task cannot be graded: no ground truth, or a ground truth that does not pass."""


@dataclass(frozen=True)
class GradeOptions:
    """How to grade (every field has the command line's default)."""

    timeout: float = 600.0
    tests: Path | None = None
    isolation: str = "auto"
    jobs: int = 1
    memory_mb: int = 8192
    rewards: Mapping[Status, float] | None = None
    cache_dir: Path | None = None  # None: $GTGUARD_CACHE_DIR, else ~/.cache/gtguard; skipped when unwritable
    use_cache: bool = True
    mutants: int = 4  # mutant canaries planted per run (from those the ground truth fails)
    heldouts: int = 4  # held-out canaries planted per run (from those the ground truth passes)
    hidden: tuple[Path, ...] = ()  # more folders the candidate must not see (other candidates, datasets)

    @property
    def limits(self) -> Limits:
        """Return the rlimits of one run."""
        return Limits(timeout=self.timeout, memory_mb=self.memory_mb)


@dataclass(frozen=True)
class Prepared:
    """A task ready for grading."""

    files: TaskFiles
    isolation: Isolation
    sources: Mapping[str, str]
    expected: tuple[str, ...]
    canaries: tuple[Canary, ...]
    baseline: frozenset[tuple[str, str]]
    static_baseline: tuple[Signal, ...]
    notes: tuple[Signal, ...] = ()  # about the task, repeated on every grade (instance lists set aside)
    hidden: tuple[Path, ...] = field(default=())


def _test_sources(files: TaskFiles) -> dict[str, str]:
    found = {}
    for path in sorted(files.tests.rglob("*.py")):
        if "__pycache__" not in path.parts:
            found[path.relative_to(files.tests).as_posix()] = path.read_text(encoding="utf-8", errors="replace")
    return found


def _cache_path(options: GradeOptions, fingerprint: str) -> Path:
    base = options.cache_dir or Path(
        os.environ.get("GTGUARD_CACHE_DIR")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gtguard"
    )
    return base / "grade" / f"{fingerprint}.json"


def _hidden(files: TaskFiles, options: GradeOptions, candidates: Sequence[Path], cache: Path) -> tuple[Path, ...]:
    paths = {files.root, files.tests, cache.parent, *options.hidden, *(c.resolve() for c in candidates)}
    return tuple(sorted(p for p in paths if p.exists()))


def prepare(task: Path, options: GradeOptions, *, candidates: Sequence[Path] = ()) -> Prepared:
    """Find the task's parts, and run (or load from the cache) the ground truth.

    Raises:
        ConfigError: the task or its tests are missing.
        SandboxUnavailable: the isolation level asked for cannot be had.
        TaskNotGradable: no ground truth, or it does not pass what the instance lists.
    """
    files = TaskFiles.find(task, tests=options.tests)
    if files.after is None:
        raise TaskNotGradable(
            f"{files.root}: no repository_after/; gtguard grade runs the ground truth once per task to learn the "
            "expected tests and check its canaries: add the ground truth"
        )
    isolation = choose_isolation(options.isolation)
    sources = _test_sources(files)
    fingerprint = files.fingerprint(sys.executable, isolation.value, str(options.tests or ""))
    cache = _cache_path(options, fingerprint)
    hidden = _hidden(files, options, candidates, cache)
    cached = _load(cache) if options.use_cache else None
    if cached is not None:
        return Prepared(files, isolation, sources, *cached, hidden=hidden)
    rng = random.Random(fingerprint)
    found = [*canary_mod.find_canaries(sources), *canary_mod.find_probes(sources)]
    facts, static, planted = _ground_truth_run(files, sources, found, isolation, options, hidden, rng)
    canary_ids = tuple(p.nodeid for p in planted)
    passed = [
        n
        for n in facts.observed.phases
        if facts.observed.outcome(n) == "passed" and not any(n == c or n.startswith(c + "[") for c in canary_ids)
    ]
    collected = [n for n in facts.observed.phases if not any(n == c or n.startswith(c + "[") for c in canary_ids)]
    expected, notes = _expected(files, passed, None if facts.observed.collect_errors else collected)
    kept = [
        p.canary
        for p in planted
        if p.canary.kind in ("mutant", "perf") and verdict.outcomes_of(facts.observed, [p.nodeid])[p.nodeid] != "passed"
    ]
    signals = list(verdict.run_signals(facts, planted))
    heldouts = [
        replace(p.canary, kind="heldout", expected=value)
        for p in planted
        if p.canary.kind == "probe" and (value := heldout.expected_literal(facts.observed.probes.get(p.nodeid, "")))
    ]
    if heldouts:  # a second run: keep the held-out copies the ground truth itself passes
        facts, _, planted = _ground_truth_run(files, sources, heldouts, isolation, options, hidden, rng)
        kept += [
            p.canary for p in planted if p.canary.kind == "heldout" and facts.observed.outcome(p.nodeid) == "passed"
        ]
        signals += verdict.run_signals(facts, planted)
    baseline = verdict.baseline_of([s for s in signals if s.code != "not-passed"])
    prepared = Prepared(
        files, isolation, sources, expected, tuple(kept), baseline, tuple(static), tuple(notes), hidden=hidden
    )
    if options.use_cache:
        _store(cache, prepared)
    return prepared


def _ground_truth_run(
    files: TaskFiles,
    sources: Mapping[str, str],
    canaries: Sequence[Canary],
    isolation: Isolation,
    options: GradeOptions,
    hidden: tuple[Path, ...],
    rng: random.Random,
) -> tuple[verdict.RunFacts, list[Signal], list[canary_mod.Planted]]:
    if files.after is None:  # pragma: no cover - prepare checked it
        raise TaskNotGradable(f"{files.root}: no repository_after/")
    planted_sources, planted = canary_mod.plant(sources, canaries, test_dir=files.tests.name, rng=rng)
    facts, static = trial.run_trial(files, files.after, planted_sources, isolation, options.limits, hidden)
    plain_passed = [
        p.nodeid for p in planted if p.canary.kind == "plain" and facts.observed.outcome(p.nodeid) == "passed"
    ]
    if not facts.observed.ended or plain_passed:
        why = facts.finished.stderr.strip().splitlines()[-3:] if not facts.observed.ended else plain_passed
        raise TaskNotGradable(f"{files.root}: the ground truth's run did not finish cleanly in the sandbox: {why}")
    return facts, static, planted


def _expected(files: TaskFiles, passed: list[str], collected: list[str] | None) -> tuple[tuple[str, ...], list[Signal]]:
    """Return the expected tests, and notes on instance lists that were set aside.

    ``collected``: every test id the ground truth's run collected (None when a module failed to import).
    Lists that cannot be read, or of which no id names a test in the test folder (another task's lists,
    or the solution's own suite), are set aside for every test the ground truth passes, a stricter set.
    A list that names some real tests and some that fail or do not exist is refused: it is half right.
    """
    listed: list[str] = []
    notes: list[Signal] = []
    if files.instance is not None:
        try:
            instance = load_instance(files.instance)
        except ConfigError as exc:
            notes.append(Signal("instance-ignored", f"{exc}; graded against every test the ground truth passes"))
        else:
            listed = [item for key in LIST_KEYS for item in instance.listed(key)]
    if listed and collected is not None and not any(resolve_id(item, collected) for item in listed):
        notes.append(
            Signal(
                "instance-ignored",
                f"{files.instance}: none of its {len(listed)} listed ids names a test in {files.tests.name}/ "
                f"(e.g. {listed[0]}); graded against every test the ground truth passes",
            )
        )
        listed = []
    if not listed:
        if not passed:
            raise TaskNotGradable(f"{files.root}: the ground truth passes no test, so no candidate could be rewarded")
        return tuple(sorted(passed)), notes
    expected: list[str] = []
    unknown = []
    for item in listed:
        ids = resolve_id(item, passed)
        if not ids:
            unknown.append(item)
        expected.extend(ids)
    if unknown:
        raise TaskNotGradable(
            f"{files.instance}: {len(unknown)} listed test(s) do not pass on the ground truth (or name no test): "
            f"{', '.join(unknown[:5])}; fix the lists with `pytest --before --after --gtguard-update-instance`"
        )
    return tuple(dict.fromkeys(expected)), notes


_Cached = tuple[tuple[str, ...], tuple[Canary, ...], frozenset[tuple[str, str]], tuple[Signal, ...], tuple[Signal, ...]]


def _load(cache: Path) -> _Cached | None:
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data.get("format") != _CACHE_FORMAT:
            return None
        return (
            tuple(data["expected"]),
            tuple(Canary(**c) for c in data["canaries"]),
            frozenset((c, d) for c, d in data["baseline"]),
            tuple(Signal(c, d) for c, d in data["static"]),
            tuple(Signal(c, d) for c, d in data["notes"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store(cache: Path, prepared: Prepared) -> None:
    data = {
        "format": _CACHE_FORMAT,
        "task": str(prepared.files.root),
        "expected": list(prepared.expected),
        "canaries": [c.__dict__ for c in prepared.canaries],
        "baseline": sorted(prepared.baseline),
        "static": [[s.code, s.detail] for s in prepared.static_baseline],
        "notes": [[s.code, s.detail] for s in prepared.notes],
    }
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=".grade-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(tmp, cache)
    except OSError:
        pass  # a read-only home: grading still works, it only reruns the ground truth next time


def grade_prepared(prepared: Prepared, candidate: Path, *, label: str, options: GradeOptions) -> Grade:
    """Grade one candidate of a prepared task."""
    start = time.monotonic()
    isolation = prepared.isolation.value

    def finish(status: Status, tests: Mapping[str, str], signals: Sequence[Signal]) -> Grade:
        signals = [*signals, *prepared.notes]
        if prepared.isolation is Isolation.PROCESS:
            signals = [*signals, Signal("weak-isolation", "no namespaces: see docs/reward.md for what stays open")]
        return Grade(
            label,
            status,
            reward_for(status, options.rewards),
            dict(tests),
            tuple(signals),
            isolation,
            time.monotonic() - start,
            str(prepared.files.root),
        )

    with tempfile.TemporaryDirectory(prefix="gtguard-candidate-") as tmp:
        try:
            tree, notes = _candidate_tree(prepared.files, candidate, Path(tmp))
        except _Invalid as exc:
            return finish(Status.INVALID, {}, [Signal("invalid", str(exc))])
        rng = random.Random(secrets.randbits(64))
        chosen = [c for c in prepared.canaries if c.kind == "perf"]
        mutants = [c for c in prepared.canaries if c.kind == "mutant"]
        chosen += rng.sample(mutants, min(options.mutants, len(mutants)))
        heldouts = [c for c in prepared.canaries if c.kind == "heldout"]
        chosen += rng.sample(heldouts, min(options.heldouts, len(heldouts)))
        sources, planted = canary_mod.plant(prepared.sources, chosen, test_dir=prepared.files.tests.name, rng=rng)
        try:
            facts, static = trial.run_trial(
                prepared.files, tree, sources, prepared.isolation, options.limits, prepared.hidden
            )
        except SandboxUnavailable as exc:
            return finish(Status.ERROR, {}, [Signal("sandbox", str(exc))])
    static = tripwires.without_baseline([*static, *notes], prepared.static_baseline)
    status, tests, signals = verdict.decide(
        prepared.expected, facts, planted, static=static, baseline=prepared.baseline
    )
    return finish(status, tests, signals)


class _Invalid(Exception):
    pass


def _candidate_tree(files: TaskFiles, candidate: Path, tmp: Path) -> tuple[Path, list[Signal]]:
    if candidate.is_dir():
        return candidate, []
    if candidate.is_file() and candidate.suffix in PATCH_SUFFIXES:
        tree = tmp / "patched"
        if files.before is not None:
            copy_tree(files.before, tree)
        tree.mkdir(exist_ok=True)
        kept, _ = filter_sections(candidate.read_bytes())
        notes = []
        if kept != candidate.read_bytes() and b"tests/" in candidate.read_bytes():
            notes.append(Signal("patch-touches-tests", "hunks outside the solution folder were dropped"))
        try:
            apply_patch(kept, tree)
        except PatchError as exc:
            raise _Invalid(f"{candidate}: the patch does not apply to repository_before: {exc}") from None
        return tree, notes
    what = "no such file or folder" if not candidate.exists() else "neither a folder nor a .patch/.diff file"
    raise _Invalid(f"{candidate}: {what}; a candidate is a folder laid out like repository_after/ or a patch")


def iter_grades(
    task: Path,
    candidates: Sequence[Path],
    *,
    labels: Sequence[str] | None = None,
    options: GradeOptions = GradeOptions(),
) -> Iterator[Grade]:
    """Yield each candidate's grade in the order given, as soon as it and those before it are done.

    The task is prepared first (errors are raised before the first grade); ``options.jobs`` run at once.
    """
    prepared = prepare(task, options, candidates=candidates)
    names = list(labels) if labels is not None else [str(c) for c in candidates]
    jobs = max(1, options.jobs)
    if prepared.isolation is Isolation.PROCESS and not can_drop_privileges():
        jobs = 1  # the environment is writable to the runs: one at a time pins a change on its run

    def one(pair: tuple[Path, str]) -> Grade:
        return grade_prepared(prepared, pair[0], label=pair[1], options=options)

    return _in_pool(one, list(zip(candidates, names, strict=True)), jobs)


def _in_pool(one: Callable[[tuple[Path, str]], Grade], pairs: list[tuple[Path, str]], jobs: int) -> Iterator[Grade]:
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(one, pairs)


def grade_many(
    task: Path,
    candidates: Sequence[Path],
    *,
    labels: Sequence[str] | None = None,
    options: GradeOptions = GradeOptions(),
) -> list[Grade]:
    """Grade every candidate (``options.jobs`` at a time); the task is prepared once."""
    return list(iter_grades(task, candidates, labels=labels, options=options))


def grade(task: Path, candidate: Path, **options: object) -> Grade:
    """Grade one candidate against a task and return its ``Grade``.

    Keyword arguments are ``GradeOptions`` fields (``timeout``, ``tests``, ``isolation``, ...).
    """
    return grade_many(Path(task), [Path(candidate)], options=replace(GradeOptions(), **options))[0]  # type: ignore[arg-type]
