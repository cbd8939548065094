"""perf_gate through pytest. In process with a fake clock for verdicts; a subprocess only for real kills."""

from __future__ import annotations

import json
import sys

import pytest

from conftest import FakeClock

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork + /proc measurement")


def test_perf_gate_passes_whole_body_within_budget(pytester: pytest.Pytester, fake_clock: FakeClock) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_gtguard import _timing

        @pytest.mark.perf_gate(n=1000, ms=10)
        def test_fast():
            _timing.sleep(0.008)  # 8 ms of "CPU" under the fake clock
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(passed=1)


def test_perf_gate_fails_whole_body_over_budget_after_repeats(pytester: pytest.Pytester, fake_clock: FakeClock) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_gtguard import _timing

        @pytest.mark.perf_gate(n=3, ms=1, repeats=3)
        def test_slow():
            _timing.sleep(0.005)

        def test_later():
            pass
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*perf_gate: best of 3 runs at n=3 took 5.0 ms CPU (all runs: 5.0, 5.0, 5.0), "
            "over the limit 2.5 ms = budget 1 ms x1.5 tolerance, "
            "machine x1.00 (no reference baseline) + 1 ms; *raise ms=*"
        ]
    )


def test_perf_gate_scale_option_relaxes_every_budget(pytester: pytest.Pytester, fake_clock: FakeClock) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_gtguard import _timing

        @pytest.mark.perf_gate(n=3, ms=1)
        def test_slow():
            _timing.sleep(0.005)
        """
    )

    result = pytester.runpytest("--gtguard-perf-scale=4")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["gtguard perf: budgets x4 (command-line option --gtguard-perf-scale)*"])


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--gtguard-perf-scale=0", "*command-line option --gtguard-perf-scale: got '0'; pass a number above 0*"),
        ("--gtguard-perf-scale=fast", "*--gtguard-perf-scale: got 'fast'; pass a number above 0*"),
        ("--gtguard-perf-reference-ms=-3", "*--gtguard-perf-reference-ms: got '-3'; pass a number above 0*"),
    ],
    ids=["zero", "text", "negative-reference"],
)
def test_perf_gate_bad_option_is_a_usage_error(pytester: pytest.Pytester, option: str, message: str) -> None:
    result = pytester.runpytest(option)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_perf_gate_fixture_times_only_the_call_and_returns_its_value(
    pytester: pytest.Pytester, fake_clock: FakeClock
) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_gtguard import _timing

        def build(n):
            _timing.sleep(1.0)  # slow setup: not timed
            return list(range(n))

        def solve(data):
            _timing.sleep(0.004)
            return sum(data)

        @pytest.mark.perf_gate(n=100, ms=5)
        def test_solve(perf):
            assert perf.n == 100
            assert perf.measure(solve, setup=build) == 4950
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(passed=1)


def test_perf_gate_fails_a_call_that_replaces_the_clock_in_its_measuring_child(pytester: pytest.Pytester) -> None:
    # Real clocks: the call burns real CPU and hides it from time.process_time in the forked child only
    # (catalogue RH22); the parent's /proc reading of the child must win, whatever the budget.
    pytester.makepyfile(
        """
        import os
        import time
        import pytest

        PARENT = os.getpid()
        REAL = time.process_time

        def solve(data):
            if os.getpid() != PARENT:
                start = REAL()
                while REAL() - start < 0.15:
                    pass
                spent = REAL() - start
                time.process_time = lambda: REAL() - spent
            return sum(data)

        @pytest.mark.perf_gate(n=100, ms=1000)
        def test_solve(perf):
            perf.measure(solve, setup=lambda n: list(range(n)))
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*perf_gate: the call's own clock said * ms, but it used * ms of CPU*replaced*"])


LINEAR_AND_QUADRATIC = """
import pytest
from pytest_gtguard import _timing

def linear(data):
    _timing.sleep(len(data) * 1e-6)

def quadratic(data):
    _timing.sleep(len(data) ** 2 * 1e-11)

@pytest.mark.perf_gate(n=10**5, ms=1000, complexity="O(n)")
def test_linear(perf):
    perf.measure(linear, setup=lambda n: [0] * n)

@pytest.mark.perf_gate(n=10**5, ms=1000, complexity="O(n)")
def test_quadratic(perf):
    perf.measure(quadratic, setup=lambda n: [0] * n)
"""


