"""Unit tests for the runtime watchers: call wrappers, the profile tracer, the import recorder (issue 5)."""

from __future__ import annotations

import builtins
import importlib.util
import json
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest

from pytest_gtguard.checks.calls import CallWrappers, call_targets
from pytest_gtguard.checks.imports import ImportRecorder
from pytest_gtguard.checks.scope import Scope
from pytest_gtguard.checks.sources import source_findings, source_targets
from pytest_gtguard.checks.tracer import CallTracer

CODE = """
import json
import random


def evaluate(text):
    x = 41
    return eval(text)


def dump(value):
    return json.dumps(value)


def sort_in_place(values):
    values.sort()
    return values


def shuffled(values):
    rng = random.Random(5)
    rng.shuffle(values)
    return values


def lazy_import(name):
    return __import__(name)
"""


@pytest.fixture
def code_module(tmp_path: Path) -> tuple[ModuleType, Scope]:
    path = tmp_path / "gtguard_unit_code.py"
    path.write_text(CODE)
    spec = importlib.util.spec_from_file_location("gtguard_unit_code", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, Scope.of([tmp_path])


def test_checks_wrappers_keep_eval_namespaces_and_record(code_module: tuple[ModuleType, Scope]) -> None:
    module, scope = code_module
    wrappers = CallWrappers(scope, [(builtins, "eval", "eval"), (json, "dumps", "json.dumps")])

    with wrappers:
        assert module.evaluate("x + 1") == 42  # eval still sees the caller's locals
        assert module.dump([1]) == "[1]"
        assert eval("2 * 3") == 6  # a call from outside the code under test is not recorded

    assert [(e.label, e.line) for e in wrappers.events] == [("eval", 8), ("json.dumps", 12)]
    assert builtins.eval.__module__ == "builtins" and json.dumps.__module__ == "json"  # restored


def test_checks_tracer_sees_method_calls_on_any_list(code_module: tuple[ModuleType, Scope]) -> None:
    module, scope = code_module
    targets, unresolved = call_targets(["list.sort"])

    with CallTracer(scope, targets) as tracer:
        module.sort_in_place([2, 1])
        [3, 1].sort()  # the test's own call

    assert unresolved == []
    assert [(e.label, e.line) for e in tracer.events] == [("list.sort", 16)]
    assert sys.getprofile() is None


def test_checks_tracer_passes_seeded_instances(code_module: tuple[ModuleType, Scope]) -> None:
    module, scope = code_module

    with CallTracer(scope, source_targets()) as tracer:
        module.shuffled([1, 2, 3])
        random.random()  # the test's own global use

    assert source_findings(tracer.events, scope) == []


def test_checks_recorder_sees_computed_dunder_import(code_module: tuple[ModuleType, Scope]) -> None:
    module, scope = code_module
    recorder = ImportRecorder(scope)
    saved = builtins.__import__

    recorder.install()
    try:
        module.lazy_import("js" + "on")
    finally:
        recorder.uninstall()

    assert builtins.__import__ is saved
    assert [(f.subject, f.line, f.route) for f in recorder.findings(["json"])] == [("json", 27, "__import__ (runtime)")]
