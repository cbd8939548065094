from __future__ import annotations

from pathlib import Path

import pytest

ENV_PROBE = """
    import os

    def test_env():
        print("PROBE", {names!r}, [os.environ.get(n) for n in {names!r}])
"""


def _no_traceback(result: pytest.RunResult) -> None:
    assert "Traceback" not in result.stderr.str()
    assert "Traceback" not in result.stdout.str()


# --- importing the side under test ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "passed", "failed"), [("--before", 0, 1), ("--after", 1, 0)], ids=["before", "after"]
)
def test_side_bare_import_resolves_to_selected_side(
    pytester: pytest.Pytester, bugfix_task: Path, option: str, passed: int, failed: int
) -> None:
    result = pytester.runpytest(option)

    result.assert_outcomes(passed=passed, failed=failed)


# The smallest bug fix: before subtracts, after adds.
BROKEN_CALC = {"calc.py": "def add(a, b):\n    return a - b\n"}
FIXED_CALC = {"calc.py": "def add(a, b):\n    return a + b\n"}


def test_side_header_names_side_and_path(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    result = pytester.runpytest("--before")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [f"gtguard: testing before ({bugfix_task / 'repository_before'})", f"gtguard: task {bugfix_task}"]
    )


def test_side_explicit_repository_imports_keep_working_when_tests_compare_sides(
    pytester: pytest.Pytester, make_task
) -> None:
    make_task(
        before=BROKEN_CALC,
        after=FIXED_CALC,
        tests={
            "test_compare.py": """
                from repository_after.calc import add as new_add
                from repository_before.calc import add as old_add

                def test_sides_differ():
                    assert (old_add(2, 3), new_add(2, 3)) == (-1, 5)
            """
        },
    )

    for option in ("--before", "--after"):
        pytester.runpytest(option).assert_outcomes(passed=1)


def test_side_hard_coded_after_import_loads_before_when_tests_never_name_before(
    pytester: pytest.Pytester, make_task
) -> None:
    make_task(
        before=BROKEN_CALC,
        after=FIXED_CALC,
        tests={"test_calc.py": "from repository_after.calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n"},
    )

    pytester.runpytest("--after").assert_outcomes(passed=1)
    result = pytester.runpytest("--before")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["gtguard: import repository_after loads repository_before*"])
    pytester.runpytest("--before", "-o", "gtguard_alias_before=false").assert_outcomes(passed=1)


def test_side_keeps_explicit_after_import_when_tests_also_import_a_side_module_by_bare_name(
    pytester: pytest.Pytester, make_task
) -> None:
    # A PYTHONPATH-swap task that compares with the ground truth: `import calc` follows the side, and
    # its explicit repository_after import is a deliberate reference, never aliased to the before side.
    make_task(
        before=BROKEN_CALC,
        after=FIXED_CALC,
        tests={
            "test_calc.py": "import calc\nfrom repository_after.calc import add as reference\n\n"
            "def test_add():\n    assert calc.add(2, 3) == reference(2, 3)\n"
        },
    )

    pytester.runpytest("--after").assert_outcomes(passed=1)
    result = pytester.runpytest("--before")

    result.assert_outcomes(failed=1)
    assert "loads repository_before" not in result.stdout.str()


def test_side_conftest_sys_path_insert_of_after_does_not_leak_into_before(
    pytester: pytest.Pytester, bugfix_task: Path
) -> None:
    pytester.makeconftest(
        """
        import os, sys
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "repository_after"))
        """
    )
    (bugfix_task / "conftest.py").rename(bugfix_task / "tests" / "conftest.py")

    pytester.runpytest("--before").assert_outcomes(failed=1)
    pytester.runpytest("--after").assert_outcomes(passed=1)


def test_side_stray_copy_at_task_root_does_not_leak_into_before(pytester: pytest.Pytester, make_task) -> None:
    # Task 3qvykf: a copy of the solution at the task root plus tests/__init__.py (rootdir insertion).
    make_task(
        before={},
        after={"sem.py": "VALUE = 1\n"},
        root_files={"sem.py": "VALUE = 1\n"},
        tests={
            "__init__.py": "",
            "test_sem.py": "from sem import VALUE\n\ndef test_value():\n    assert VALUE == 1\n",
        },
    )

    result = pytester.runpytest("--before")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*'import sem' would load *sem.py*stray copy at the task root*"])
    pytester.runpytest("--after").assert_outcomes(passed=1)


