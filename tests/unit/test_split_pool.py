"""The zygote pool on its own: a zygote that cannot start fails its runs with a reason, never hangs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_gtguard.split.pool import CAN_FORK, ZygotePool
from pytest_gtguard.split.runner import plan_runs

pytestmark = pytest.mark.skipif(not CAN_FORK, reason="zygotes need os.fork")


def test_a_zygote_that_dies_at_start_fails_its_runs_with_its_output(tmp_path: Path) -> None:
    # `python -m` puts the working folder first on sys.path: this shadow package kills the zygote.
    (tmp_path / "pytest_gtguard").mkdir()
    (tmp_path / "pytest_gtguard" / "__init__.py").write_text("import sys\nprint('shadowed')\nsys.exit(7)\n")
    specs = plan_runs(1, seed=0, trace=False)

    with ZygotePool([0], env=dict(os.environ), cwd=tmp_path) as pool:
        outcomes = pool.run(specs, timeout=60, jobs=2)

    assert [(o.spec.side, o.results) for o in outcomes] == [("after", None), ("before", None)]
    for outcome in outcomes:
        assert outcome.error is not None
        assert "gtguard's zygote for PYTHONHASHSEED=0 ended (exit 7)" in outcome.error


def test_a_pool_runs_one_split_only(tmp_path: Path) -> None:
    with ZygotePool([0], env=dict(os.environ), cwd=tmp_path) as pool:
        pool.run([], timeout=60, jobs=2)
        with pytest.raises(RuntimeError, match="one split"):
            pool.run([], timeout=60, jobs=2)


def test_output_printed_in_a_zygote_does_not_garble_its_messages(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("print('hello from sitecustomize')\n")  # runs before the zygote's code
    task = tmp_path / "task"
    for side, body in (("repository_before", "return 0"), ("repository_after", "return 1")):
        (task / side).mkdir(parents=True)
        (task / side / "mod.py").write_text(f"def one():\n    {body}\n")
    (task / "tests").mkdir()
    (task / "tests" / "test_mod.py").write_text("from mod import one\n\ndef test_one():\n    assert one() == 1\n")
    env = {**os.environ, "PYTHONPATH": str(site)}

    with ZygotePool([0], env=env, cwd=task) as pool:
        outcomes = pool.run(plan_runs(1, seed=0, trace=False), timeout=60, jobs=2)

    by_side = {o.spec.side: o for o in outcomes}
    assert by_side["before"].results is not None and by_side["after"].results is not None, outcomes
    assert by_side["before"].results.tests["tests/test_mod.py::test_one"].outcome.value == "failed"
    assert by_side["after"].results.tests["tests/test_mod.py::test_one"].outcome.value == "passed"
