"""Unit tests for the static index, import matching and subprocess command parsing (issue 5)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from pytest_gtguard.checks.calls import call_targets
from pytest_gtguard.checks.constraints import Constraints, apply_marker
from pytest_gtguard.checks.imports import forbidden_match, python_modules_of_command
from pytest_gtguard.checks.scope import Finding, Scope, dedupe
from pytest_gtguard.checks.sources import source_findings
from pytest_gtguard.checks.static import index_source
from pytest_gtguard.checks.tracer import CallEvent
from pytest_gtguard.errors import InvalidMarker

SOURCE = """
import numpy as np
import os.path
from numpy.linalg import norm
from . import sibling
import importlib
from importlib import import_module as im
import sys

# import pandas
TEXT = "import scipy"

def f(xs, sorted_=sorted):
    __import__("polars")
    importlib.import_module("torch")
    im("jax")
    sys.modules["cupy"]
    sys.modules.get("dask")
    exec("import sklearn")
    xs.sort()
    [3, 1].sort()
    list(xs).sort()
    return np.sum(xs), os.path.join("a", "b")
"""


def test_checks_static_index_sees_every_literal_route() -> None:
    index = index_source(SOURCE, "m.py")

    routes = {(site.module, site.route) for site in index.imports}

    assert routes >= {
        ("numpy", "import statement"),
        ("os.path", "import statement"),
        ("numpy.linalg", "from-import"),
        ("polars", "__import__(...)"),
        ("torch", "importlib.import_module(...)"),
        ("jax", "importlib.import_module(...)"),
        ("cupy", "sys.modules[...]"),
        ("dask", "sys.modules.get(...)"),
        ("sklearn", "exec of a string"),
    }
    assert not {m for m, _ in routes} & {"pandas", "scipy", "sibling"}  # comment, string, relative


def test_checks_static_index_resolves_calls_through_aliases() -> None:
    calls = {(c.name, c.line) for c in index_source(SOURCE, "m.py").calls}

    assert ("numpy.sum", 23) in calls
    assert ("os.path.join", 23) in calls
    assert ("sorted", 13) in calls  # a builtin passed as a default value is a use
    assert ("list.sort", 21) in calls and ("list.sort", 22) in calls
    assert not any(name == "list.sort" and line == 20 for name, line in calls)  # receiver type unknown


@pytest.mark.parametrize(
    ("module", "hit"),
    [("numpy", "numpy"), ("numpy.linalg", "numpy"), ("numpy_helpers", None), ("mynumpy", None)],
)
def test_checks_forbidden_match_is_by_package(module: str, hit: str | None) -> None:
    assert forbidden_match(module, ["re", "numpy"]) == hit


@pytest.mark.parametrize(
    ("event", "args", "expected"),
    [
        (
            "subprocess.Popen",
            ("/usr/bin/python3", ["python3", "-c", "import numpy as np"], None, None),
            [("numpy", "python -c")],
        ),
        (
            "subprocess.Popen",
            ("/usr/bin/python3", ["python3.11", "-m", "numpy.f2py"], None, None),
            [("numpy.f2py", "python -m")],
        ),
        (
            "subprocess.Popen",
            ("/bin/sh", ["/bin/sh", "-c", "python -c 'from re import sub'"], None, None),
            [("re", "python -c"), ("re.sub", "python -c")],
        ),
        ("os.system", (b"python3 -m json.tool x",), [("json.tool", "python -m")]),
        ("subprocess.Popen", ("/bin/ls", ["ls", "-c"], None, None), []),
    ],
    ids=["argv-c", "argv-m", "shell", "os-system", "not-python"],
)
def test_checks_subprocess_commands_name_their_modules(
    event: str, args: tuple[object, ...], expected: list[tuple[str, str]]
) -> None:
    assert python_modules_of_command(event, args) == expected


def test_checks_scope_excludes_tests_and_outside(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "tests").mkdir()
    for name in ("pkg/core.py", "pkg/test_core.py", "tests/helpers.py", "conftest.py"):
        (tmp_path / name).write_text("")
    scope = Scope.of([tmp_path])

    assert [p.relative_to(tmp_path).as_posix() for p in scope.files()] == ["pkg/core.py"]
    assert scope.contains(str(tmp_path / "pkg" / "core.py"))
    assert not scope.contains(str(tmp_path / "tests" / "helpers.py"))
    assert not scope.contains(str(tmp_path.parent / "elsewhere.py"))
    assert not scope.contains("<string>")
    assert not scope.contains(random.__file__)


def test_checks_dedupe_keeps_the_first_route() -> None:
    a = Finding("forbid_imports", "json", "import statement", "f.py", 1)
    b = Finding("forbid_imports", "json", "import statement (runtime)", "f.py", 1)

    assert dedupe([a, b, a]) == [a]


def test_checks_source_findings_respect_seeding() -> None:
    inst = id(random._inst)  # type: ignore[attr-defined]
    events = [
        CallEvent("random", "f.py", 1, inst),  # global, unseeded
        CallEvent("random.seed", "f.py", 2, (inst, 7)),
        CallEvent("random", "f.py", 3, inst),  # now seeded by the code
        CallEvent("random.seed", "f.py", 4, (99, None)),  # random.Random() without a seed
        CallEvent("random", "f.py", 5, 99),
        CallEvent("random", "f.py", 6, 1234),  # an instance the tests made: not the code's business
        CallEvent("time.time", "f.py", 7),
    ]

    findings = source_findings(events, Scope.of([Path("/nowhere")]))

    assert [(f.subject, f.line) for f in findings] == [("random", 1), ("random", 5), ("time.time", 7)]


def test_checks_call_targets_resolve_without_importing() -> None:
    targets, unresolved = call_targets(["sorted", "list.sort", "json.dumps", "nosuchmodule.fn"])

    assert (list, "sort") in targets.methods
    assert id(sorted) in targets.objects
    assert unresolved == ["nosuchmodule.fn"]


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "message"),
    [
        ("forbid_imports", (), {}, "needs at least one name"),
        ("forbid_calls", ("not a name",), {}, "is not a dotted name"),
        ("python_syntax", (), {}, "missing 1 required positional argument"),
        ("determinism", (1,), {}, "runs must be an integer >= 2"),
        ("determinism", (), {"bogus": 1}, "unexpected keyword argument 'bogus'"),
    ],
)
def test_checks_bad_marker_arguments_name_the_test(
    name: str, args: tuple[object, ...], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidMarker, match=message) as info:
        apply_marker(Constraints(), name, args, kwargs, where="t.py::test_x")
    assert str(info.value).startswith("t.py::test_x: ")


def test_checks_markers_add_up() -> None:
    base = apply_marker(Constraints(), "forbid_imports", ("numpy",), {}, where="w")

    merged = apply_marker(base, "forbid_imports", ("re",), {}, where="w")

    assert merged.forbid_imports == ("numpy", "re")
    assert apply_marker(merged, "python_syntax", ("3.9",), {}, where="w").python_syntax == (3, 9)
