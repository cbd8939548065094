from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from pytest_gtguard.errors import ConfigError
from pytest_gtguard.reward.model import Grade, Signal, Status
from pytest_gtguard.task.calibrate import (
    AttemptResult,
    Verdict,
    attempt_dirs,
    calibrate,
    from_grade,
    judge,
    pass_at_k,
)


@pytest.mark.parametrize(("n", "c", "k", "expected"), [(5, 2, 1, 0.4), (5, 0, 3, 0.0), (5, 5, 1, 1.0), (5, 3, 3, 1.0)])
def test_calibrate_pass_at_k_known_values(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("n", "c", "k"), [(n, c, k) for n in range(1, 7) for c in range(n + 1) for k in range(1, n + 1)]
)
def test_calibrate_pass_at_k_matches_enumeration(n: int, c: int, k: int) -> None:
    samples = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    expected = sum(any(samples[i] for i in subset) for subset in subsets) / len(subsets)

    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_calibrate_pass_at_k_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError, match="0 <= c <= n"):
        pass_at_k(5, 6, 1)


@pytest.mark.parametrize(
    ("target", "reference", "verdict"),
    [
        ([True, True, True, True, True], [True], Verdict.TOO_HOT),
        ([True, True, True, True, False], [True], Verdict.TOO_HOT),
        ([True, True, True, False, False], [True], Verdict.GOLDILOCKS),
        ([False] * 5, [True], Verdict.GOLDILOCKS),
        ([True, False, False, False, False], [False], Verdict.TOO_COLD),
        ([True, False, False, False, False], [False, True], Verdict.GOLDILOCKS),
        ([False] * 5, [], Verdict.UNDECIDED),
        ([True] * 7 + [False] * 3, [True], Verdict.TOO_HOT),  # 70 % > 3/5
        ([True] * 6 + [False] * 4, [True], Verdict.GOLDILOCKS),  # 60 % is not above 3/5
    ],
    ids=["5of5", "4of5", "3of5", "0of5", "ref-fails", "one-ref-solves", "no-ref", "7of10", "6of10"],
)
def test_calibrate_judge_applies_the_handbook_thresholds(
    target: list[bool], reference: list[bool], verdict: Verdict
) -> None:
    assert judge(target, reference) is verdict


def test_calibrate_attempt_dirs_lists_folders_only(tmp_path: Path) -> None:
    for name in ("b", "a", ".hidden", "__pycache__"):
        (tmp_path / name).mkdir()
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "c.patch").write_text("")

    assert [p.name for p in attempt_dirs(tmp_path)] == ["a", "b", "c.patch"]


def test_calibrate_attempt_dirs_explains_a_bad_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such directory"):
        attempt_dirs(tmp_path / "missing")
    with pytest.raises(ConfigError, match="holds no attempts"):
        attempt_dirs(tmp_path)


def _grade(status: Status, tests: dict[str, str], *signals: Signal) -> Grade:
    return Grade("a1", status, 1.0 if status is Status.RESOLVED else -1.0, tests, signals)


def test_calibrate_counts_only_a_resolved_grade_as_a_pass(tmp_path: Path) -> None:
    result = from_grade(_grade(Status.RESOLVED, {"t::a": "passed", "t::b": "passed"}), tmp_path / "a1")

    assert result.passed and result.status == "resolved" and result.error is None
    assert result.counts == {"passed": 2}


def test_calibrate_tamper_is_not_an_honest_pass_even_with_every_test_passed(tmp_path: Path) -> None:
    canary = Signal("canary-passed", "tests/t.py::test_x must fail and was reported passed")
    result = from_grade(_grade(Status.TAMPER, {"t::a": "passed"}, canary), tmp_path / "a1.patch")

    assert not result.passed and result.name == "a1" and result.status == "tamper"
    assert result.error is not None and "canary-passed" in result.error


def test_calibrate_lists_the_expected_tests_that_did_not_pass(tmp_path: Path) -> None:
    tests = {"t::a": "passed", "t::b": "failed", "t::c": "skipped"}
    result = from_grade(_grade(Status.UNRESOLVED, tests, Signal("not-passed", "2 of 3")), tmp_path / "a1")

    assert not result.passed
    assert result.failing == ("t::b", "t::c")
    assert result.counts == {"passed": 1, "failed": 1, "skipped": 1}


def test_calibrate_reports_pass_at_k_and_verdict(tmp_path: Path) -> None:
    passing = {"a1", "a3", "ref"}

    def run(path: Path) -> AttemptResult:
        return AttemptResult(path.name, path, path.name in passing, {}, (), 0)

    attempts = [tmp_path / f"a{i}" for i in range(1, 6)]
    result = calibrate(tmp_path, attempts, [tmp_path / "ref"], ks=[3, 9], jobs=2, run=run)

    assert result.verdict is Verdict.GOLDILOCKS
    assert [a.name for a in result.attempts] == ["a1", "a2", "a3", "a4", "a5"]
    assert set(result.pass_at) == {1, 3, 5}
    assert result.pass_at[1] == pytest.approx(0.4)
    assert result.to_json()["target_passed"] == 2


def test_calibrate_refuses_a_verdict_when_no_attempt_could_be_graded(tmp_path: Path) -> None:
    def run(path: Path) -> AttemptResult:
        return from_grade(_grade(Status.ERROR, {}, Signal("sandbox", "cannot start the run: bwrap")), path)

    with pytest.raises(ConfigError, match=r"no attempt could be graded.*cannot start the run"):
        calibrate(tmp_path, [tmp_path / "a1", tmp_path / "a2"], run=run)