def test_side_module_outside_both_sides_is_left_to_sys_path(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    # Meta-tests (utkjhd) write their own copy of the side's module into a temporary folder and import it.
    pytester.makepyfile(
        test_meta="""
        import importlib, sys

        def test_own_copy_wins(tmp_path, monkeypatch):
            (tmp_path / "calc").mkdir()
            (tmp_path / "calc" / "__init__.py").write_text("MARK = 'mine'\\n")
            monkeypatch.syspath_prepend(str(tmp_path))
            for name in [n for n in sys.modules if n == "calc" or n.startswith("calc.")]:
                monkeypatch.delitem(sys.modules, name)
            assert importlib.import_module("calc").MARK == "mine"
        """
    )

    result = pytester.runpytest("--after", "test_meta.py")

    result.assert_outcomes(passed=1)


def test_side_other_sides_tests_are_not_collected_unless_named(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    (bugfix_task / "repository_after" / "test_own.py").write_text("def test_own():\n    pass\n")

    pytester.runpytest("--before").assert_outcomes(failed=1)
    pytester.runpytest("--after").assert_outcomes(passed=2)
    pytester.runpytest("--before", "repository_after/test_own.py").assert_outcomes(passed=1)


def _testing_task(make_task, suite_import: str) -> Path:
    """A testing task: repository_after/ holds the suite under judgement, tests/ a meta-test naming it."""
    return make_task(
        before={"__init__.py": "", "calc.py": "def add(a, b):\n    return a - b\n"},
        after={
            "__init__.py": "",
            "calc.py": "def add(a, b):\n    return a + b\n",
            "test_calc.py": f"{suite_import}\n\ndef test_add():\n    assert add(2, 3) == 5\n",
        },
        tests={
            "test_meta.py": "from repository_after import calc\n\ndef test_meta():\n    assert callable(calc.add)\n"
        },
        ini="gtguard_category = testing",
    )


@pytest.mark.parametrize("option", ["--before", "--after"])
def test_side_testing_task_collects_only_the_meta_tests(pytester: pytest.Pytester, make_task, option: str) -> None:
    _testing_task(make_task, "from calc import add")

    result = pytester.runpytest(option, "-v")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["tests/test_meta.py::test_meta PASSED*"])
    assert "test_calc.py" not in result.stdout.str()


def test_side_testing_task_suite_named_under_before_is_collected_under_its_real_name(
    pytester: pytest.Pytester, make_task
) -> None:
    _testing_task(make_task, "from repository_after.calc import add")

    result = pytester.runpytest("--before", "repository_after/test_calc.py")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["gtguard: import repository_after loads repository_after itself in this run: *"])
    assert "No module named" not in result.stdout.str()
    _no_traceback(result)


def test_side_testing_task_suite_named_on_the_command_line_is_collected(pytester: pytest.Pytester, make_task) -> None:
    _testing_task(make_task, "from calc import add")

    pytester.runpytest("--after", "repository_after/test_calc.py").assert_outcomes(passed=1)
    result = pytester.runpytest("--before", "repository_after/test_calc.py")

    result.assert_outcomes(failed=1)  # the suite runs against the before code, and nothing warns it ran "after"
    assert "executed code from repository_after" not in result.stdout.str()


# --- --repo -------------------------------------------------------------------------------------------


def test_side_repo_runs_candidate_and_aliases_repository_after(pytester: pytest.Pytester, make_task) -> None:
    make_task(
        before=BROKEN_CALC,
        after=FIXED_CALC,
        root_files={"candidate/calc.py": "def add(a, b):\n    return 0\n"},
        tests={
            "test_bare.py": "from calc import add\n\ndef test_bare():\n    assert add(2, 3) == 5\n",
            "test_explicit.py": "from repository_after.calc import add\n\n"
            "def test_explicit():\n    assert add(2, 3) == 5\n",
        },
    )

    result = pytester.runpytest("--repo", "candidate")

    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        ["gtguard: testing candidate (*candidate)", "gtguard: import repository_after loads the candidate*"]
    )
    result = pytester.runpytest("--repo", "candidate", "-o", "gtguard_repo_alias=")
    result.assert_outcomes(passed=1, failed=1)


# pytest picks rootdir and configfile before gtguard declares --repo, so in `--repo PATH` (two arguments)
# its first parse counts PATH among the test paths; `--repo=PATH` is one argument and never one.
WRONG_CANDIDATE = {"candidate/calc.py": "def add(a, b):\n    return 0\n"}
ADD_TEST = {"test_ops.py": "from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n"}
# A candidate plugin that turns every failure into a pass, loaded by the candidate's own addopts.
FORCE_PASS = """
    import pytest

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(item, call):
        report = yield
        report.outcome = "passed"
        return report
"""


