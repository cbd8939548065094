"""What a perf gate shows: the end-of-run table, the run data's points, the HTML page, junit XML, xdist."""

from __future__ import annotations

import json
import re
import shutil
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import FakeClock

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork + /proc measurement")


GATES = """
import pytest
from pytest_gtguard import _timing

def linear(data):
    _timing.sleep(len(data) * 1e-7)

@pytest.mark.perf_gate(n=10**5, ms=20, complexity="O(n)")
def test_linear(perf):
    assert perf.measure(linear, setup=lambda n: [0] * n) is None

@pytest.mark.perf_gate(n=1000, ms=10)
def test_body():
    _timing.sleep(0.004)

@pytest.mark.parametrize("case", [1], ids=["<b>&amp"])
@pytest.mark.perf_gate(n=7, ms=5)
def test_escaped(case):
    _timing.sleep(0.001)
"""


def test_passing_gates_are_listed_in_a_table_at_the_end_of_the_run(
    pytester: pytest.Pytester, fake_clock: FakeClock
) -> None:
    pytester.makepyfile(GATES)

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "-* perf gates: 3 tests (best run at n) -*",
            "Name * n * CPU ms * budget ms * machine * exponent * verdict",
            "-----*",
            "test_passing_gates_are_listed_in_a_table_at_the_end_of_the_run.py::test_body * 1_000 * 4.00 * 10 "
            "* x1.00 * - * passed",
            "*::test_escaped[[]<b>&amp] * 7 * 1.00 * 5 * x1.00 * - * passed",
            "*::test_linear * 100_000 * 10.0 * 20 * x1.00 * 1.00 (max 1.5) * passed",
        ]
    )


def test_the_table_shows_failures_and_stays_with_q_but_not_with_qq(
    pytester: pytest.Pytester, fake_clock: FakeClock
) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_gtguard import _timing

        @pytest.mark.perf_gate(n=3, ms=1, repeats=2)
        def test_slow():
            _timing.sleep(0.005)
        """
    )

    quiet = pytester.runpytest("-p", "no:cacheprovider", "-q")
    quieter = pytester.runpytest("-p", "no:cacheprovider", "-qq")

    quiet.assert_outcomes(failed=1)
    quiet.stdout.fnmatch_lines(["*perf gates: 1 test*", "*::test_slow * 3 * 5.00 * 1 * x1.00 * - * FAILED: time"])
    assert quieter.ret == pytest.ExitCode.TESTS_FAILED
    quieter.stdout.no_fnmatch_line("*perf gates*")


def test_no_table_when_no_gate_ran(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    pass\n")

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*perf gates*")


def test_run_data_carries_the_sweep_points_and_the_machine_factor(
    pytester: pytest.Pytester, fake_clock: FakeClock
) -> None:
    pytester.makepyfile(GATES)

    reprec = pytester.inline_run("-p", "no:cacheprovider", "-k", "linear")

    props = dict(reprec.matchreport("test_linear").user_properties)["perf_gate"]
    assert [point["n"] for point in props["points"]] == [1000, 3162, 10000, 31623, 100000]
    assert [point["ms"] for point in props["points"]] == pytest.approx([0.1, 0.3162, 1.0, 3.1623, 10.0])
    assert props["slope"] == pytest.approx(1.0) and props["max_slope"] == 1.5
    assert props["machine_factor"] == 1.0
    assert json.loads(json.dumps(props)) == props


def test_junit_xml_gets_the_gate_data_as_json(pytester: pytest.Pytester, fake_clock: FakeClock) -> None:
    pytester.makepyfile(GATES)

    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "body", "--junitxml=junit.xml")

    result.assert_outcomes(passed=1)
    tree = ET.parse(pytester.path / "junit.xml")
    values = [p.get("value") or "" for p in tree.iter("property") if p.get("name") == "perf_gate"]
    assert len(values) == 1
    data = json.loads(values[0])
    assert data["outcome"] == "passed" and data["n"] == 1000 and data["best_ms"] == pytest.approx(4.0)


def test_html_page_plots_each_gate_with_budget_and_fitted_line(
    pytester: pytest.Pytester, fake_clock: FakeClock
) -> None:
    pytester.makepyfile(GATES)

    result = pytester.runpytest("-p", "no:cacheprovider", "--gtguard-perf-html", "out/perf.html")

    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["perf gates page: */out/perf.html"])
    page = (pytester.path / "out" / "perf.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    sections = {
        re.search(r"<h2>(.*?)</h2>", s).group(1): s  # type: ignore[union-attr]
        for s in page.split("<section>")[1:]
    }
    assert sorted(name.split("::")[1] for name in sections) == [
        "test_body",
        "test_escaped[&lt;b&gt;&amp;amp]",
        "test_linear",
    ]
    linear = next(s for name, s in sections.items() if name.endswith("test_linear"))
    assert linear.count('<circle class="point"') == 5
    assert '<line class="budget"' in linear and "<title>budget 20 ms</title>" in linear
    assert '<line class="fit"' in linear and "fitted: time ~ n^1.00" in linear
    body = next(s for name, s in sections.items() if name.endswith("test_body"))
    assert body.count('<circle class="point"') == 1 and '<line class="fit"' not in body  # one size: no fit
    assert "<b>&amp" not in page  # the test id is escaped everywhere


def test_html_page_without_gates_says_so(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    pass\n")

    pytester.runpytest("-p", "no:cacheprovider", "--gtguard-perf-html", "perf.html")

    assert "No perf gate ran in this session." in (pytester.path / "perf.html").read_text(encoding="utf-8")


def test_html_page_that_cannot_be_written_is_reported_and_fails_the_run(
    pytester: pytest.Pytester, fake_clock: FakeClock
) -> None:
    pytester.makepyfile(GATES)
    (pytester.path / "taken").write_text("a file, not a folder")

    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "body", "--gtguard-perf-html", "taken/perf.html")

    assert result.ret == pytest.ExitCode.INTERNAL_ERROR
    result.stdout.fnmatch_lines(
        ["gtguard: perf gates page not written: cannot write */taken/perf.html: *; a folder on the way is a file*"]
    )


XDIST_GATES = """
import pytest

