"""Hypothesis under gtguard: derandomized, no example database, no deadline in every run gtguard judges.

The task's bug shows on a rare input only (about 1 in 85), so a random search finds it in some runs and
not in others, and a failure once found is replayed from ``.hypothesis/`` by every later run. Under the
policy every run draws the same examples, whatever its hash seed, test order or history.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import hypothesis  # noqa: F401 - imported once here: pytester unloads modules a run imports first
import pytest
from hypothesis import settings

from conftest import build_task
from pytest_gtguard.cli import ExitCode, main
from pytest_gtguard.reward import GradeOptions, Status, grade_many


@pytest.fixture(autouse=True)
def _hypothesis_outside_ci(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Compare with Hypothesis's default profile, in CI too.

    Hypothesis loads its derandomized ``ci`` profile when CI (or TF_BUILD) is set, as it is in .ci/run:
    the runs without the policy would then be derandomized by Hypothesis itself. Fresh processes get the
    variables removed, in-process runs the default profile.
    """
    for name in ("CI", "TF_BUILD"):
        monkeypatch.delenv(name, raising=False)
    previous = settings.get_current_profile_name()
    settings.load_profile("default")
    yield
    settings.load_profile(previous)


RARE_BUG = """
import hashlib


def scramble(n):
    if hashlib.sha256(str(n).encode()).digest()[0] < 3:  # a rare input comes back wrong
        return n + 1
    return n
"""
FIXED = "def scramble(n):\n    return n\n"
TESTS = {
    "test_calc.py": """
        from hypothesis import given, settings, strategies as st

        from calc import scramble


        @given(st.integers(min_value=10**6, max_value=10**12))
        def test_scramble_is_identity(n):
            assert scramble(n) == n


        def test_policy_in_force():
            assert settings.default.derandomize and settings.default.database is None
    """
}


def _task(root: Path, **kwargs: object) -> Path:
    return build_task(root, before={"calc.py": RARE_BUG}, after={"calc.py": FIXED}, tests=TESTS, **kwargs)  # type: ignore[arg-type]


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if "__pycache__" not in p.parts}


@pytest.mark.parametrize("seed", ["0", "7"])
def test_hypothesis_split_gives_the_rare_bug_the_same_outcome_in_every_run(
    pytester: pytest.Pytester, seed: str
) -> None:
    task = _task(pytester.path, ini="testpaths = tests")
    files = _files(task)
    report = task.parent / f"report-{seed}.json"

    result = pytester.runpytest(
        *("--before", "--after", "-p", "no:cacheprovider", "--gtguard-runs", "3", "--gtguard-seed", seed),
        *("--gtguard-report", str(report)),
    )

    result.stdout.fnmatch_lines(["gtguard: hypothesis derandomized, no example database, no deadline*"])
    data = json.loads(report.read_text())
    runs = {
        (side, test["nodeid"].rsplit("::", 1)[-1]): test["outcomes"]
        for side in ("before", "after")
        for test in data["results"][side]["tests"]
    }
    assert runs == {
        ("before", "test_scramble_is_identity"): ["failed"] * 3,
        ("before", "test_policy_in_force"): ["passed"] * 3,
        ("after", "test_scramble_is_identity"): ["passed"] * 3,
        ("after", "test_policy_in_force"): ["passed"] * 3,
    }
    assert data["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_scramble_is_identity"]
    assert data["split"]["flaky"] == {}
    # No .hypothesis/ (database, constants cache) in the task; other plugins' folders are theirs.
    assert {f for f in _files(task) - files if ".hypothesis" in f} == set()


def test_hypothesis_side_run_layers_the_policy_on_the_tasks_own_profiles(pytester: pytest.Pytester) -> None:
    # tests/conftest.py is imported before pytest configures; tests/sub/conftest.py during collection.
    profile = "from hypothesis import settings\nsettings.register_profile({0!r}, max_examples={1}, deadline=50)\n"
    profile += "settings.load_profile({0!r})\n"
    check = """
        from datetime import timedelta
        from hypothesis import given, settings, strategies as st


        @given(st.integers())
        def test_task_settings_kept(n):
            assert settings.default.max_examples == {0}
            assert settings.default.derandomize and settings.default.deadline is None


        @settings(deadline=500)
        @given(st.integers())
        def test_explicit_setting_wins(n):
            assert settings.default.deadline == timedelta(milliseconds=500) and settings.default.derandomize
    """
    build_task(
        pytester.path,
        before={},
        after={},
        tests={
            "conftest.py": profile.format("task", 7),
            "test_top.py": check.format(7),
            "z_sub/conftest.py": profile.format("sub", 9),  # collected after test_top.py
            "z_sub/test_sub.py": check.format(9),
        },
    )
    outer = settings.get_current_profile_name()
    try:
        result = pytester.runpytest("--after", "tests")

        result.assert_outcomes(passed=4)
        # The policy is undone (the task's own profile stays loaded: pytester runs share Hypothesis).
        assert settings.get_current_profile_name() == "task"
    finally:
        settings.load_profile(outer)


