"""validate: a clean fixture task, broken one way per finding code (positive) and left alone (negative)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_gtguard.errors import TaskLayoutError
from pytest_gtguard.task.findings import CODES, Finding, Severity
from pytest_gtguard.task.patch import make_patch
from pytest_gtguard.task.scaffold import Category, create_task
from pytest_gtguard.task.validate import validate

BEFORE_WC = "def count(text):\n    return len(text.split(' '))\n"
AFTER_WC = "def count(text):\n    return len(text.split())\n"
TESTS = """from wc import count


def test_count():
    assert count("a  b") == 2


class TestWc:
    def test_split(self):
        assert count("a b") == 2
"""
TRAJECTORY = """# Trajectory

## Analysis
count() split on single spaces, so double spaces counted empty words.

## Strategy
Split on any whitespace with str.split().

## Execution
Changed one line; test_count covers the bug.

## Resources
- https://docs.python.org/3/library/stdtypes.html#str.split
"""
README = """# AB12CD - Word count

count() miscounts words separated by several spaces.

## Before
```bash
docker compose run --rm before
```

## After
```bash
docker compose run --rm after
```

## Evaluation
```bash
docker compose run --rm evaluation
```
"""

TaskFactory = Callable[..., Path]


def write_instance(root: Path, **changes: object) -> None:
    """Rewrite the task's instance.json with ``changes`` applied (a value of None deletes the key)."""
    path = root / "instances" / "instance.json"
    data = json.loads(path.read_text())
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path.write_text(json.dumps(data, indent=2))


@pytest.fixture
def task_factory(tmp_path: Path) -> TaskFactory:
    """Return ``make(name=...)``: build a complete task that `gtguard validate` finds clean."""

    def make(name: str = "ab12cd-word-count") -> Path:
        root = create_task(tmp_path, name, Category.BUGFIX)
        for keep in ("repository_before", "repository_after", "tests", "patches"):
            (root / keep / ".gitkeep").unlink()
        (root / "repository_before" / "wc.py").write_text(BEFORE_WC)
        (root / "repository_after" / "wc.py").write_text(AFTER_WC)
        (root / "tests" / "test_wc.py").write_text(TESTS)
        (root / "README.md").write_text(README)
        (root / "trajectory" / "trajectory.md").write_text(TRAJECTORY)
        write_instance(
            root,
            problem_statement="count() must count words separated by any whitespace.",
            github_url=f"https://github.com/example/tasks/tree/main/{name}",
            FAIL_TO_PASS=["tests/test_wc.py::test_count"],
            PASS_TO_PASS=["tests/test_wc.py::TestWc::test_split"],
        )
        (root / "patches" / "diff.patch").write_bytes(make_patch(root))
        return root

    return make


def codes(root: Path) -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = {}
    for f in validate(root, use_git=False).findings:
        found.setdefault(f.code, []).append(f)
    return found


def test_validate_reports_nothing_for_a_complete_task(task_factory: TaskFactory) -> None:
    report = validate(task_factory(), use_git=False)

    assert report.findings == ()
    assert report.clean


def _rm(rel: str) -> Callable[[Path], None]:
    def go(root: Path) -> None:
        path = root / rel
        if path.is_dir():
            import shutil

            shutil.rmtree(path)
        else:
            path.unlink()

    return go


def _write(rel: str, text: str | bytes) -> Callable[[Path], None]:
    def go(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)

    return go


def _append(rel: str, text: str) -> Callable[[Path], None]:
    def go(root: Path) -> None:
        path = root / rel
        path.write_text(path.read_text() + text)

    return go


def _instance(**changes: object) -> Callable[[Path], None]:
    return lambda root: write_instance(root, **changes)


def _twin_instance(**changes: object) -> Callable[[Path], None]:
    """Write instances/instances.json: a copy of instance.json with ``changes`` applied."""

    def go(root: Path) -> None:
        data = json.loads((root / "instances" / "instance.json").read_text())
        (root / "instances" / "instances.json").write_text(json.dumps([{**data, **changes}], indent=2))

    return go


def _readme_without_evaluation(root: Path) -> None:
    text = (root / "README.md").read_text()
    (root / "README.md").write_text(text.split("## Evaluation")[0])
    compose = (root / "docker-compose.yml").read_text()
    (root / "docker-compose.yml").write_text(compose.split("  evaluation:")[0])


def _stale_patch(root: Path) -> None:
    (root / "repository_after" / "wc.py").write_text("def count(text):\n    return len(text.split()) or 0\n")


