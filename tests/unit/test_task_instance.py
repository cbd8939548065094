from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gtguard.task.instance import (
    InstanceError,
    differing_keys,
    find_instance_files,
    load_instances,
    parse_instances,
    read_instance_text,
    schema_problems,
)

GOOD = {
    "instance_id": "AB12CD",
    "problem_statement": "Fix it.",
    "base_commit": "repository_before/",
    "github_url": "https://github.com/o/r/tree/main/ab12cd-x",
    "FAIL_TO_PASS": ["tests/test_x.py::test_a"],
    "PASS_TO_PASS": [],
    "difficulty": "hard",
}


def test_instance_schema_accepts_a_complete_instance() -> None:
    assert schema_problems(GOOD) == []


def test_instance_schema_accepts_repo_instead_of_github_url() -> None:
    data = {**GOOD, "repo": "o/r"}
    del data["github_url"]

    assert schema_problems(data) == []


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        ({"instance_id": None}, "instance_id", "missing"),
        ({"problem_statement": 3}, "problem_statement", "not a string"),
        ({"github_url": None}, "repo", "neither repo nor github_url"),
        ({"FAIL_TO_PASS": "['a', 'b']"}, "FAIL_TO_PASS", "a string, not a list"),
        ({"PASS_TO_PASS": [["nested"]]}, "PASS_TO_PASS", "list of strings"),
        ({"PASS_TO_PASS": None}, "PASS_TO_PASS", "missing"),
    ],
    ids=["missing-id", "statement-type", "no-repo", "f2p-string", "p2p-nested", "p2p-missing"],
)
def test_instance_schema_reports_each_problem(change: dict[str, object], key: str, words: str) -> None:
    data = {**GOOD, **change}
    data = {k: v for k, v in data.items() if v is not None}

    (problem,) = schema_problems(data)

    assert problem.key == key
    assert words in problem.reason
    assert problem.fix


def test_instance_parse_reports_raw_newline_with_line_and_lenient_hint() -> None:
    text = '{\n  "instance_id": "X",\n  "problem_statement": "line one\nline two"\n}'

    with pytest.raises(InstanceError) as info:
        parse_instances(text, where="instance.json")

    assert info.value.line == 3
    assert info.value.lenient_ok
    assert str(info.value).startswith("instance.json:3:")
    assert "\\n" in info.value.fix


def test_instance_parse_reports_unescaped_quote() -> None:
    with pytest.raises(InstanceError) as info:
        parse_instances('{"problem_statement": "say "hi" now"}', where="i.json")

    assert not info.value.lenient_ok
    assert "unescaped double quote" in info.value.fix


def test_instance_parse_rejects_a_non_object() -> None:
    with pytest.raises(InstanceError, match="expected a JSON object"):
        parse_instances("[1, 2]", where="i.json")


def test_instance_load_reads_a_list_of_instances(tmp_path: Path) -> None:
    (tmp_path / "instances").mkdir()
    path = tmp_path / "instances" / "instances.json"
    path.write_text('[{"instance_id": "A", "FAIL_TO_PASS": ["t1"], "github_url": "u"}, {"instance_id": "B"}]')

    first, second = load_instances(path)

    assert find_instance_files(tmp_path) == [path]
    assert (first.instance_id, first.fail_to_pass, first.repo) == ("A", ("t1",), "u")
    assert (second.instance_id, second.fail_to_pass) == ("B", ())


def test_instance_find_falls_back_to_any_json_file(tmp_path: Path) -> None:
    (tmp_path / "instances").mkdir()
    (tmp_path / "instances" / "todo_refactor_001.json").write_text("{}")

    assert [p.name for p in find_instance_files(tmp_path)] == ["todo_refactor_001.json"]


def test_instance_read_reports_an_empty_file_with_the_write_the_object_fix(tmp_path: Path) -> None:
    path = tmp_path / "instance.json"
    path.write_text("  \n")

    with pytest.raises(InstanceError) as caught:
        read_instance_text(path)

    assert caught.value.reason == "the file is empty"
    assert caught.value.fix.startswith("write the instance object")


def test_instance_read_reports_utf16_with_the_save_as_utf8_fix(tmp_path: Path) -> None:
    path = tmp_path / "instance.json"
    path.write_text('{"instance_id": "A"}', encoding="utf-16")

    with pytest.raises(InstanceError) as caught:
        read_instance_text(path)

    assert "UTF-16" in caught.value.reason
    assert caught.value.fix == "save it as UTF-8"


def test_instance_read_reads_past_a_utf8_bom_and_says_it_was_there(tmp_path: Path) -> None:
    path = tmp_path / "instance.json"
    path.write_text('{"instance_id": "A"}', encoding="utf-8-sig")

    assert read_instance_text(path) == ('{"instance_id": "A"}', True)
    assert load_instances(path)[0].instance_id == "A"


def test_instance_differing_keys_names_what_two_files_disagree_on() -> None:
    other = {**GOOD, "FAIL_TO_PASS": []}

    assert differing_keys([GOOD], [other]) == ["FAIL_TO_PASS"]
    assert differing_keys([GOOD], [dict(GOOD)]) == []
    assert differing_keys([GOOD], [other, {**GOOD, "instance_id": "ZZ"}]) == ["FAIL_TO_PASS", "instance_id"]
