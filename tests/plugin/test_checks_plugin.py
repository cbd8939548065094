"""pytester tests for forbid_imports, forbid_calls, python_syntax and no_new_dependencies (issue 5)."""

from __future__ import annotations

import pytest
from _checks_task import make_task

FORBID_JSON = """
import pytest
from pkg.core import run

@pytest.mark.forbid_imports("json")
def test_run():
    assert run() is not None
"""


@pytest.mark.parametrize(
    ("code", "line"),
    [
        pytest.param(
            "import json\n\ndef run():\n    return json.dumps(1)\n",
            "*pkg/core.py:1: forbid_imports: json via import statement*",
            id="import",
        ),
        pytest.param(
            "import json.decoder as d\n\ndef run():\n    return d\n",
            "*pkg/core.py:1: forbid_imports: json via import statement*",
            id="import-submodule",
        ),
        pytest.param(
            "from json import dumps\n\ndef run():\n    return dumps(1)\n",
            "*pkg/core.py:1: forbid_imports: json via from-import*",
            id="from-import",
        ),
        pytest.param(
            "def run():\n    return __import__('js' + 'on').dumps(1)\n",
            "*pkg/core.py:2: forbid_imports: json via __import__ (runtime)*",
            id="dunder-import-computed",
        ),
        pytest.param(
            "import importlib\n\ndef run():\n    return importlib.import_module('json')\n",
            "*pkg/core.py:4: forbid_imports: json via importlib.import_module(...)*",
            id="import-module-literal",
        ),
        pytest.param(
            "import importlib\n\ndef run():\n    name = ''.join(['js', 'on'])\n"
            "    return importlib.import_module(name)\n",
            "*pkg/core.py:5: forbid_imports: json via importlib.import_module (runtime)*",
            id="import-module-computed",
        ),
        pytest.param(
            "def run():\n    exec('import json')\n    return 1\n",
            "*pkg/core.py:2: forbid_imports: json via exec of a string*",
            id="exec-string",
        ),
    ],
)
def test_checks_forbid_imports_catches_route(pytester: pytest.Pytester, code: str, line: str) -> None:
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": code}, FORBID_JSON)

    result = pytester.runpytest("--after")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([line])


def test_checks_forbid_imports_catches_find_spec(pytester: pytest.Pytester) -> None:
    # A module that does not exist, so the finders are asked whatever the interpreter has loaded.
    code = """
    import importlib.util

    def run():
        return importlib.util.find_spec("gtguard_" + "absent") is None
    """
    make_task(
        pytester,
        {"pkg/__init__.py": "", "pkg/core.py": code},
        FORBID_JSON.replace('"json"', '"gtguard_absent"'),
    )

    result = pytester.runpytest("--after")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*pkg/core.py:5: forbid_imports: gtguard_absent via import system (runtime)*"])


def test_checks_forbid_imports_catches_module_already_loaded(pytester: pytest.Pytester) -> None:
    # decimal is loaded by the test module first; the code reaches it through sys.modules, no import.
    code = """
    import sys
    D = sys.modules["dec" + "imal"]

    def run():
        return D.Decimal(1)
    """
    tests = """
    import decimal
    import pytest
    from pkg.core import run

    @pytest.mark.forbid_imports("decimal")
    def test_run():
        assert run() == decimal.Decimal(1)
    """
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": code}, tests)

    result = pytester.runpytest("--after")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*pkg/core.py: forbid_imports: decimal via module global (runtime)*global 'D'*"])


def test_checks_forbid_imports_catches_call_into_loaded_module(pytester: pytest.Pytester) -> None:
    # Calling a class fires no profile event; a function of the module does.
    code = """
    import sys

    def run():
        return sys.modules["js" + "on"].dumps(2)
    """
    tests = FORBID_JSON.replace("import pytest", "import json\nimport pytest")
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": code}, tests)

    result = pytester.runpytest("--after")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*pkg/core.py:5: forbid_imports: json via call into the module (runtime)*"])


def test_checks_forbid_imports_catches_subprocess(pytester: pytest.Pytester) -> None:
    code = """
    import subprocess
    import sys

    def run():
        code = "import " + "csv"
        return subprocess.run([sys.executable, "-c", code], check=True).returncode
    """
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": code}, FORBID_JSON.replace('"json"', '"csv"'))

    result = pytester.runpytest("--after")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*pkg/core.py:7: forbid_imports: csv via subprocess (python -c)*"])


def test_checks_forbid_imports_passes_look_alikes(pytester: pytest.Pytester) -> None:
    code = '''
    """Never import json here."""
    import numpy_helpers  # json is forbidden, so is decimal

    NOTE = "import json; import decimal"

    def run():
        return numpy_helpers.double(2)
    '''
    tests = """
    import decimal
    import json
    import pytest
    from pkg.core import run

    @pytest.mark.forbid_imports("numpy", "json", "decimal")
    def test_run():
        assert json.loads(json.dumps(run())) == 4
    """
    after = {
        "pkg/__init__.py": "",
        "pkg/core.py": code,
        "numpy_helpers.py": "def double(x):\n    return 2 * x\n",
    }
    make_task(pytester, after, tests)

    result = pytester.runpytest("--after")

    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*gtguard checks*")


