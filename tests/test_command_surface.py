"""The command surface: one naming rule for every option, hidden plumbing, deprecated spellings, TASK_DIR."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from pytest_gtguard import cli
from pytest_gtguard._option import old_dest
from pytest_gtguard.cli import ExitCode, build_parser, main
from pytest_gtguard.errors import ConfigError
from pytest_gtguard.reward.model import Grade, Status
from pytest_gtguard.settings import ALL_OPTIONS, Option, deprecated_uses, resolve
from pytest_gtguard.task.taskdir import TASK_ENV, grade_paths

ROOT = Path(__file__).resolve().parents[1]
SHORT_FORMS = {"--before", "--after", "--repo", "--meta"}
HIDDEN = {"--gtguard-shuffle", "--gtguard-reach-sides", "--gtguard-trace-sides"}

# Every old spelling, the option it stands for, a value and what the option then reads.
OLD_SPELLINGS = [
    ("--meta-seed", "gtguard_meta_seed", "7", "7"),
    ("--meta-max-mutants", "gtguard_meta_max_mutants", "4", "4"),
    ("--meta-min-score", "gtguard_meta_min_score", "50", "50.0"),
    ("--gtguard-meta-variant", "gtguard_meta_variants", "calc.py=broken.py", "('calc.py=broken.py',)"),
]


def _name(opt: Option) -> str:
    return opt.dest.removeprefix("gtguard_")


@pytest.mark.parametrize("opt", ALL_OPTIONS, ids=lambda o: o.dest)
def test_option_follows_the_naming_rule(opt: Option) -> None:
    assert opt.dest.startswith("gtguard_")
    if opt.flags:
        assert set(opt.flags) - SHORT_FORMS == {opt.flags[-1]}, "one --gtguard- spelling, last, beside a short form"
        assert opt.flags[-1] == "--gtguard-" + _name(opt).replace("_", "-")
    if opt.ini:
        assert opt.ini == opt.dest
    if opt.env:
        assert opt.env == opt.dest.upper()


def test_option_old_spellings_are_exactly_the_documented_ones() -> None:
    declared = {(flag, opt.dest) for opt in ALL_OPTIONS for flag in opt.deprecated}

    assert declared == {(flag, dest) for flag, dest, _, _ in OLD_SPELLINGS}


def test_option_plumbing_is_hidden_but_declared() -> None:
    assert {opt.flags[-1] for opt in ALL_OPTIONS if opt.hidden} == HIDDEN


def test_help_lists_new_spellings_only(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")

    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*--gtguard-meta-seed=N*", "*--gtguard-meta-variants=TARGET=VARIANT*"])
    out = result.stdout.str()
    for flag in [*HIDDEN, *(old for old, *_ in OLD_SPELLINGS)]:
        assert f"{flag}=" not in out and f"{flag} " not in out, f"{flag} is listed in --help"


def test_hidden_plumbing_is_still_accepted(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="def test_one():\n    pass\n\ndef test_two():\n    pass\n")

    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--gtguard-shuffle", "3", "--gtguard-reach-sides", "--gtguard-results", "out.json"
    )

    result.assert_outcomes(passed=2)
    assert (pytester.path / "out.json").is_file()


@pytest.mark.parametrize(("old", "dest", "value", "expected"), OLD_SPELLINGS, ids=[o[0] for o in OLD_SPELLINGS])
def test_old_spelling_warns_once_and_still_works(
    pytester: pytest.Pytester, old: str, dest: str, value: str, expected: str
) -> None:
    new = next(opt.flags[-1] for opt in ALL_OPTIONS if opt.dest == dest)
    pytester.makepyfile(
        test_value=f"""
        from pytest_gtguard._config import option

        def test_value(pytestconfig):
            got = option(pytestconfig, {dest!r})
            assert (repr(got.value) if isinstance(got.value, tuple) else str(got.value)) == {expected!r}
            assert got.source == "command-line option {old}"
        """
    )

    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "always", f"{old}={value}")

    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines([f"*GtguardDeprecationWarning: {old} is deprecated*: use {new}"])
    assert result.stdout.str().count("is deprecated") == 1


def test_old_spelling_is_an_error_under_filterwarnings_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(test_a="def test_a():\n    pass\n")

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--meta-seed", "1")

    assert result.ret != pytest.ExitCode.OK
    assert "use --gtguard-meta-seed" in result.stdout.str() + result.stderr.str()


def test_old_spelling_bad_value_names_the_spelling_given(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider", "--meta-min-score", "101")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*command-line option --meta-min-score: got '101'*at most 100*"])


def test_new_spelling_wins_over_the_old_one() -> None:
    opt = next(o for o in ALL_OPTIONS if o.dest == "gtguard_meta_seed")
    ns = argparse.Namespace(**{opt.dest: "2", old_dest(opt): "9"})

    got = resolve(opt, cli=ns, environ={}, getini=lambda name: None, base=ROOT)

    assert (got.value, got.source) == (2, "command-line option --gtguard-meta-seed")
    assert deprecated_uses(ns, [opt]) == [
        "--meta-seed is deprecated and will be removed in the next release: use --gtguard-meta-seed"
    ]


def test_configuration_page_shows_old_spellings_and_omits_plumbing() -> None:
    table = (ROOT / "docs" / "configuration.md").read_text().split("<!-- options:start -->")[1]

    for old, *_ in OLD_SPELLINGS:
        assert f"(deprecated: `{old}`)" in table
    for flag in HIDDEN:
        assert f"`{flag}`" not in table


# --- TASK_DIR: one spelling, and $GTGUARD_TASK when it is left out ------------------------------------------

CALC_TESTS = """
from calc import add, sub