@pytest.mark.parametrize(
    ("flag", "config_name", "config"),
    [
        ("--repo", "pytest.ini", "[pytest]\naddopts = -k nothing_matches\n"),
        ("--repo", "tox.ini", "[pytest]\naddopts = -k nothing_matches\n"),
        ("--repo", "setup.cfg", "[tool:pytest]\naddopts = -k nothing_matches\n"),
        ("--repo", "pyproject.toml", '[tool.pytest.ini_options]\naddopts = "-k nothing_matches"\n'),
        ("--gtguard-repo", "pytest.ini", "[pytest]\naddopts = -k nothing_matches\n"),
    ],
    ids=["pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml", "namespaced-flag"],
)
def test_side_repo_space_form_never_runs_with_the_candidates_config(
    pytester: pytest.Pytester, make_task, flag: str, config_name: str, config: str
) -> None:
    make_task(after=FIXED_CALC, tests=ADD_TEST, root_files={**WRONG_CANDIDATE, f"candidate/{config_name}": config})

    result = pytester.runpytest(flag, "candidate")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: {flag} candidate: *configfile *candidate/{config_name} *; write {flag}=candidate (one argument)*"]
    )
    _no_traceback(result)
    result = pytester.runpytest(f"{flag}=candidate")  # the task's configuration: the test runs, and fails
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["configfile: pytest.ini", "FAILED tests/test_ops.py::test_add*"])


def test_side_repo_space_form_stops_before_a_candidate_plugin_can_force_passes(
    pytester: pytest.Pytester, make_task
) -> None:
    candidate_config = "[pytest]\npythonpath = .\naddopts = -p force_pass\n"
    make_task(
        after=FIXED_CALC,
        tests=ADD_TEST,
        root_files={
            **WRONG_CANDIDATE,
            "candidate/pytest.ini": candidate_config,
            "candidate/force_pass.py": FORCE_PASS,
        },
    )

    result = pytester.runpytest("--repo", "candidate")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --repo candidate: *candidate/pytest.ini*write --repo=candidate*"])
    result.stdout.no_fnmatch_line("*passed*")
    pytester.runpytest("--repo=candidate").assert_outcomes(failed=1)


@pytest.mark.parametrize("flag", ["--repo", "--gtguard-repo"])
def test_side_repo_space_form_uses_the_task_ini_and_plain_test_ids(
    pytester: pytest.Pytester, make_task, flag: str
) -> None:
    # The usual call: from the task root, a candidate inside it with no config file of its own.
    make_task(
        after=FIXED_CALC,
        tests={"test_ops.py": "from calc import add\n\ndef check_add():\n    assert add(2, 3) == 5\n"},
        root_files=WRONG_CANDIDATE,
        ini="python_functions = check_*",  # only the task's ini makes check_add a test
    )

    result = pytester.runpytest(flag, "candidate")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [f"rootdir: {pytester.path}", "configfile: pytest.ini", "FAILED tests/test_ops.py::check_add - *"]
    )


def test_side_repo_space_form_outside_the_task_is_a_usage_error_naming_the_fix(
    pytester: pytest.Pytester, make_task, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The task in task/, the candidate beside it: as a test path, ../candidate moves the rootdir up to
    # their common folder, where pytest finds no config file, and the task's pytest.ini is passed over.
    make_task(
        root_files={
            "task/repository_after/calc.py": FIXED_CALC["calc.py"],
            "task/tests/test_ops.py": "from calc import add\n\ndef check_add():\n    assert add(2, 3) == 5\n",
            "task/pytest.ini": "[pytest]\npython_functions = check_*\n",
            **WRONG_CANDIDATE,
        },
        ini=None,
    )
    monkeypatch.chdir(pytester.path / "task")

    result = pytester.runpytest("--repo", "../candidate")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: --repo ../candidate: *chose no configfile and rootdir {pytester.path}; write --repo=../candidate*"]
    )
    result = pytester.runpytest("--repo=../candidate")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["configfile: pytest.ini", "FAILED tests/test_ops.py::check_add - *"])


# --- environment variable conventions ------------------------------------------------------------------