def test_checks_forbid_imports_judges_the_selected_side(pytester: pytest.Pytester) -> None:
    before = {"pkg/__init__.py": "", "pkg/core.py": "import json\n\ndef run():\n    return 1\n"}
    make_task(
        pytester,
        {"pkg/__init__.py": "", "pkg/core.py": "def run():\n    return 1\n"},
        FORBID_JSON,
        before=before,
    )

    after = pytester.runpytest("--after")
    candidate = pytester.runpytest("--repo", str(pytester.path / "repository_before"))

    after.assert_outcomes(passed=1)
    candidate.assert_outcomes(failed=1)
    candidate.stdout.fnmatch_lines(["*repository_before/pkg/core.py:1: forbid_imports: json*"])


def test_checks_findings_ride_on_user_properties(pytester: pytest.Pytester) -> None:
    make_task(
        pytester,
        {"pkg/__init__.py": "", "pkg/core.py": "import json\n\ndef run():\n    return 1\n"},
        FORBID_JSON,
    )

    reprec = pytester.inline_run("--after")

    report = reprec.matchreport("test_run", when="call")
    findings = dict(report.user_properties)["gtguard_checks"]
    assert findings[0] == {
        "check": "forbid_imports",
        "subject": "json",
        "route": "import statement",
        "file": "repository_after/pkg/core.py",
        "line": 1,
        "detail": "",
    }


def test_checks_ini_forbids_for_every_test(pytester: pytest.Pytester) -> None:
    tests = "from pkg.core import run\n\ndef test_a():\n    assert run()\n\ndef test_b():\n    assert run()\n"
    code = "import json\n\ndef run():\n    return 1\n"
    make_task(pytester, {"pkg/__init__.py": "", "pkg/core.py": code}, tests, ini="gtguard_forbid_imports = json re")

    result = pytester.runpytest("--after")

    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*= gtguard checks =*",
            "repository_after/pkg/core.py:1: forbid_imports: json via import statement  [[]*test_a, *test_b[]]",
        ]
    )


@pytest.mark.parametrize("how", ["cli", "env"])
def test_checks_forbid_imports_from_cli_or_env(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    code = "import json\n\ndef run():\n    return 1\n"
    make_task(
        pytester,
        {"pkg/__init__.py": "", "pkg/core.py": code},
        "from pkg.core import run\n\ndef test_a():\n    run()\n",
    )
    args = ["--after"]
    if how == "cli":
        args += ["--gtguard-forbid-imports", "re json"]
    else:
        monkeypatch.setenv("GTGUARD_FORBID_IMPORTS", "json")

    result = pytester.runpytest(*args)

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*pkg/core.py:1: forbid_imports: json via import statement*"])


def test_checks_bad_marker_fails_only_that_test(pytester: pytest.Pytester) -> None:
    tests = """
    import pytest

    @pytest.mark.forbid_imports()
    def test_empty():
        pass

    @pytest.mark.python_syntax("banana")
    def test_version():
        pass

    def test_fine():
        pass
    """
    make_task(pytester, {"pkg/__init__.py": ""}, tests)

    result = pytester.runpytest("--after")

    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*test_empty*forbid_imports() needs at least one name*",
            "*test_version*python_syntax version 'banana'*give a string from '3.4'*",
        ]
    )


def test_checks_bad_ini_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    make_task(pytester, {"pkg/__init__.py": ""}, "def test_a():\n    pass\n", ini="gtguard_python_syntax = 2.7")

    result = pytester.runpytest("--after")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini key gtguard_python_syntax: python_syntax version '2.7'*"])


def test_checks_missing_source_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_a():\n    pass\n")

    result = pytester.runpytest("--gtguard-checks-source", "nowhere")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--gtguard-checks-source: code under test */nowhere does not exist*"])


def test_checks_source_option_sets_the_code_under_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        lib="import json\n",
        test_lib="""
        import pytest
        import lib

        @pytest.mark.forbid_imports("json")
        def test_lib():
            pass
        """,
    )
    (pytester.path / "other").mkdir()

    judged = pytester.runpytest()
    elsewhere = pytester.runpytest("--gtguard-checks-source", "other")

    judged.assert_outcomes(failed=1)
    judged.stdout.fnmatch_lines(["*lib.py:1: forbid_imports: json via import statement*"])
    elsewhere.assert_outcomes(passed=1)


def test_checks_markers_are_listed(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")

    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.forbid_imports(*modules):*",
            "@pytest.mark.forbid_calls(*names):*",
            "@pytest.mark.python_syntax(version):*",
            "@pytest.mark.no_new_dependencies:*",
            "@pytest.mark.determinism(runs=None, *, rerun=True, sources=True):*",
        ]
    )


def test_checks_plugin_can_be_disabled(pytester: pytest.Pytester) -> None:
    make_task(
        pytester,
        {"pkg/__init__.py": "", "pkg/core.py": "import json\n\ndef run():\n    return 1\n"},
        FORBID_JSON,
    )

    result = pytester.runpytest("--after", "-p", "no:gtguard-checks")

    result.assert_outcomes(passed=1)


def test_checks_gtguard_can_be_disabled_entirely(pytester: pytest.Pytester) -> None:
    make_task(
        pytester,
        {"pkg/__init__.py": "", "pkg/core.py": "def run():\n    return 1\n"},
        "def test_a():\n    pass\n",
    )

    result = pytester.runpytest("-p", "no:gtguard")

    result.assert_outcomes(passed=1)


def test_checks_forbid_imports_under_xdist(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    make_task(
        pytester,
        {"pkg/__init__.py": "", "pkg/core.py": "import json\n\ndef run():\n    return 1\n"},
        FORBID_JSON,
    )

    result = pytester.runpytest("--after", "-n", "2")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*= gtguard checks =*", "*pkg/core.py:1: forbid_imports: json via import statement*"])