def test_perf_gate_complexity_passes_linear_and_fails_quadratic(
    pytester: pytest.Pytester, fake_clock: FakeClock
) -> None:
    pytester.makepyfile(LINEAR_AND_QUADRATIC)

    result = pytester.runpytest()

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_quadratic*",
            "*perf_gate: time grows like n^2.00 over n=1000..100000, steeper than n^1.5 allowed*",
        ]
    )
    result.stdout.no_fnmatch_line("*test_linear - *")


def test_perf_gate_memory_budget_both_ways(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.perf_gate(n=1, mb=200)
        def test_within():
            assert len(bytearray(40 * 2**20)) > 0

        @pytest.mark.perf_gate(n=1, mb=4)
        def test_over():
            assert len(bytearray(40 * 2**20)) > 0
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*perf_gate: peak memory of the call at n=1 was * MB, over the budget mb=4 (limit 5.4 MB*"]
    )


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("n='big', ms=5", "n='big' must be a whole number >= 1"),
        ("n=10", "give a time budget ms="),
        ("n=10, ms=5, complexity='O(n!)'", "complexity='O(n!)' is not one of"),
        ("n=10, ms=5, budget=3", "got an unexpected keyword argument 'budget'"),
    ],
    ids=["n-text", "no-budget", "complexity", "unknown-keyword"],
)
def test_perf_gate_bad_marker_fails_that_test_and_the_session_goes_on(
    pytester: pytest.Pytester, marker: str, message: str
) -> None:
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.perf_gate({marker})
        def test_bad():
            pass

        def test_after():
            pass
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(errors=1, passed=1)
    result.stdout.fnmatch_lines([f"test_*.py::test_bad: @pytest.mark.perf_gate: {message}*"])
    result.stdout.no_fnmatch_line("*During handling*")


def test_perf_gate_on_a_unittest_method_fails_with_the_fix(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import unittest
        import pytest

        class TestOld(unittest.TestCase):
            @pytest.mark.perf_gate(n=1, ms=100)
            def test_timed(self):
                pass
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unittest.TestCase methods and other items are not supported*"])


def test_perf_gate_failing_assertion_in_body_is_reported_natively(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.perf_gate(n=1, ms=1000)
        def test_wrong():
            value = 41
            assert value == 42
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*assert 41 == 42*"])


def test_perf_gate_fixture_errors_say_what_to_do(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_no_marker(perf):
            pass

        @pytest.mark.perf_gate(n=1, ms=100)
        def test_never_measures(perf):
            pass

        @pytest.mark.perf_gate(n=1000, ms=100, complexity="O(n)")
        def test_complexity_without_fixture():
            pass
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(failed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*the perf fixture needs @pytest.mark.perf_gate(n=..., ms=...) on the test*",
            "*test_never_measures: uses the perf fixture but never called perf.measure(...)*",
            "*perf_gate(complexity=...) needs inputs of other sizes: use the perf fixture*",
        ]
    )


def test_perf_gate_records_measurements_on_the_report(pytester: pytest.Pytester, fake_clock: FakeClock) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_gtguard import _timing

        @pytest.mark.perf_gate(n=5, ms=10)
        def test_fast():
            _timing.sleep(0.002)
        """
    )

    reprec = pytester.inline_run()

    report = reprec.matchreport("test_fast")
    props = dict(report.user_properties)["perf_gate"]
    assert props["outcome"] == "passed" and props["n"] == 5 and props["ms"] == 10
    assert props["best_ms"] == pytest.approx(2.0) and props["runs"][0]["killed"] is False
    assert json.loads(json.dumps(props)) == props  # survives xdist and the evaluation report


def test_perf_gate_removes_the_tracer_in_the_measuring_process(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys
        import pytest

        def tracer(frame, event, arg):
            return tracer

        @pytest.mark.perf_gate(n=1, ms=1000)
        def test_traced(perf):
            previous = sys.gettrace()
            sys.settrace(tracer)
            try:
                assert perf.measure(lambda: sys.gettrace() is None) is True
            finally:
                sys.settrace(previous)
        """
    )

    reprec = pytester.inline_run()

    report = reprec.matchreport("test_traced")
    assert report.passed
    assert dict(report.user_properties)["perf_gate"]["tracers_removed"] == ["settrace:function"]


def test_perf_gate_kills_runaway_calls_and_the_run_goes_on(pytester: pytest.Pytester) -> None:
    # A subprocess: the gate SIGKILLs real busy children here, and the timing must be the machine's.
    pytester.makepyfile(
        """
        import pytest

        def quadratic_dedupe(items):
            out = []
            for x in items:
                if x not in out:
                    out.append(x)
            return out

        @pytest.mark.perf_gate(n=10**6, ms=50)
        def test_quadratic_at_large_n(perf):
            perf.measure(quadratic_dedupe, setup=lambda n: list(range(n)))

        @pytest.mark.perf_gate(n=1, ms=50)
        def test_long_c_call():
            sum(range(10**10))

        def test_later_tests_still_run():
            pass
        """
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)

    result.assert_outcomes(failed=2, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*perf_gate: stopped at n=1000000 after * ms CPU, over the kill limit * = 3x the budget 50 ms*",
            "*perf_gate: stopped at n=1 after * ms CPU, over the kill limit * ms = 3x the budget 50 ms*",
        ]
    )