def test_side_default_env_sets_repo_path_to_folder_name(pytester: pytest.Pytester, make_task) -> None:
    make_task(before={"x.py": ""}, after={"x.py": ""}, tests={"test_env.py": ENV_PROBE.format(names=["REPO_PATH"])})

    result = pytester.runpytest("--before", "-s")

    result.assert_outcomes(passed=1)
    assert "PROBE ['REPO_PATH'] ['repository_before']" in result.stdout.str()


def test_side_gtguard_env_ini_is_set_before_conftest_import(pytester: pytest.Pytester, make_task) -> None:
    task = make_task(
        before={"x.py": ""},
        after={"x.py": ""},
        ini="gtguard_env = TEST_IMPLEMENTATION={side} REPO_PATH={name} TARGET_REPO={path} UP={SIDE}",
        tests={
            "conftest.py": """
                import os
                NAMES = ("TEST_IMPLEMENTATION", "REPO_PATH", "TARGET_REPO", "UP")
                SEEN = {n: os.environ.get(n) for n in NAMES}

                def pytest_report_header():
                    return f"CONFTEST SAW {sorted(SEEN.items())}"
            """,
            "test_x.py": "def test_x():\n    pass\n",
        },
    )

    result = pytester.runpytest("--after")

    result.assert_outcomes(passed=1)
    after = task / "repository_after"
    assert (
        f"CONFTEST SAW [('REPO_PATH', 'repository_after'), ('TARGET_REPO', '{after}'), "
        "('TEST_IMPLEMENTATION', 'after'), ('UP', 'AFTER')]"
    ) in result.stdout.lines
    result.stdout.fnmatch_lines(
        [f"gtguard: env TEST_IMPLEMENTATION=after REPO_PATH=repository_after TARGET_REPO={after} UP=AFTER"]
    )


def test_side_env_read_with_side_default_is_detected(pytester: pytest.Pytester, make_task) -> None:
    make_task(
        before={"x.py": ""},
        after={"x.py": ""},
        tests={
            "test_env.py": """
                import os
                IMPL = os.environ.get("TEST_REPO", "after")
                TARGET = os.getenv('TARGET_DIR', '/app/repository_after')

                def test_env():
                    print("PROBE", IMPL, TARGET)
            """
        },
    )

    result = pytester.runpytest("--before", "-s")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "gtguard: env detected from the tests: TEST_REPO=before (read at tests/test_env.py:2), TARGET_DIR=*",
            f"*PROBE before {pytester.path / 'repository_before'}",
        ]
    )
    result = pytester.runpytest("--before", "-s", "-o", "gtguard_env_detect=false")
    result.stdout.fnmatch_lines(["*PROBE after /app/repository_after"])