def _cache_in_patch(root: Path) -> None:
    pyc = b"repository_after/__pycache__/wc.cpython-311.pyc"
    extra = (
        b"diff --git a/"
        + pyc
        + b" b/"
        + pyc
        + b"\nnew file mode 100644\n--- /dev/null\n+++ b/"
        + pyc
        + b"\n@@ -0,0 +1 @@\n+x\n"
    )
    path = root / "patches" / "diff.patch"
    path.write_bytes(path.read_bytes() + extra)


def _test_file_per_side(root: Path) -> None:
    tests = (root / "tests" / "test_wc.py").read_text()
    (root / "tests" / "test_wc.py").rename(root / "tests" / "test_after.py")
    (root / "tests" / "test_before.py").write_text(tests)
    compose = (root / "docker-compose.yml").read_text()
    (root / "docker-compose.yml").write_text(
        compose.replace("services:\n", "services:\n  test-before:\n    command: pytest tests/test_before.py\n", 1)
        + "  test-after:\n    command: pytest tests/test_after.py\n"
    )


def _unittest_file_pytest_skips(root: Path) -> None:
    (root / "tests" / "test.py").write_text(
        "import unittest\n\n\nclass CountTest(unittest.TestCase):\n    def test_one(self):\n        pass\n"
    )


# code -> (how to break the clean task, severity expected)
BREAKS: dict[str, tuple[Callable[[Path], None], Severity]] = {
    "GT001": (_rm("patches"), Severity.ERROR),
    "GT002": (_rm("tests/test_wc.py"), Severity.TODO),
    "GT003": (_rm("docker-compose.yml"), Severity.ERROR),
    "GT004": (_readme_without_evaluation, Severity.ERROR),
    "GT005": (
        _write("docker-compose.yml", "services:\n  evaluation:\n    command: python evaluation/evaluation.py\n"),
        Severity.ERROR,
    ),
    "GT006": (_test_file_per_side, Severity.WARNING),
    "GT007": (_unittest_file_pytest_skips, Severity.WARNING),
    "GT101": (_rm("instances/instance.json"), Severity.ERROR),
    "GT102": (
        _write("instances/instance.json", '{"instance_id": "AB12CD", "problem_statement": "a\nb"}'),
        Severity.ERROR,
    ),
    "GT103": (_instance(base_commit=None), Severity.ERROR),
    "GT104": (_instance(problem_statement=" "), Severity.TODO),
    "GT105": (_instance(FAIL_TO_PASS=[]), Severity.TODO),
    "GT106": (_instance(FAIL_TO_PASS=["tests/test_wc.py::test_nothing"]), Severity.ERROR),
    "GT107": (_instance(FAIL_TO_PASS=["tests/test_wc.py"]), Severity.WARNING),
    "GT108": (_instance(PASS_TO_PASS=["tests/test_wc.py::test_count"]), Severity.WARNING),
    "GT109": (_instance(instance_id="ZZ99ZZ"), Severity.WARNING),
    "GT110": (_twin_instance(FAIL_TO_PASS=[]), Severity.ERROR),
    "GT111": (_instance(problem_statement="Count words in O(n) time and do not use numpy."), Severity.WARNING),
    "GT201": (_write("trajectory/trajectory.md", "# Trajectory\n\n"), Severity.TODO),
    "GT202": (
        _write("trajectory/trajectory.md", "# Trajectory\n\n## Analysis\nx\n## Strategy\ny\n## Steps\nz\n"),
        Severity.WARNING,
    ),
    "GT301": (
        _write("evaluation/README", "This script ... *YOUR SCRIPT IN SIMILAR LANGUAGE AS THE PROJECT*\n"),
        Severity.ERROR,
    ),
    "GT302": (_append("README.md", "\n## Before Test Docker Command\n<docker before command here>\n"), Severity.ERROR),
    "GT303": (
        _write(
            "README.md",
            "# QQ11QQ - copied\n"
            + "\n".join(
                [
                    "docker compose run --rm before",
                    "docker compose run --rm after",
                    "docker compose run --rm evaluation",
                ]
            ),
        ),
        Severity.WARNING,
    ),
    "GT304": (_write("requirements.txt", "pytest>=7.0\npytest-gtguard==0.1.0\n"), Severity.WARNING),
    "GT401": (_write("wc.py", "def count(text):\n    return 2\n"), Severity.ERROR),
    "GT402": (_write("tests/__pycache__/test_wc.cpython-311.pyc", b"\0\1"), Severity.WARNING),
    "GT403": (_write("evaluation/2025-01-02/10-11-12/report.json", "{}"), Severity.WARNING),
    "GT501": (_append("README.md", "\n```bash\ndocker compose run --rm before || true\n```\n"), Severity.WARNING),
    "GT502": (
        _write("tests/conftest.py", "def pytest_sessionfinish(session):\n    session.exitstatus = 0\n"),
        Severity.ERROR,
    ),
    "GT503": (
        _write("evaluation/evaluation.py", "import sys\n\ndef main():\n    run()\n    sys.exit(0)\n"),
        Severity.WARNING,
    ),
    "GT601": (_rm("patches/diff.patch"), Severity.ERROR),
    "GT602": (_write("patches/diff.patch", b""), Severity.ERROR),
    "GT603": (_write("patches/diff.patch", "diff --git a/x b/x\n".encode("utf-16")), Severity.ERROR),
    "GT604": (_stale_patch, Severity.ERROR),
    "GT605": (_cache_in_patch, Severity.WARNING),
}


