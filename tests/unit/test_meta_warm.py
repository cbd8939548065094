"""meta.warm: which imports the parent repeats before forking, and how alone runs are read."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pytest_gtguard.meta.execute import Status, Verdict
from pytest_gtguard.meta.warm import alone_findings, executed_imports, warm_imports

GROUND_TRUTH = """\
import json


def solve():
    import heavy_lib.core
    from numbers_x import parse
    return 1


def unused():
    import never_ran
    from . import sibling
"""


def test_warm_executed_imports_keeps_only_lines_the_baseline_ran(tmp_path: Path) -> None:
    source = tmp_path / "calc.py"
    source.write_text(GROUND_TRUTH)

    names = executed_imports([source], {str(source): {1: set(), 5: set(), 6: set()}})

    assert names == ["json", "heavy_lib.core", "numbers_x", "numbers_x.parse"]


def test_warm_executed_imports_without_coverage_takes_every_absolute_import(tmp_path: Path) -> None:
    source = tmp_path / "calc.py"
    source.write_text(GROUND_TRUTH)

    assert executed_imports([source], None) == ["json", "heavy_lib.core", "numbers_x", "numbers_x.parse", "never_ran"]


def test_warm_imports_loads_modules_and_skips_failures_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "gtg_warm_probe.py").write_text("print('loud import')\nVALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "gtg_warm_probe", raising=False)

    done = warm_imports(["json", "gtg_warm_probe", "gtg_warm_probe.VALUE", "gtg_no_such_module"])

    assert done == ["gtg_warm_probe"]
    assert "gtg_warm_probe" in sys.modules
    assert capsys.readouterr().out == ""
    sys.modules.pop("gtg_warm_probe", None)


def _verdict(key: str, status: Status) -> Verdict:
    return Verdict(key, status, None, 1, "", 0.1)


def test_warm_alone_findings_never_call_a_timeout_a_dependency() -> None:
    verdicts = [
        _verdict("t.py::test_ok", Status.SURVIVED),
        _verdict("t.py::test_needs_state", Status.KILLED),
        _verdict("t.py::test_slow", Status.TIMEOUT),
    ]

    lonely, found = alone_findings(verdicts, budget_s={"t.py::test_slow": 3.5})

    assert lonely == {"t.py::test_needs_state", "t.py::test_slow"}
    assert [(f.kind, f.test) for f in found] == [
        ("fails-alone", "t.py::test_needs_state"),
        ("slow-alone", "t.py::test_slow"),
    ]
    assert "side effects" in found[0].message
    assert "3.50 s" in found[1].message
    assert "says nothing about other tests' side effects" in found[1].message