def test_side_env_and_sys_path_are_restored_after_the_run(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    import os
    import sys

    before_path, before_meta = list(sys.path), list(sys.meta_path)

    pytester.runpytest("--before").assert_outcomes(failed=1)

    assert "REPO_PATH" not in os.environ
    assert (sys.path, sys.meta_path) == (before_path, before_meta)


def test_side_is_undone_when_a_conftest_fails_to_import(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    import os
    import sys

    before_path, before_meta = list(sys.path), list(sys.meta_path)
    (bugfix_task / "tests" / "conftest.py").write_text("this is not python\n")

    result = pytester.runpytest("--before", "tests")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "REPO_PATH" not in os.environ
    assert (sys.path, sys.meta_path) == (before_path, before_meta)


# --- empty and missing sides ----------------------------------------------------------------------------


@pytest.mark.parametrize("before", [{}, None], ids=["empty_folder", "missing_folder"])
def test_side_empty_or_missing_before_makes_tests_error_not_pass(
    pytester: pytest.Pytester, make_task, before: dict[str, str] | None
) -> None:
    make_task(
        before=before,
        after={"calc.py": "X = 1\n"},
        tests={"test_calc.py": "from calc import X\n\ndef test_x():\n    assert X\n"},
    )

    result = pytester.runpytest("--before")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["gtguard: testing before (*repository_before, empty)"])


def test_side_skips_on_empty_side_become_failures(pytester: pytest.Pytester, make_task) -> None:
    # 37dvoc: every test skips when the module is missing, so the before run "passes" with rc 0.
    make_task(
        before={},
        after={"calc.py": "X = 1\n"},
        tests={
            "test_skip.py": """
                import importlib, pytest

                def test_runtime_skip():
                    try:
                        importlib.import_module("calc")
                    except ImportError:
                        pytest.skip("calc not available")
            """,
            "test_module_skip.py": "import pytest\ncalc = pytest.importorskip('calc')\n\ndef test_x():\n    pass\n",
        },
    )

    result = pytester.runpytest("--before", "--continue-on-collection-errors")

    result.assert_outcomes(failed=1, errors=1)
    result.stdout.fnmatch_lines(["*skipped against the empty side before*calc not available*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_side_passing_on_empty_side_is_reported(pytester: pytest.Pytester, make_task) -> None:
    make_task(before={}, after={"calc.py": ""}, tests={"test_none.py": "def test_nothing():\n    pass\n"})

    result = pytester.runpytest("--before")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["gtguard: 1 test(s) passed against the empty side before*do not exercise its code*"])


def test_side_forced_exit_status_zero_is_undone(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    # 23 tasks (e.g. 9izin5) set session.exitstatus = 0 so a failing before run "passes".
    (bugfix_task / "tests" / "conftest.py").write_text(
        "def pytest_sessionfinish(session, exitstatus):\n    session.exitstatus = 0\n"
    )

    result = pytester.runpytest("--before")

    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["gtguard: a pytest_sessionfinish hook changed the exit status from 1 to 0; restored 1*"]
    )


# --- bad input --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--repo", "nowhere"], "*--repo: *nowhere is not a directory*"),
        (["--gtguard-task", "nowhere", "--after"], "*task directory *nowhere does not exist*"),
        (["--gtguard-task", "tests", "--after"], "*holds neither repository_before/ nor repository_after/*"),
        (["--repo", "repository_after", "--before"], "*give either --repo or the side options, not both*"),
        (
            ["--before", "-o", "gtguard_env=NOEQUALS"],
            "*ini key gtguard_env: 'NOEQUALS' is not NAME=TEMPLATE*",
        ),
        (["--after", "--gtguard-env", "X={nope}"], "*unknown field(s) 'nope'*"),
        (["--after", "--gtguard-env", "X={path"], "*is not a valid template*"),
        (
            ["--before", "-o", "gtguard_alias_before=maybe"],
            "*gtguard_alias_before must be auto, true or false*",
        ),
    ],
    ids=[
        "repo-missing",
        "task-missing",
        "task-not-a-task",
        "repo-with-before",
        "env-item",
        "env-field",
        "env-template",
        "alias-mode",
    ],
)
def test_side_bad_option_is_a_usage_error(
    pytester: pytest.Pytester, bugfix_task: Path, args: list[str], message: str
) -> None:
    result = pytester.runpytest(*args)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    _no_traceback(result)


def test_side_before_without_task_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x="def test_x():\n    pass\n")

    result = pytester.runpytest("--before")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --before: no task found*pass --gtguard-task DIR"])
    _no_traceback(result)


def test_side_gtguard_side_env_selects_a_side_without_options(
    pytester: pytest.Pytester, bugfix_task: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GTGUARD_SIDE", "before")

    result = pytester.runpytest()

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["gtguard: testing before*"])
    pytester.runpytest("--after").assert_outcomes(passed=1)


def test_side_gtguard_task_points_at_task_from_elsewhere(pytester: pytest.Pytester, make_task) -> None:
    make_task(before={"calc.py": "V = 0\n"}, after={"calc.py": "V = 1\n"}, ini=None)
    other = pytester.mkdir("elsewhere")
    (other / "test_v.py").write_text("from calc import V\n\ndef test_v():\n    assert V == 1\n")

    result = pytester.runpytest("--after", "--gtguard-task", str(pytester.path), str(other))

    result.assert_outcomes(passed=1)


def test_side_yields_repo_flag_to_a_conftest_that_declares_it(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    # Survey §2: 9 tasks declare their own --repo before|after; argparse would abort on the clash.
    (bugfix_task / "tests" / "conftest.py").write_text(
        "def pytest_addoption(parser):\n"
        "    parser.addoption('--repo', action='store', default='after', help='before or after')\n"
        "\n"
        "def pytest_report_header(config):\n"
        "    return f\"TASK REPO {config.getoption('--repo')}\"\n"
    )

    result = pytester.runpytest("--before", "--repo", "before")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["gtguard: testing before*", "TASK REPO before"])
    pytester.runpytest("--gtguard-repo", "repository_after").assert_outcomes(passed=1)


# --- fixtures -----------------------------------------------------------------------------------------------