def test_validate_every_code_has_a_fixture() -> None:
    assert set(BREAKS) == set(CODES)


@pytest.mark.parametrize("code", sorted(BREAKS), ids=sorted(BREAKS))
def test_validate_reports_each_defect(task_factory: TaskFactory, code: str) -> None:
    root = task_factory()
    breaker, severity = BREAKS[code]
    breaker(root)

    found = codes(root)

    assert code in found, f"{code} not reported; got {sorted(found)}"
    assert {f.severity for f in found[code]} == {severity}
    for finding in found[code]:
        assert finding.reason and finding.fix and finding.file


def test_validate_template_comment_above_real_content_is_only_a_warning(task_factory: TaskFactory) -> None:
    root = task_factory()
    (root / "requirements.txt").write_text("# Add your Python dependencies here\npytest==8.3.4\n")
    (root / "Dockerfile").write_text("# Add your Dockerfile content here\n")

    found = {f.file: f.severity for f in codes(root)["GT301"]}

    assert found == {"requirements.txt": Severity.WARNING, "Dockerfile": Severity.ERROR}


def test_validate_explains_raw_newline_in_instance(task_factory: TaskFactory) -> None:
    root = task_factory()
    BREAKS["GT102"][0](root)

    (finding,) = codes(root)["GT102"]

    assert finding.line == 1
    assert "raw line break" in finding.fix
    assert "strict=False" in finding.fix


def test_validate_explains_unescaped_quote_in_instance(task_factory: TaskFactory) -> None:
    root = task_factory()
    (root / "instances" / "instance.json").write_text('{\n  "problem_statement": "a "quoted" word"\n}\n')

    (finding,) = codes(root)["GT102"]

    assert finding.line == 2
    assert "unescaped double quote" in finding.fix


def test_validate_accepts_an_instance_id_spelled_as_the_folder_name(task_factory: TaskFactory) -> None:
    root = task_factory()
    write_instance(root, instance_id="ab12cd-word-count")

    assert "GT109" not in codes(root)


def test_validate_missing_before_command_is_only_a_warning_for_a_greenfield_task(task_factory: TaskFactory) -> None:
    root = task_factory()
    (root / "repository_before" / "wc.py").unlink()
    (root / "README.md").write_text(
        "# AB12CD - x\n\n```bash\ndocker compose run --rm after\ndocker compose run --rm evaluation\n```\n"
    )
    (root / "docker-compose.yml").write_text("services:\n  app:\n    build: .\n")
    (root / "patches" / "diff.patch").write_bytes(make_patch(root))

    found = codes(root)

    assert [f.severity for f in found["GT004"]] == [Severity.WARNING]


def test_validate_finds_commands_under_role_headings(task_factory: TaskFactory) -> None:
    root = task_factory()
    (root / "docker-compose.yml").write_text("services:\n  app:\n    build: .\n")
    (root / "README.md").write_text(
        "# AB12CD - x\n\n### Run tests (before - expected some failures)\n```bash\n"
        "docker compose run --rm -e PYTHONPATH=/app/repository_before app pytest -q\n```\n"
        "### Run tests (after)\n```bash\ndocker compose run --rm app pytest -q\n```\n"
        "#### Run evaluation\n```bash\ndocker compose run --rm app python evaluation/evaluation.py\n```\n"
    )
    (root / "evaluation" / "evaluation.py").write_text("print('report')\n")

    assert "GT004" not in codes(root)


def test_validate_reads_roles_from_the_prose_above_a_command(task_factory: TaskFactory) -> None:
    root = task_factory()
    (root / "docker-compose.yml").write_text("services:\n  app:\n    build: .\n")
    (root / "README.md").write_text(
        "# AB12CD - x\n\n- Run the buggy code (repository_before):\n  `docker compose run --rm app pytest tests`\n"
        "- Run tests:\n  `docker compose run --rm app pytest tests`\n"
        "- Run evaluation:\n  `docker compose run --rm app python evaluation/evaluation.py`\n"
    )
    (root / "evaluation" / "evaluation.py").write_text("print('report')\n")

    assert "GT004" not in codes(root)