def test_add():
    assert add(2, 3) == 5


def test_sub():
    assert sub(5, 3) == 2
"""
GOOD = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"
WRONG = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return b - a\n"


@pytest.fixture
def env_task(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small bugfix task named by $GTGUARD_TASK, with the current directory elsewhere."""
    assert main(["init", "t", "--category", "bugfix", "--dir", str(tmp_path)]) == ExitCode.OK
    task = tmp_path / "t"
    (task / "repository_before" / "calc.py").write_text(WRONG)
    (task / "repository_after" / "calc.py").write_text(GOOD)
    (task / "tests" / "test_calc.py").write_text(CALC_TESTS)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    monkeypatch.setenv("GTGUARD_TASK", str(task))
    monkeypatch.setenv("GTGUARD_CACHE_DIR", str(tmp_path / "cache"))
    return task


def _task_positionals() -> dict[str, argparse.Action]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {name: a for name, p in sub.choices.items() for a in p._actions if a.dest == "task"}


def test_task_dir_is_one_optional_positional_in_every_subcommand() -> None:
    positionals = _task_positionals()

    assert set(positionals) == {"validate", "patch", "split", "calibrate", "grade"}
    assert {(a.metavar, a.nargs) for a in positionals.values()} == {("TASK_DIR", "?")}
    assert next(o.env for o in ALL_OPTIONS if o.dest == "gtguard_task") == TASK_ENV


def test_gtguard_task_env_validate(env_task: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", "--json", "--no-git"])

    assert json.loads(capsys.readouterr().out)["task"] == str(env_task.resolve())
    assert code == ExitCode.FINDINGS  # no patch yet


def test_gtguard_task_env_patch(env_task: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    code = main(["patch", "--stdout", "--no-git"])

    assert code == ExitCode.OK
    assert b"+++ b/repository_after/calc.py" in capsysbinary.readouterr().out


def test_gtguard_task_env_split(env_task: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.json"

    code = main(["split", "--gtguard-runs", "1", "--gtguard-report", str(report)])

    assert code == 0, capsys.readouterr().out
    assert json.loads(report.read_text())["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_sub"]


def test_gtguard_task_env_split_names_it_in_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GTGUARD_TASK", str(tmp_path / "missing"))
    monkeypatch.chdir(tmp_path)

    assert main(["split"]) == ExitCode.USAGE_ERROR
    assert capsys.readouterr().err.startswith(f"gtguard split: error: $GTGUARD_TASK: task directory {tmp_path}")


def test_gtguard_task_env_calibrate(
    env_task: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake(prepared: object, attempt: Path, **kwargs: object) -> Grade:
        return Grade(attempt.name, Status.RESOLVED, 1.0, {"tests/test_calc.py::test_sub": "passed"})

    monkeypatch.setattr(cli, "grade_prepared", fake)
    (env_task / "attempts" / "a1").mkdir(parents=True)
    (env_task / "attempts" / "a1" / "calc.py").write_text(GOOD)

    code = main(["calibrate", "--attempts", str(env_task / "attempts"), "--json"])

    data = json.loads(capsys.readouterr().out)
    assert data["task"] == str(env_task.resolve()) and data["target_passed"] == 1
    assert code == ExitCode.FINDINGS  # Too Hot: the only attempt passed


def test_gtguard_task_env_grade(env_task: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "calc.py").write_text(GOOD)

    code = main(["grade", "--json", str(tmp_path / "good")])

    record = json.loads(capsys.readouterr().out)
    assert code == ExitCode.OK
    assert (record["task"], record["reward"]) == (str(env_task.resolve()), 1.0)


def test_grade_paths_keep_an_explicit_task_dir_and_refuse_a_task_alone(tmp_path: Path) -> None:
    (tmp_path / "task" / "repository_after").mkdir(parents=True)
    env = {TASK_ENV: str(tmp_path / "other")}
    task = str(tmp_path / "task")

    assert grade_paths(task, ["c1"], env) == (tmp_path / "task", ["c1"])
    assert grade_paths("c0", ["c1"], env) == (tmp_path / "other", ["c0", "c1"])
    assert grade_paths("c0", ["c1"], {}) == (Path("c0"), ["c1"])  # no $GTGUARD_TASK: the first is TASK_DIR
    assert grade_paths(None, ["c1"], {}) == (Path("."), ["c1"])
    with pytest.raises(ConfigError, match="is a task folder, and no CANDIDATE follows it"):
        grade_paths(None, [task], env)
