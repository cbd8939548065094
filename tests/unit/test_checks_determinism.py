"""Unit tests for determinism re-runs (comparison, variants, canonical outputs), syntax and deps (issue 5)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from pytest_gtguard.checks.deps import declared, new_dependency_findings, normalise
from pytest_gtguard.checks.determinism import (
    RunResult,
    Variant,
    callable_name,
    canonical,
    compare_runs,
    uncomparable,
    variants,
)
from pytest_gtguard.checks.scope import Scope
from pytest_gtguard.checks.syntax import parse_version, syntax_findings
from pytest_gtguard.errors import InvalidMarker

V0, V1 = Variant(0, 0, 0.0), Variant(1, 1, 86_400.0)


def test_checks_canonical_ignores_set_order_not_list_order() -> None:
    assert canonical({"b", "a"}) == canonical({"a", "b"})
    assert canonical({"k": {1, 2}}) == canonical({"k": {2, 1}})
    assert canonical(["a", "b"]) != canonical(["b", "a"])


def test_checks_compare_runs_reports_each_differing_run() -> None:
    same = [RunResult(V0, True, [1, 2]), RunResult(V1, True, [1, 2])]
    differ = [RunResult(V0, True, [1, 2]), RunResult(V1, True, [2, 1])]
    error = [RunResult(V0, True, 1), RunResult(V1, False, None, "ValueError: x")]

    assert compare_runs(same) == []
    assert compare_runs(differ) == [
        "[1, 2] under PYTHONHASHSEED=0, random.seed(0), real clock, but [2, 1] under "
        "PYTHONHASHSEED=1, random.seed(1), clock +1.0 days"
    ]
    assert "error 'ValueError: x'" in compare_runs(error)[0]


class _Opaque:
    pass


@dataclasses.dataclass
class _Record:
    name: str


def test_checks_uncomparable_refuses_an_output_whose_repr_holds_a_memory_address() -> None:
    reason = uncomparable({"k": [1, _Opaque()]}, by_repr=True)

    assert reason is not None
    assert reason.startswith("the value['k'][1] is <")
    assert "memory address" in reason
    assert "cannot be compared across processes" in reason
    assert "record plain data" in reason
    assert "a __repr__ without its identity" in reason
    assert "nondetermin" not in reason


def test_checks_uncomparable_accepts_plain_data_and_stable_reprs() -> None:
    assert uncomparable({"a": (1, 2.5, None, True, b"x"), "s": {"x", "y"}}, by_repr=True) is None
    assert uncomparable([_Record("a")], by_repr=True) is None


def test_checks_uncomparable_by_equality_refuses_an_object_that_compares_by_identity() -> None:
    reason = uncomparable([_Opaque()], by_repr=False, where="the result")

    assert reason is not None
    assert reason.startswith("the result[0] is a ")
    assert "compares by identity" in reason
    assert "an __eq__" in reason


def test_checks_uncomparable_by_equality_accepts_dataclasses_and_functions() -> None:
    assert uncomparable([_Record("a"), canonical, dict, sys], by_repr=False) is None


def test_checks_variants_vary_every_axis() -> None:
    runs = variants(8)

    assert len(runs) == 8
    assert len({v.hash_seed for v in runs}) == 8
    assert len({v.random_seed for v in runs}) == 8
    assert len({v.time_offset for v in runs}) == 8


def test_checks_callable_name_rejects_lambdas() -> None:
    assert callable_name(canonical) == ("pytest_gtguard.checks.determinism", "canonical")
    with pytest.raises(ValueError, match="cannot be imported by name"):
        callable_name(lambda: 1)


@pytest.mark.parametrize("raw", ["3.9", " 3.10 ", "3.4"])
def test_checks_parse_version_accepts(raw: str) -> None:
    assert parse_version(raw, where="w")[0] == 3


@pytest.mark.parametrize("raw", ["2.7", "3.99", "3", "banana", "3.3"])
def test_checks_parse_version_rejects(raw: str) -> None:
    with pytest.raises(InvalidMarker, match="python_syntax version"):
        parse_version(raw, where="w")


def test_checks_syntax_findings_name_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "old.py").write_text("x = (y := 1)\n")
    (tmp_path / "new.py").write_text("try:\n    pass\nexcept* ValueError:\n    pass\n")
    scope = Scope.of([tmp_path])

    findings = syntax_findings(sorted(scope.files()), (3, 10), scope)

    # The try statement's line; a 3.10 interpreter cannot parse except* at all, so it names the clause.
    expected = 1 if sys.version_info >= (3, 11) else 3
    assert [(f.file.split("/")[-1], f.line) for f in findings] == [("new.py", expected)]


def test_checks_deps_read_requirements_and_pyproject(tmp_path: Path) -> None:
    (tmp_path / "requirements-dev.txt").write_text("# tools\n-r requirements.txt\nPyYAML>=6 ; python_version>'3'\n")
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["Flask_Login==0.6"]\n')
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "requirements.txt").write_text("ignored\n")

    assert sorted(r.name for r in declared(tmp_path)) == ["flask-login", "pyyaml"]
    assert normalise("Foo.Bar_baz") == "foo-bar-baz"


def test_checks_new_dependency_findings_compare_with_baseline(tmp_path: Path) -> None:
    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir()
    after.mkdir()
    (before / "requirements.txt").write_text("attrs\n")
    (after / "requirements.txt").write_text("attrs\nrich\n")
    (tmp_path / "requirements.txt").write_text("rich\n")

    assert new_dependency_findings(after, [before], base=tmp_path)[0].subject == "rich"
    assert new_dependency_findings(after, [before, tmp_path], base=tmp_path) == []