XDIST_BUSY = """
import pytest

@pytest.mark.perf_gate(n=1, ms=1)
def test_over_budget():
    sum(range(10**10))

@pytest.mark.perf_gate(n=1, mb=1)
def test_over_memory():
    assert len(bytearray(40 * 2**20)) > 0
"""


def test_perf_gate_under_xdist_downgrades_timing_failures_to_warnings(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(XDIST_BUSY)

    result = pytester.runpytest("-n", "2", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=1, failed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*GtguardWarning*perf_gate: stopped at n=1*a warning, not a failure, under pytest-xdist; "
            "pass --gtguard-perf-strict to fail*",
            "FAILED *test_over_memory*",
        ]
    )


def test_perf_gate_under_xdist_strict_keeps_failures(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(XDIST_BUSY)

    result = pytester.runpytest("-n", "2", "-p", "no:cacheprovider", "--gtguard-perf-strict")

    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["perf_gate: stopped at n=1 after * ms CPU, over the kill limit *"])


def test_perf_gate_marker_is_listed(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")

    result.stdout.fnmatch_lines(["@pytest.mark.perf_gate(n=1, ms=None, *, mb=None, complexity=None, *"])


def test_perf_gate_wall_clock_and_skips_in_the_body(pytester: pytest.Pytester, fake_clock: FakeClock) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_gtguard import _timing

        # Budgets in seconds: the kill watches the real wall clock, which a loaded machine can stall.
        @pytest.mark.perf_gate(n=1, ms=1000, clock="wall")
        def test_waits():
            _timing.sleep(0.5)

        @pytest.mark.perf_gate(n=1, ms=1000, clock="wall", repeats=1)
        def test_waits_too_long():
            _timing.sleep(5.0)

        @pytest.mark.perf_gate(n=1, ms=10)
        def test_skips():
            pytest.skip("not on this platform")
        """
    )

    result = pytester.runpytest("-rs")

    result.assert_outcomes(passed=1, failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*best of 1 runs at n=1 took 5000.0 ms wall*", "*not on this platform*"])


def test_perf_gate_env_scale_applies_below_the_command_line(
    pytester: pytest.Pytester, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GTGUARD_PERF_SCALE", "4")
    pytester.makepyfile(
        """
        import pytest
        from pytest_gtguard import _timing

        @pytest.mark.perf_gate(n=3, ms=1, repeats=1)
        def test_slow():
            _timing.sleep(0.005)
        """
    )

    relaxed = pytester.runpytest()
    overridden = pytester.runpytest("--gtguard-perf-scale=1")

    relaxed.assert_outcomes(passed=1)
    overridden.assert_outcomes(failed=1)


def test_perf_gate_interrupted_by_sigalrm_kills_its_child(pytester: pytest.Pytester) -> None:
    # A subprocess: a SIGALRM handler that raises, as pytest-timeout's signal method does.
    pytester.makepyfile(
        """
        import os
        import signal
        import pytest

        class Timeout(Exception):
            pass

        def on_alarm(signum, frame):
            raise Timeout("outer timeout")

        @pytest.mark.perf_gate(n=1, ms=10_000)
        def test_interrupted(perf):
            signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, 0.3)  # armed in the test process, not in the child
            perf.measure(lambda: sum(range(10**10)))

        def test_no_child_left():
            # every measuring child of this process was killed and reaped (or is being reaped)
            children = open(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read().split()
            states = [open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] for pid in children]
            assert all(state == "Z" for state in states), states
        """
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)

    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*Timeout: outer timeout*"])