def test_validate_ignores_cache_folders_that_git_ignores(task_factory: TaskFactory) -> None:
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("needs git")
    root = task_factory()
    (root / "tests" / "__pycache__").mkdir()
    (root / "tests" / "__pycache__" / "test_wc.cpython-311.pyc").write_bytes(b"\0")
    subprocess.run(["git", "init", "-q", str(root)], check=True)

    assert [f.code for f in validate(root, use_git=True).findings] == []
    assert "GT402" in codes(root)  # without git every file on disk counts


def test_validate_calls_a_committed_cache_an_error_and_a_local_one_a_warning(task_factory: TaskFactory) -> None:
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("needs git")
    root = task_factory()
    for folder in ("tests/__pycache__", "repository_after/__pycache__"):
        (root / folder).mkdir()
        (root / folder / "m.cpython-311.pyc").write_bytes(b"\0")
    (root / ".gitignore").write_text("")  # nothing ignored: both caches are submitted files
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-f", "tests/__pycache__"], check=True)

    found = {f.file: f.severity for f in validate(root, use_git=True).findings if f.code == "GT402"}

    assert found == {"tests/__pycache__/": Severity.ERROR, "repository_after/__pycache__/": Severity.WARNING}


def test_validate_ignore_option_drops_codes(task_factory: TaskFactory) -> None:
    root = task_factory()
    BREAKS["GT202"][0](root)

    assert validate(root, use_git=False, ignore=["GT202"]).findings == ()


def test_validate_rejects_a_folder_that_is_not_a_task(tmp_path: Path) -> None:
    with pytest.raises(TaskLayoutError, match="holds none of"):
        validate(tmp_path)
    with pytest.raises(TaskLayoutError, match="no such directory"):
        validate(tmp_path / "missing")


def test_validate_json_is_serialisable(task_factory: TaskFactory) -> None:
    root = task_factory()
    BREAKS["GT501"][0](root)

    data = json.loads(json.dumps(validate(root, use_git=False).to_json()))

    assert data["clean"] is False
    assert data["counts"] == {"error": 0, "warning": 1, "todo": 0}
    assert data["findings"][0]["code"] == "GT501"
    assert data["findings"][0]["line"] > 0


def test_validate_takes_roles_from_compose_services_and_make_targets(task_factory: TaskFactory) -> None:
    root = task_factory()
    (root / "README.md").write_text("# AB12CD - x\n\nSee the compose file.\n")
    (root / "docker-compose.yml").write_text(
        "version: '3'\nservices:\n  test-before:\n    build: .\n    command: pytest\n"
        "  test-after:\n    build: .\n  evaluation:\n    build: .\n    command: python evaluation/run.py\n"
    )
    assert "GT004" not in codes(root)

    (root / "docker-compose.yml").unlink()
    (root / "Makefile").write_text(
        "X := 1\nbefore:\n\tpytest --before\nafter:\n\tpytest --after\nevaluation:\n\tpytest --before --after\n"
    )
    found = codes(root)
    assert "GT004" not in found
    assert "GT003" not in found


def test_validate_reports_a_stray_package_and_an_identical_js_copy(task_factory: TaskFactory) -> None:
    root = task_factory()
    (root / "repository_after" / "wcpkg").mkdir()
    (root / "repository_after" / "wcpkg" / "core.py").write_text("x = 1\n")
    (root / "wcpkg").mkdir()
    (root / "wcpkg" / "core.py").write_text("x = 1\n")
    (root / "repository_after" / "index.js").write_text("module.exports = 1;\n")
    (root / "index.js").write_text("module.exports = 1;\n")
    (root / "jest.config.js").write_text("module.exports = {};\n")
    (root / "repository_after" / "jest.config.js").write_text("module.exports = {};\n")
    (root / "patches" / "diff.patch").write_bytes(make_patch(root))

    assert sorted(f.file for f in codes(root)["GT401"]) == ["index.js", "wcpkg/"]


def test_validate_accepts_a_lowercase_readme(task_factory: TaskFactory) -> None:
    root = task_factory()
    (root / "README.md").rename(root / "readme.md")

    assert codes(root) == {}


def test_validate_reports_an_empty_tests_folder(task_factory: TaskFactory) -> None:
    root = task_factory()
    (root / "tests" / "test_wc.py").unlink()

    (finding,) = codes(root)["GT002"]

    assert finding.reason == "tests/ is empty"