@pytest.mark.parametrize(
    ("args", "ini", "derandomized"),
    [
        pytest.param([], "", False, id="plain-run-keeps-random-search"),
        pytest.param(["--gtguard-hypothesis", "on"], "", True, id="on-in-a-plain-run"),
        pytest.param(["--after"], "gtguard_hypothesis = off", False, id="task-turns-it-off"),
        pytest.param(["--after", "--gtguard-hypothesis", "off"], "gtguard_hypothesis = on", False, id="cli-over-ini"),
    ],
)
def test_hypothesis_policy_follows_auto_on_off(
    pytester: pytest.Pytester, args: list[str], ini: str, derandomized: bool
) -> None:
    test = "from hypothesis import settings\n\ndef test_mode():\n    assert settings.default.derandomize is {}\n"
    build_task(pytester.path, before={}, after={}, tests={"test_mode.py": test.format(derandomized)}, ini=ini)

    result = pytester.runpytest(*args, "tests")

    result.assert_outcomes(passed=1)
    assert ("gtguard: hypothesis derandomized" in result.stdout.str()) is derandomized


def test_hypothesis_policy_bad_value_is_a_usage_error_naming_its_source(pytester: pytest.Pytester) -> None:
    tests = {"test_a.py": "def test_a():\n    pass\n"}
    build_task(pytester.path, before={}, after={}, tests=tests, ini="gtguard_hypothesis = sometimes")

    result = pytester.runpytest("--after", "tests")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini key gtguard_hypothesis: got 'sometimes'; pass auto, on or off*"])


EXAMPLES = """
import pytest
from hypothesis import given, strategies as st

seen = []


@given(st.integers(min_value=0, max_value=10**9))
def draw(n):
    seen.append(n)


@pytest.mark.determinism(runs=2, sources=False)
def test_examples(gtguard_output):
    draw()
    gtguard_output(seen)
"""


@pytest.mark.parametrize(("mode", "outcome"), [("auto", "passed"), ("off", "failed")])
def test_hypothesis_determinism_reruns_draw_the_sessions_examples(
    pytester: pytest.Pytester, mode: str, outcome: str
) -> None:
    # The re-runs vary the hash seed, the random seed and the test order; under the policy they draw the
    # examples the session drew. With it off, each process searches at random: a difference.
    build_task(pytester.path, before={}, after={}, tests={"test_drawn_examples.py": EXAMPLES})

    result = pytester.runpytest("--after", "-p", "no:randomly", "--gtguard-hypothesis", mode, "tests")

    result.assert_outcomes(**{outcome: 1})
    if outcome == "failed":
        result.stdout.fnmatch_lines(["*determinism: test outcome via fresh-process re-run (gtguard_output*"])


META_SUITE = """
from hypothesis import given, settings, strategies as st

from calc import total


@given(st.lists(st.integers(), max_size=5))
def test_total_is_sum(values):
    assert settings.default.derandomize and settings.default.database is None
    assert total(values) == sum(values)
"""


def test_hypothesis_meta_runs_are_derandomized(pytester: pytest.Pytester) -> None:
    # The baseline and each mutant run in children forked from the collected session: a profile loaded
    # too late would fail the baseline on the ground truth.
    calc = "def total(values):\n    result = 0\n    for v in values:\n        result += v\n    return result\n"
    build_task(pytester.path, before={}, after={"calc.py": calc, "tests/test_calc.py": META_SUITE}, ini="")
    files = _files(pytester.path)

    result = pytester.runpytest("--meta", "-p", "no:cacheprovider", "--gtguard-meta-max-mutants", "2")

    result.stdout.fnmatch_lines(["*meta verdict: PASSED*"])
    assert result.ret == 0
    assert not {f for f in _files(pytester.path) - files if f.startswith(".hypothesis")}


def test_hypothesis_grade_gives_a_candidate_the_same_grade_every_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GTGUARD_CACHE_DIR", str(tmp_path / "cache"))
    task = _task(tmp_path / "task", ini="testpaths = tests")
    buggy = build_task(tmp_path / "buggy", ini=None, root_files={"calc.py": RARE_BUG})
    files = _files(task)
    options = GradeOptions(use_cache=False, mutants=0, heldouts=0, timeout=120)

    grades = [grade_many(task, [buggy], options=options)[0] for _ in range(2)]

    assert [(g.status, g.tests["tests/test_calc.py::test_scramble_is_identity"]) for g in grades] == [
        (Status.UNRESOLVED, "failed")
    ] * 2
    assert {g.tests["tests/test_calc.py::test_policy_in_force"] for g in grades} == {"passed"}
    assert main(["grade", "--json", str(task), str(task / "repository_after")]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["status"] == "resolved"
    assert _files(task) == files


def test_hypothesis_policy_apply_is_undone_by_restore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hypothesis import configuration
    from hypothesis.internal.conjecture import providers

    from pytest_gtguard.hypothesis_policy import policy

    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    outer, lookup = settings.get_current_profile_name(), providers._get_local_constants
    home = configuration.storage_directory("x", intent_to_write=False).home_directory

    applied = policy.apply()
    try:
        assert settings.get_current_profile_name() == "gtguard" and settings.default.derandomize
        assert len(providers._get_local_constants()) == 0  # no draws from the constants of local modules
        assert configuration.storage_directory("x", intent_to_write=False).home_directory == policy.storage_dir()
    finally:
        applied.restore()

    assert settings.get_current_profile_name() == outer and providers._get_local_constants is lookup
    assert configuration.storage_directory("x", intent_to_write=False).home_directory == home
