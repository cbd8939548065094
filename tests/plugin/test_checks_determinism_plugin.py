"""pytester tests for the determinism checks: fresh-process re-runs and nondeterminism sources (issue 5)."""

from __future__ import annotations

import pytest
from _checks_task import make_task

WORDS = '["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]'

UNIQUE = """
def unique(words):
    return list(set(words))  # order follows PYTHONHASHSEED


def unique_sorted(words):
    return sorted(set(words))
"""


@pytest.mark.parametrize(
    ("func", "outcome"),
    [
        pytest.param("unique", "failed", id="hash-order"),
        pytest.param("unique_sorted", "passed", id="sorted-fix"),
    ],
)
def test_checks_determinism_probe_compares_fresh_processes(pytester: pytest.Pytester, func: str, outcome: str) -> None:
    tests = f"""
    from pkg.core import {func}

    def test_unique(gtguard_determinism):
        assert len(gtguard_determinism.check({func}, ({WORDS},))) == 8
    """
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": UNIQUE}, tests)

    result = pytester.runpytest("--after")

    result.assert_outcomes(**{outcome: 1})
    if outcome == "failed":
        result.stdout.fnmatch_lines(["*results differ between fresh processes*", "*PYTHONHASHSEED=0*PYTHONHASHSEED=*"])


@pytest.mark.parametrize(
    ("func", "outcome"),
    [
        pytest.param("unique", "failed", id="hash-order"),
        pytest.param("unique_sorted", "passed", id="sorted-fix"),
    ],
)
def test_checks_determinism_marker_reruns_the_test(pytester: pytest.Pytester, func: str, outcome: str) -> None:
    tests = f"""
    import pytest
    from pkg.core import {func}

    @pytest.mark.determinism(runs=2, sources=False)
    def test_unique(gtguard_output):
        gtguard_output({func}({WORDS}))
    """
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": UNIQUE}, tests)

    result = pytester.runpytest("--after", "-p", "no:randomly")

    result.assert_outcomes(**{outcome: 1})
    if outcome == "failed":
        result.stdout.fnmatch_lines(["*determinism: test outcome via fresh-process re-run (gtguard_output*"])


SOURCES = """
import random
import time
import uuid


def unseeded():
    return random.randint(1, 6)


def unseeded_instance():
    return random.Random().random()


def seeded_instance():
    rng = random.Random(42)
    return rng.choice([1, 2, 3]) + rng.random()


def seeded_global():
    random.seed(7)
    return random.shuffle([1, 2, 3])


def stamped(x):
    return {"value": x, "at": time.time()}


def ident():
    return str(uuid.uuid4())
"""

SOURCE_TESTS = """
import pytest
from pkg import core

SOURCES = pytest.mark.determinism(rerun=False)

@SOURCES
def test_unseeded():
    core.unseeded()

@SOURCES
def test_unseeded_instance():
    core.unseeded_instance()

@SOURCES
def test_seeded_instance():
    core.seeded_instance()

@SOURCES
def test_seeded_global():
    core.seeded_global()

@SOURCES
def test_stamped():
    assert core.stamped(1)["value"] == 1

@SOURCES
def test_ident():
    core.ident()

@SOURCES
def test_tests_may_use_time_and_random():
    import random, time
    random.random()
    time.time()
"""


def test_checks_determinism_sources_flag_unseeded_not_seeded(pytester: pytest.Pytester) -> None:
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": SOURCES}, SOURCE_TESTS)

    reprec = pytester.inline_run("--after")

    failed = {r.nodeid.split("::")[1] for r in reprec.getreports("pytest_runtest_logreport") if r.failed}
    assert failed == {"test_unseeded", "test_unseeded_instance", "test_stamped", "test_ident"}
    reprec.assertoutcome(passed=3, failed=4)

    def subjects(name: str) -> set[tuple[str, int]]:
        report = reprec.matchreport(name, when="call")
        return {(f["subject"], f["line"]) for f in dict(report.user_properties)["gtguard_checks"]}

    assert subjects("test_unseeded") == {("random", 8)}
    assert subjects("test_unseeded_instance") == {("random", 12)}
    assert subjects("test_stamped") == {("time.time", 26)}
    assert ("uuid.uuid4", 30) in subjects("test_ident")


def test_checks_determinism_sources_see_time_in_a_result_through_reruns(pytester: pytest.Pytester) -> None:
    tests = """
    from pkg.core import stamped

    def test_stamp(gtguard_determinism):
        gtguard_determinism.check(stamped, (1,), runs=2)
    """
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": SOURCES}, tests)

    result = pytester.runpytest("--after")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*results differ between fresh processes*", "*real clock*clock +366.3 days*"])


def test_checks_determinism_sources_catch_socket_at_import(pytester: pytest.Pytester) -> None:
    # Loopback only, to a port nothing listens on: the attempt is what counts.
    code = """
    import socket

    _probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    _probe.settimeout(0.5)
    try:
        _probe.connect(("127.0.0.1", 9))
    except OSError:
        pass
    finally:
        _probe.close()


    def run():
        return 1
    """
    tests = """
    import pytest
    from pkg.core import run

    @pytest.mark.determinism(rerun=False)
    def test_run():
        assert run() == 1

    def test_unmarked():
        assert run() == 1
    """
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": code}, tests)

    result = pytester.runpytest("--after")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*pkg/core.py:7: determinism: network via socket.connect (address ('127.0.0.1', 9))*"])


