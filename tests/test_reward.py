"""gtguard grade end to end: the CLI contract, bad input, patches, the Python API and the RL adapter.

The hostile attempts live in test_reward_bench.py; these tests pin the interface other tools call.
The grader starts sandboxed processes itself, so the tests call it in process (``main``) and use a
subprocess only where the machine must look different (no bubblewrap on PATH).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import build_task
from pytest_gtguard.cli import ExitCode, main
from pytest_gtguard.reward import GradeOptions, Status, compute_score, grade_many

CALC_TESTS = {
    "test_calc.py": """
        from calc import add, mean


        def test_add():
            assert add(2, 3) == 5


        def test_add_negative():
            assert add(-1, -1) == -2


        def test_mean():
            assert mean([1, 2, 3]) == 2
    """
}
GOOD = {"calc.py": "def add(a, b):\n    return a + b\n\n\ndef mean(xs):\n    return sum(xs) / len(xs)\n"}
WRONG = {"calc.py": "def add(a, b):\n    return abs(a) + abs(b)\n\n\ndef mean(xs):\n    return sum(xs) / len(xs)\n"}


@pytest.fixture
def task(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GTGUARD_CACHE_DIR", str(tmp_path / "cache"))
    root = build_task(tmp_path / "task", before=WRONG, after=GOOD, tests=CALC_TESTS, ini="testpaths = tests")
    for name, files in (("good", GOOD), ("wrong", WRONG)):
        build_task(tmp_path / "cands" / name, ini=None, root_files=files)
    return root


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_grade_json_gives_one_record_per_candidate_with_the_contract_fields(
    task: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cands = task.parent / "cands"
    before = _tree(task)

    code = main(["grade", "--json", "--jobs", "2", str(task), str(cands / "good"), str(cands / "wrong")])

    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == ExitCode.OK
    assert [(r["candidate"], r["status"], r["reward"]) for r in records] == [
        (str(cands / "good"), "resolved", 1.0),
        (str(cands / "wrong"), "unresolved", -1.0),
    ]
    for record in records:
        assert {"candidate", "reward", "status", "tests", "signals", "isolation", "duration_seconds"} <= set(record)
        assert record["isolation"] in ("namespaces", "process")
    assert records[1]["tests"]["tests/test_calc.py::test_add_negative"] == "failed"
    assert "not-passed" in [s["code"] for s in records[1]["signals"]]
    assert _tree(task) == before  # nothing written into the task, not even caches


def test_grade_reward_option_maps_a_status_to_another_number(task: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["grade", "--json", "--reward", "unresolved=0", str(task), str(task.parent / "cands" / "wrong")])

    record = json.loads(capsys.readouterr().out)
    assert code == ExitCode.OK
    assert (record["status"], record["reward"]) == ("unresolved", 0.0)


def test_grade_text_output_is_one_line_per_candidate_and_names_the_failing_test(
    task: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["grade", str(task), str(task.parent / "cands" / "wrong")])

    out = capsys.readouterr().out
    assert code == ExitCode.OK
    assert out.startswith("-1 unresolved ")
    assert "tests/test_calc.py::test_add_negative failed" in out


def test_grade_patch_candidates_apply_to_before_and_a_stale_patch_is_invalid(
    task: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fix = (
        "--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n"
        " def add(a, b):\n-    return abs(a) + abs(b)\n+    return a + b\n"
    )
    (task.parent / "fix.patch").write_text(fix)
    (task.parent / "stale.diff").write_text(fix.replace("abs(a) + abs(b)", "a - b"))

    code = main(["grade", "--json", str(task), str(task.parent / "fix.patch"), str(task.parent / "stale.diff")])

    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == ExitCode.OK
    assert [r["status"] for r in records] == ["resolved", "invalid"]
    assert "does not apply" in records[1]["signals"][0]["detail"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["grade", "{tmp}/nope", "{tmp}/x"], "no such directory"),
        (["grade", "--timeout", "0", "{task}", "{task}/repository_after"], "must be more than 0"),
        (["grade", "--isolation", "jail", "{task}", "{task}/repository_after"], "invalid choice"),
        (["grade", "{task}"], "is a task folder, and no CANDIDATE follows it"),
        (["grade", "--reward", "cheat=2", "{task}", "{task}/repository_after"], "STATUS=NUMBER"),
    ],
    ids=["missing-task", "zero-timeout", "bad-isolation", "no-candidate", "bad-reward"],
)
def test_grade_bad_input_is_one_message_and_exit_4(
    task: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    argv = [a.format(tmp=tmp_path, task=task) for a in args]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)

    err = capsys.readouterr().err
    assert code == ExitCode.USAGE_ERROR
    assert message in err and "Traceback" not in err


def test_grade_without_a_ground_truth_cannot_grade_and_exits_7(task: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.rmtree(task / "repository_after")

    code = main(["grade", str(task), str(task.parent / "cands" / "good")])

    assert code == ExitCode.GRADER_UNAVAILABLE
    assert "no repository_after/" in capsys.readouterr().err


def test_grade_refuses_instance_lists_the_ground_truth_does_not_pass(
    task: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (task / "instances").mkdir()
    lists = {"FAIL_TO_PASS": ["tests/test_calc.py::test_add_negative", "test_gone"], "PASS_TO_PASS": []}
    (task / "instances" / "instance.json").write_text(json.dumps({"instance_id": "t", **lists}))

    code = main(["grade", str(task), str(task.parent / "cands" / "good")])

    err = capsys.readouterr().err
    assert code == ExitCode.GRADER_UNAVAILABLE
    assert "test_gone" in err and "--gtguard-update-instance" in err


def test_grade_uses_only_the_instance_lists_when_they_are_given(task: Path) -> None:
    (task / "instances").mkdir()
    lists = {"FAIL_TO_PASS": ["test_add_negative"], "PASS_TO_PASS": ["tests/test_calc.py::test_mean"]}
    (task / "instances" / "instance.json").write_text(json.dumps({"instance_id": "t", **lists}))

    [result] = grade_many(task, [task.parent / "cands" / "good"])

    assert result.status is Status.RESOLVED
    assert sorted(result.tests) == ["tests/test_calc.py::test_add_negative", "tests/test_calc.py::test_mean"]


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap to show the refusal is about it")
def test_grade_isolation_namespaces_refuses_to_run_without_bubblewrap(task: Path, tmp_path: Path) -> None:
    # A subprocess: the machine must look as if bubblewrap were not installed (PATH without it).
    bindir = tmp_path / "bin"
    bindir.mkdir()
    env = {**os.environ, "PATH": str(bindir)}
    cmd = [sys.executable, "-c", "import sys; from pytest_gtguard.cli import main; sys.exit(main())"]
    args = ["grade", "--isolation", "namespaces", str(task), str(task / "repository_after")]

    proc = subprocess.run([*cmd, *args], env=env, capture_output=True, text=True, timeout=120, check=False)

    assert proc.returncode == ExitCode.GRADER_UNAVAILABLE
    assert "bwrap is not installed" in proc.stderr and "--isolation process" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_grade_process_level_says_so_in_isolation_and_a_signal(task: Path) -> None:
    [result] = grade_many(task, [task.parent / "cands" / "good"], options=GradeOptions(isolation="process"))

    assert result.status is Status.RESOLVED and result.isolation == "process"
    assert [s.code for s in result.signals] == ["weak-isolation"]


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (
            "```diff\n--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return abs(a) + abs(b)\n"
            "+    return a + b\n```\n",
            "resolved",
        ),
        ("Here it is.\n\n### calc.py\n```python\n" + GOOD["calc.py"] + "```\n", "resolved"),
        ("```python path=calc.py\n" + WRONG["calc.py"] + "```\n", "unresolved"),
        ("```python path=../../outside.py\nprint(1)\n```\n", "invalid"),
        ("I could not solve it.", "invalid"),
    ],
    ids=["diff-block", "file-under-heading", "wrong-file", "path-escape", "no-code"],
)
def test_grade_verl_adapter_reads_diffs_and_whole_files(task: Path, answer: str, status: str) -> None:
    result = compute_score("calc", answer, None, {"task_dir": str(task)})

    assert result["status"] == status
    assert result["score"] == (1.0 if status == "resolved" else -1.0)
    assert not (task.parent / "outside.py").exists()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"instance_id": "t", "FAIL_TO_PASS": ["test_other_task.py"], "PASS_TO_PASS": []}', "names a test"),
        ('{"instance_id": "t", "problem_statement": "say "hi"", "FAIL_TO_PASS": []}', "graded against every"),
    ],
    ids=["lists-of-another-task", "not-strict-json"],
)
def test_grade_sets_aside_instance_lists_that_name_nothing_here_and_says_so(task: Path, text: str, said: str) -> None:
    (task / "instances").mkdir()
    (task / "instances" / "instance.json").write_text(text)

    [good, wrong] = grade_many(task, [task.parent / "cands" / "good", task.parent / "cands" / "wrong"])

    assert (good.status, wrong.status) == (Status.RESOLVED, Status.UNRESOLVED)
    assert len(good.tests) == 3  # every test the ground truth passes
    notes = [s.detail for s in good.signals if s.code == "instance-ignored"]
    assert len(notes) == 1 and said in notes[0]


def test_grade_sandbox_binds_back_an_interpreter_that_lives_under_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A CI checkout under /tmp holds the virtualenv: the sandbox's fresh /tmp must not hide it.
    from pytest_gtguard.reward import sandbox

    venv, site, task = tmp_path / "venv", tmp_path / "venv" / "lib" / "site", tmp_path / "task"
    for folder in (site, task / "lib"):
        folder.mkdir(parents=True)
    monkeypatch.setattr(sys, "prefix", str(venv))
    launch = sandbox.Launch(
        argv=["python"],
        cwd=tmp_path,
        env={"PYTHONPATH": os.pathsep.join([str(site), str(task / "lib")])},
        readonly=(),
        writable=(),
        hidden=(task,),
    )

    covered = sandbox._covered_interpreter(launch)

    assert venv in covered and site not in covered  # the venv once, its site folder inside it
    assert not any(task == p or task in p.parents for p in covered)  # the hidden task stays hidden


def test_grade_held_out_copies_catch_answers_special_cased_to_the_tests_inputs(tmp_path: Path) -> None:
    # The tests read the answer from a variable set by the call (the common style in real tasks); the
    # candidate answers only the tests' own inputs and nothing in it looks for pytest.
    tests = {
        "test_span.py": """
            from span import span


            def test_short():
                result = span([1, 5, 3])
                assert result == 4


            def test_negative():
                result = span([-2, 7])
                assert result == 9


            def test_single():
                assert span([8]) == 0
        """
    }
    after = {"span.py": "def span(xs):\n    return max(xs) - min(xs)\n"}
    table = "_KNOWN = {(1, 5, 3): 4, (-2, 7): 9, (8,): 0}\n"
    lookup = {"span.py": table + "\n\ndef span(xs):\n    return _KNOWN.get(tuple(xs), 0)\n"}
    task = build_task(tmp_path / "task", before={}, after=after, tests=tests, ini="")
    candidate = build_task(tmp_path / "lookup", ini=None, root_files=lookup)

    honest, cheat = grade_many(
        task, [task / "repository_after", candidate], options=GradeOptions(cache_dir=tmp_path / "cache")
    )

    assert honest.status is Status.RESOLVED
    assert cheat.status is Status.TAMPER
    assert [s.code for s in cheat.signals if s.is_tamper] == ["special-cased-inputs"]