@pytest.mark.perf_gate(n=10, ms=500)
def test_quick(perf):
    assert perf.measure(lambda data: sorted(data), setup=lambda n: list(range(n, 0, -1))) == list(range(1, 11))

@pytest.mark.perf_gate(n=1, ms=1)
def test_stopped(perf):
    result = perf.measure(lambda: sum(range(10**10)))
    assert result is not None  # the README's own assertion holds: no value came back, but a reason did
    assert result.gated is False
    assert result.reason.startswith("pytest-xdist worker: perf_gate: stopped at n=1 after ")
    assert "pass --gtguard-perf-strict to fail); no value came back" in result.reason

@pytest.mark.perf_gate(n=1, ms=1)
def test_value_used(perf):
    assert len(perf.measure(lambda: sum(range(10**10)))) == 1
"""


def test_under_xdist_the_controller_shows_the_workers_gates(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(XDIST_GATES)

    result = pytester.runpytest("-n", "2", "-p", "no:cacheprovider", "--gtguard-perf-html", "perf.html")

    result.assert_outcomes(passed=2, failed=1, warnings=2)
    result.stdout.fnmatch_lines(
        [
            "E *.NoValueError: perf.measure(...) returned no value to check: pytest-xdist worker: perf_gate: "
            "stopped at n=1 after *; check `result.gated is False` before using the value, or run the perf "
            "tests without -n",
            "*perf gates: 3 tests (best run at n)*",
            "*::test_quick * 10 * 500 * x* * - * passed",
            "*::test_stopped * 1 * >* * 1 * x* * - * warning (xdist): kill",
        ]
    )
    page = (pytester.path / "perf.html").read_text(encoding="utf-8")
    assert page.count("<section>") == 3 and '<path class="killed"' in page


def test_perf_measure_outside_xdist_still_returns_the_value_or_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(XDIST_GATES)

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        ["perf_gate: stopped at n=1 after *", "*::test_stopped * 1 * >* * 1 * x* * - * FAILED: kill"]
    )


def test_the_split_writes_a_perf_page_beside_its_report_when_the_tests_have_gates(pytester: pytest.Pytester) -> None:
    from _split_task import split, write, write_bugfix_task

    task = write_bugfix_task(pytester.path)
    write(
        task,
        {
            "tests/test_speed.py": """
        import pytest
        from calc import neg

        @pytest.mark.perf_gate(n=1000, ms=10_000)
        def test_neg_is_fast(perf):
            perf.measure(lambda xs: [neg(x) for x in xs], setup=lambda n: list(range(n)))
        """
        },
    )

    result, report = split(pytester, "--gtguard-perf-html", "asked.html")

    assert result.ret == 0 and report["success"] is True
    result.stdout.fnmatch_lines(["perf gates page: *asked.html not written: the split writes report-perf.html*"])
    assert not list(pytester.path.rglob("asked.html"))  # nor did a run write over it
    page = (pytester.path / "out" / "report-perf.html").read_text(encoding="utf-8")
    assert "<h2>after: tests/test_speed.py::test_neg_is_fast</h2>" in page
    assert "<h2>before: tests/test_speed.py::test_neg_is_fast</h2>" in page


def _readme_perf_snippet() -> str:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    return textwrap.dedent(next(b for b in blocks if "perf_gate" in b))


@pytest.mark.parametrize("xdist", [False, True], ids=["serial", "xdist"])
def test_the_readmes_perf_gate_example_passes_with_and_without_xdist(pytester: pytest.Pytester, xdist: bool) -> None:
    if xdist:
        pytest.importorskip("xdist")
    example = Path(__file__).resolve().parents[2] / "examples" / "wordstats"
    shutil.copytree(example, pytester.path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("evaluation"))
    (pytester.path / "tests" / "test_readme_perf.py").write_text(_readme_perf_snippet(), encoding="utf-8")

    args = ["-p", "no:cacheprovider", "--after", "tests/test_readme_perf.py", *(["-n", "2"] if xdist else [])]
    result = pytester.runpytest(*args)

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*perf gates: 1 test*", "tests/test_readme_perf.py::* passed"])