def test_checks_determinism_sources_ini_sees_import_time_clock(pytester: pytest.Pytester) -> None:
    code = "import time\n\nSTARTED = time.time()\n\ndef run():\n    return 1\n"
    tests = "from pkg.core import run\n\ndef test_a():\n    assert run() == 1\n"
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": code}, tests, ini="gtguard_determinism_sources = 1")

    result = pytester.runpytest("--after")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*pkg/core.py:3: determinism: time.time via call (runtime)*"])


def test_checks_determinism_sources_ini_applies_to_every_test(pytester: pytest.Pytester) -> None:
    tests = """
    from pkg import core

    def test_a():
        core.unseeded()

    def test_b():
        core.seeded_instance()
    """
    make_task(
        pytester,
        {"pkg/__init__.py": "", "pkg/core.py": SOURCES},
        tests,
        ini="gtguard_determinism_sources = 1",
    )

    result = pytester.runpytest("--after")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*repository_after/pkg/core.py:8: determinism: random via call (runtime)*[[]*test_a[]]"]
    )


def test_checks_determinism_under_xdist(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    tests = f"""
    import pytest
    from pkg.core import unique, unique_sorted

    def test_hash_order(gtguard_determinism):
        gtguard_determinism.check(unique, ({WORDS},), runs=2)

    def test_sorted(gtguard_determinism):
        gtguard_determinism.check(unique_sorted, ({WORDS},), runs=2)
    """
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": UNIQUE}, tests)

    result = pytester.runpytest("--after", "-n", "2")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*= gtguard checks =*", "*determinism: pkg.core.unique via fresh-process call*"])


@pytest.mark.parametrize(("first", "outcome"), [("fill", "failed"), ("clean", "passed")])
def test_checks_determinism_marker_catches_order_dependence(
    pytester: pytest.Pytester, first: str, outcome: str
) -> None:
    # test_uses passes in the session only because test_fill ran before it (when first == "fill").
    tests = f"""
    import pytest

    CACHE = []

    def test_{first}():
        if "{first}" == "fill":
            CACHE.append(1)

    @pytest.mark.determinism(runs=2, sources=False)
    def test_uses():
        assert CACHE == ([1] if "{first}" == "fill" else [])
    """
    make_task(pytester, {"pkg/__init__.py": ""}, tests)

    result = pytester.runpytest("--after", "-p", "no:randomly")

    result.assert_outcomes(passed=1 if outcome == "failed" else 2, failed=1 if outcome == "failed" else 0)
    if outcome == "failed":
        result.stdout.fnmatch_lines(
            [
                "*determinism: test outcome via fresh-process re-run (failed alone in a fresh process*",
                "*determinism: test outcome via fresh-process re-run (failed with its file in reverse order*",
            ]
        )


OBJECTS = """
import dataclasses
import threading


class Opaque:
    pass


@dataclasses.dataclass
class Record:
    name: str


def opaque():
    return Opaque()


def lock():
    return threading.Lock()
"""


def test_checks_determinism_marker_refuses_an_output_whose_repr_holds_an_address(pytester: pytest.Pytester) -> None:
    tests = """
    import pytest
    from pkg.core import Opaque

    @pytest.mark.determinism(runs=2, sources=False)
    def test_report(gtguard_output):
        gtguard_output({"report": Opaque()})
    """
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": OBJECTS}, tests)

    result = pytester.runpytest("--after", "-p", "no:randomly")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*gtguard_output on tests/test_task.py::test_report: "
            "the value[[]'report'[]] is <pkg.core.Opaque object at 0x*memory address*"
            "cannot be compared across processes; record plain data*a __repr__ without its identity*"
        ]
    )
    result.stdout.no_fnmatch_line("*fresh-process re-run*")


def test_checks_determinism_marker_accepts_an_output_with_a_stable_repr(pytester: pytest.Pytester) -> None:
    tests = """
    import pytest
    from pkg.core import Record

    @pytest.mark.determinism(runs=2, sources=False)
    def test_report(gtguard_output):
        gtguard_output([Record("a"), {"b"}])
    """
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": OBJECTS}, tests)

    result = pytester.runpytest("--after", "-p", "no:randomly")

    result.assert_outcomes(passed=1)


def test_checks_determinism_probe_refuses_an_unpicklable_result(pytester: pytest.Pytester) -> None:
    tests = """
    from pkg.core import lock

    def test_lock(gtguard_determinism):
        gtguard_determinism.check(lock, runs=2)
    """
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": OBJECTS}, tests)

    result = pytester.runpytest("--after")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*gtguard_determinism: pkg.core.lock: the result (a *lock*) cannot be pickled*return plain data*"]
    )
    result.stdout.no_fnmatch_line("*results differ*")


def test_checks_determinism_probe_refuses_a_result_that_compares_by_identity(pytester: pytest.Pytester) -> None:
    tests = """
    from pkg.core import opaque

    def test_opaque(gtguard_determinism):
        gtguard_determinism.check(opaque, runs=2)
    """
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": OBJECTS}, tests)

    result = pytester.runpytest("--after")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*gtguard_determinism: pkg.core.opaque: the result is a pkg.core.Opaque, which compares by identity*__eq__*"]
    )
    result.stdout.no_fnmatch_line("*results differ*")