def test_side_load_side_compares_both_sides_without_leaking(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    pytester.makepyfile(
        test_both="""
        import sys

        def test_both(load_side, gtguard_side):
            old = load_side("before", "calc.ops")
            new = load_side("after", "calc.ops")
            assert (old.add(2, 3), new.add(2, 3)) == (-1, 5)
            assert "calc.ops" not in sys.modules
            import calc.ops
            assert calc.ops.add(2, 3) == 5
            assert gtguard_side.kind.value == "after"
        """
    )

    result = pytester.runpytest("--after", "test_both.py")

    result.assert_outcomes(passed=1)


def test_side_load_side_works_without_a_side_option(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    pytester.makepyfile(
        test_both="""
        def test_both(load_side):
            assert load_side("before", "calc.ops").add(1, 1) == 0
        """
    )

    pytester.runpytest("test_both.py").assert_outcomes(passed=1)


def test_side_load_side_missing_module_names_the_side(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    pytester.makepyfile(test_missing="def test_missing(load_side):\n    load_side('before', 'nope')\n")

    result = pytester.runpytest("--after", "test_missing.py")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*load_side: no module 'nope' in before*"])


def test_side_gtguard_side_fixture_fails_without_a_side(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x="def test_x(gtguard_side):\n    pass\n")

    result = pytester.runpytest()

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no side under test; run pytest --before, --after or --repo PATH*"])


# --- integration edges ------------------------------------------------------------------------------------


def test_side_disabled_plugin_still_runs(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")

    result = pytester.runpytest("-p", "no:gtguard", "test_plain.py")

    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("gtguard:*")


def test_side_help_lists_gtguard_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")

    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["ground-truth guard (pytest-gtguard):", "*--before, --gtguard-before*", "*--repo PATH*"]
    )


@pytest.mark.parametrize(
    ("option", "passed", "failed"), [("--before", 1, 1), ("--after", 2, 0)], ids=["before", "after"]
)
def test_side_selection_is_honoured_on_xdist_workers(
    pytester: pytest.Pytester, bugfix_task: Path, option: str, passed: int, failed: int
) -> None:
    pytest.importorskip("xdist")
    side = option.lstrip("-")
    (bugfix_task / "tests" / "test_env.py").write_text(
        f"import os\n\ndef test_env():\n    assert os.environ['REPO_PATH'] == 'repository_{side}'\n"
    )

    result = pytester.runpytest(option, "-n", "2")

    result.assert_outcomes(passed=passed, failed=failed)


# --- plain `pytest` in a task, no side chosen --------------------------------------------------------------

NO_SIDE_HINT = "gtguard: no side was chosen, so 'calc' from repository_before/ and repository_after/ cannot be*"


def test_side_none_chosen_gives_one_hint_naming_the_side_options(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    (bugfix_task / "tests" / "test_more.py").write_text("import calc.ops\n\ndef test_more():\n    pass\n")

    result = pytester.runpytest("-p", "no:cacheprovider")

    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            "*ModuleNotFoundError: No module named 'calc'*",
            NO_SIDE_HINT + "pytest --before*pytest --after*pytest --repo PATH*gtguard_side*",
            "*short test summary info*",
            "ERROR tests/test_more.py",
            "ERROR tests/test_ops.py",
            "*Interrupted: 2 errors during collection*",
        ]
    )
    assert result.stdout.str().count("gtguard: no side was chosen") == 1


def test_side_none_chosen_gets_no_hint_for_a_module_no_side_holds(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    (bugfix_task / "tests" / "test_ops.py").write_text("import nowhere_to_be_found\n\ndef test_x():\n    pass\n")

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.stdout.fnmatch_lines(["*No module named 'nowhere_to_be_found'*"])
    result.stdout.no_fnmatch_line("gtguard: no side was chosen*")


def test_side_chosen_gets_no_hint(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider", "--before")

    result.assert_outcomes(failed=1)
    result.stdout.no_fnmatch_line("gtguard: no side was chosen*")


def test_side_none_chosen_hint_finds_the_module_in_any_side_layout(tmp_path: Path) -> None:
    from pytest_gtguard.side.hint import missing_side_module
    from pytest_gtguard.side.task import Task

    (tmp_path / "repository_before" / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "repository_after").mkdir()
    (tmp_path / "repository_after" / "solver.py").write_text("")
    task = Task(tmp_path)

    assert missing_side_module(task, "E   ModuleNotFoundError: No module named 'pkg.sub'") == (
        "pkg.sub",
        ["repository_before"],
    )
    assert missing_side_module(task, "No module named 'solver'") == ("solver", ["repository_after"])
    assert missing_side_module(task, "No module named 'repository_after'") == (
        "repository_after",
        ["repository_after"],
    )
    assert missing_side_module(task, "No module named 'numpy'") is None
