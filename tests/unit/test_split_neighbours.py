"""The neighbour plugins' options a split's runs get (split.neighbours, split.config.neighbour_args)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gtguard._xdist import workers_count
from pytest_gtguard.split.config import neighbour_args
from pytest_gtguard.split.neighbours import random_seed, sort_args
from pytest_gtguard.split.runner import TraceOnReach, command, plan_runs


@pytest.mark.parametrize(
    ("args", "kept", "workers"),
    [
        (["-n", "2", "-q"], ["-q"], "2"),
        (["-n2", "-x"], ["-x"], "2"),
        (["--numprocesses=auto", "tests"], ["tests"], "auto"),
        (["--dist", "loadscope", "-d", "--tx", "popen", "-k", "add"], ["-k", "add"], None),
    ],
)
def test_xdist_options_are_taken_out_and_n_is_kept(args: list[str], kept: list[str], workers: str | None) -> None:
    got = sort_args(args)

    assert list(got.args) == kept
    assert got.workers == workers


def test_cov_takes_its_optional_value_as_argparse_does() -> None:
    got = sort_args(["--cov", "src", "--cov", "--no-cov-on-fail", "--cov-report=term", "tests/"])

    assert got.args == ("tests/",)
    assert got.cov == ("--cov src", "--cov", "--no-cov-on-fail", "--cov-report=term")


def test_a_users_randomly_seed_is_taken_out() -> None:
    got = sort_args(["--randomly-seed", "5", "-q"])

    assert (got.args, got.randomly_seed) == (("-q",), "5")


def test_n_sets_the_runs_at_once_unless_jobs_does() -> None:
    from_n = neighbour_args(["-n", "3"], jobs=None)
    with_jobs = neighbour_args(["-n", "3"], jobs=1)

    assert (from_n.args, from_n.jobs) == (("-n", "0"), 3)
    assert from_n.notes == ("gtguard: -n 3 → 3 split runs in parallel, no xdist workers",)
    assert with_jobs.jobs == 1 and "--gtguard-jobs 1" in with_jobs.notes[0]


def test_cov_asked_in_the_ini_gives_the_runs_no_cov() -> None:
    got = neighbour_args(["-q"], jobs=None, cov=True)

    assert got.args == ("-q", "--no-cov")
    assert got.notes[0].startswith("gtguard: --cov ignored under the split")


@pytest.mark.parametrize(("value", "count"), [(2, 2), ("4", 4), (0, None), (None, None), ("bogus", None)])
def test_workers_count(value: object, count: int | None) -> None:
    assert workers_count(value) == count


def test_every_run_gets_its_randomly_seed_and_keeps_the_splits_order(tmp_path: Path) -> None:
    specs = plan_runs(2, 7, randomly=True)

    assert [(s.side, s.index, s.random_seed) for s in specs] == [
        ("before", 0, 7000),
        ("after", 0, 7000),
        ("before", 1, 7001),
        ("after", 1, 7001),
    ]
    assert random_seed(7, 1) == 7001
    cmd = command(specs[2], ["-q"], tmp_path / "r.json")
    assert cmd[-2:] == ["--randomly-seed=7001", "--randomly-dont-reorganize"]
    assert all(s.random_seed is None for s in plan_runs(2, 7))


def test_an_added_traced_run_repeats_run_0s_randomly_seed() -> None:
    from pytest_gtguard.results import RunResults
    from pytest_gtguard.split.runner import RunOutcome

    planned = plan_runs(1, 3, sides=("after",), trace=False, watch=True, randomly=True)
    results = RunResults("after", 0, reached=["before"])
    queue = TraceOnReach(3, planned)(RunOutcome(planned[0], 0, results, "", "", 0.1), [])

    assert [(s.trace, s.random_seed) for s in queue] == [(True, 3000)]


def test_gtguard_split_reads_pytest_addopts_as_pytest_does() -> None:
    from pytest_gtguard.split.config import cli_neighbour_args

    blocked = cli_neighbour_args(["-q"], [], jobs=None, environ={"PYTEST_ADDOPTS": "-p no:randomly -n 2"})
    in_ini = cli_neighbour_args([], ["--cov=src"], jobs=None, environ={})

    assert (blocked.randomly, blocked.jobs, blocked.args) == (False, 2, ("-q", "-n", "0"))
    assert in_ini.args[-1] == "--no-cov"