def test_validate_evaluator_with_a_verdict_exit_is_fine(task_factory: TaskFactory) -> None:
    root = task_factory()
    (root / "evaluation" / "evaluation.py").write_text(
        "import sys\n\n\ndef main():\n    ok = run()\n    if not ok:\n        sys.exit(0)\n"
        "    sys.exit(0 if ok else 1)\n\n\nif __name__ == '__main__':\n    main()\n"
    )
    (root / "requirements.txt").write_text("pytest==8.3.4  # pinned\npytest-timeout>=2\n")

    found = codes(root)

    assert "GT503" not in found
    assert "GT304" not in found


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pytest.ini", "[pytest]\ntestpaths = tests\ngtguard_expect_f2p = false\n"),
        ("pyproject.toml", "[tool.pytest.ini_options]\ngtguard_expect_f2p = 'false'\n"),
        ("tox.ini", "[pytest]\ngtguard_expect_f2p = no\n"),
        ("setup.cfg", "[tool:pytest]\ngtguard_expect_f2p = 0\n"),
    ],
    ids=["pytest.ini", "pyproject", "tox", "setup.cfg"],
)
def test_validate_pure_refactor_may_have_no_fail_to_pass(task_factory: TaskFactory, name: str, text: str) -> None:
    root = task_factory()
    write_instance(root, FAIL_TO_PASS=[])
    (root / "pytest.ini").unlink()
    (root / name).write_text(text)

    assert "GT105" not in codes(root)


def test_validate_expect_f2p_env_wins(task_factory: TaskFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    root = task_factory()
    write_instance(root, FAIL_TO_PASS=[])
    monkeypatch.setenv("GTGUARD_EXPECT_F2P", "off")

    assert "GT105" not in codes(root)


def test_validate_reports_a_utf8_bom_in_the_instance_with_the_save_without_bom_fix(task_factory: TaskFactory) -> None:
    root = task_factory()
    path = root / "instances" / "instance.json"
    path.write_text(path.read_text(), encoding="utf-8-sig")

    found = codes(root)

    assert [(f.severity, f.fix) for f in found["GT102"]] == [(Severity.ERROR, "save it as UTF-8 without BOM")]
    assert "BOM" in found["GT102"][0].reason
    assert set(found) == {"GT102"}  # the content is still checked, and it is fine


def test_validate_reports_a_utf16_instance_with_the_save_as_utf8_fix(task_factory: TaskFactory) -> None:
    root = task_factory()
    path = root / "instances" / "instance.json"
    path.write_text(path.read_text(), encoding="utf-16")

    (finding,) = codes(root)["GT102"]

    assert "UTF-16" in finding.reason
    assert finding.fix == "save it as UTF-8"


def test_validate_reports_an_empty_instance_with_the_write_the_object_fix(task_factory: TaskFactory) -> None:
    root = task_factory()
    (root / "instances" / "instance.json").write_text("")

    (finding,) = codes(root)["GT102"]

    assert finding.reason == "the file is empty"
    assert finding.fix.startswith("write the instance object")


def test_validate_reports_a_list_given_as_a_json_string_as_an_error(task_factory: TaskFactory) -> None:
    root = task_factory()
    write_instance(root, FAIL_TO_PASS=json.dumps(["tests/test_wc.py::test_count"]))

    (finding,) = codes(root)["GT103"]

    assert finding.severity is Severity.ERROR
    assert "FAIL_TO_PASS is a string, not a list" in finding.reason


def test_validate_reports_two_instance_files_that_disagree_and_names_the_keys(task_factory: TaskFactory) -> None:
    root = task_factory()
    _twin_instance(FAIL_TO_PASS=["tests/test_wc.py::test_other"])(root)

    (finding,) = codes(root)["GT110"]

    assert finding.file == "instances/instances.json"
    assert "disagrees with instances/instance.json on FAIL_TO_PASS" in finding.reason


def test_validate_accepts_two_instance_files_that_agree(task_factory: TaskFactory) -> None:
    root = task_factory()
    _twin_instance()(root)

    assert "GT110" not in codes(root)


def test_validate_names_the_marker_that_would_check_an_unchecked_constraint(task_factory: TaskFactory) -> None:
    root = task_factory()
    BREAKS["GT111"][0](root)
    (root / "tests" / "test_numpy_free.py").write_text(
        "import pytest\n\n\n@pytest.mark.forbid_imports('numpy')\ndef test_no_numpy():\n    assert True\n"
    )

    (finding,) = codes(root)["GT111"]  # numpy is forbidden by a test now; the complexity is not checked

    assert "time complexity O(n)" in finding.reason
    assert "perf_gate" in finding.fix
