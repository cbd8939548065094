"""The shipped JSON Schemas: valid Draft 2020-12, in agreement with validate's own checks, used by validate."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_gtguard.schemas import load_schema, schema_errors
from pytest_gtguard.task.instance import schema_problems
from pytest_gtguard.task.validate import validate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GOOD: dict[str, Any] = {
    "instance_id": "WSTATS",
    "problem_statement": "Count words case-insensitively.",
    "base_commit": "repository_before/",
    "github_url": "https://github.com/o/r/tree/main/wstats",
    "FAIL_TO_PASS": ["tests/test_counter.py::test_counts_ignore_case"],
    "PASS_TO_PASS": [],
}


def _with(**changes: Any) -> dict[str, Any]:
    data = {**GOOD, **changes}
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("name", ["instance", "report"])
def test_each_schema_is_a_valid_draft_2020_12_schema(name: str) -> None:
    schema = load_schema(name)  # type: ignore[arg-type]

    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if (p / "instances").is_dir()))
def test_the_examples_instance_files_conform(example: str) -> None:
    data = json.loads((EXAMPLES / example / "instances" / "instance.json").read_text(encoding="utf-8"))

    assert schema_errors("instance", data) == []


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(GOOD, id="plain"),
        pytest.param([GOOD, _with(instance_id="OTHER")], id="list-file"),
        pytest.param(_with(github_url=None, repo="org/repo"), id="repo-not-github_url"),
        pytest.param(_with(category="Testing", difficulty=3, tags=["x"], requirements="1. Must ..."), id="extra-keys"),
        pytest.param(_with(problem_statement=""), id="empty-statement-is-a-todo-not-an-error"),
        pytest.param(_with(FAIL_TO_PASS=[]), id="empty-lists"),
    ],
)
def test_the_schema_accepts_what_real_tasks_have(data: Any) -> None:
    items = data if isinstance(data, list) else [data]

    assert schema_errors("instance", data) == []
    assert [schema_problems(item) for item in items] == [[] for _ in items]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        pytest.param(_with(base_commit=None), "base_commit", id="missing-key"),
        pytest.param(_with(FAIL_TO_PASS='["tests/t.py::test_a"]'), "FAIL_TO_PASS", id="list-as-string"),
        pytest.param(_with(PASS_TO_PASS=["tests/t.py::test_a", 3]), "PASS_TO_PASS", id="non-string-id"),
        pytest.param(_with(instance_id=17), "instance_id", id="number-id"),
        pytest.param(_with(github_url=""), "repo", id="empty-url"),
        pytest.param(_with(PASS_TO_PASS=None), "PASS_TO_PASS", id="missing-list"),
    ],
)
def test_the_schema_rejects_what_validate_rejects(data: dict[str, Any], key: str) -> None:
    errors = schema_errors("instance", data, definition="instance") or []

    assert key in {e.key for e in errors}
    assert key in {p.key for p in schema_problems(data)}
    assert schema_errors("instance", data) != []  # the whole-file schema too


def test_an_empty_list_file_is_rejected() -> None:
    assert schema_errors("instance", []) != []


def _task_with_instance(tmp_path: Path, data: Any) -> Path:
    root = tmp_path / "wordstats"
    shutil.copytree(EXAMPLES / "wordstats", root, ignore=shutil.ignore_patterns("evaluation"))
    (root / "evaluation").mkdir()
    (root / "instances" / "instance.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return root


def test_validate_names_the_json_path_of_a_bad_item(tmp_path: Path) -> None:
    data = json.loads((EXAMPLES / "wordstats" / "instances" / "instance.json").read_text(encoding="utf-8"))
    data["PASS_TO_PASS"].append(3)
    root = _task_with_instance(tmp_path, [data])

    reasons = [f.reason for f in validate(root).findings if f.code == "GT103"]

    assert reasons == ["$[0].PASS_TO_PASS[2]: PASS_TO_PASS must be a list of strings"]


def test_validate_without_jsonschema_keeps_its_own_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jsonschema", None)  # import jsonschema now raises ImportError
    data = json.loads((EXAMPLES / "wordstats" / "instances" / "instance.json").read_text(encoding="utf-8"))
    data["PASS_TO_PASS"].append(3)
    root = _task_with_instance(tmp_path, data)

    reasons = [f.reason for f in validate(root).findings if f.code == "GT103"]

    assert schema_errors("instance", data) is None
    assert reasons == ["PASS_TO_PASS must be a list of strings"]


def test_the_report_schema_is_strict_on_core_keys_and_open_to_new_ones() -> None:
    report = {
        "schema_version": 1,
        "tool": "pytest-gtguard",
        "kind": "meta",
        "run_id": "r",
        "started_at": "2026-01-01T00:00:00+00:00",
        "finished_at": "2026-01-01T00:00:01+00:00",
        "duration_seconds": 1.0,
        "success": True,
        "error": None,
        "task": "/t",
        "environment": {"python_version": "3.12.0", "platform": "p", "pytest_version": "9", "executable": "py"},
        "meta": {"score": 90.0, "counts": {"Killed": 9}, "variants": [], "failures": []},
        "html_report": "report.html",  # a key a later version adds
    }

    assert schema_errors("report", report) == []
    assert {e.key for e in schema_errors("report", {**report, "success": "yes"}) or []} == {"success"}
    assert {e.key for e in schema_errors("report", {**report, "meta": {"score": 150}}) or []} == {"meta"}
