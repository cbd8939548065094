from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gtguard.task.testids import Resolution, TestIndex

TESTS = """
import sys

def test_top():
    pass

class TestBox:
    def test_inside(self):
        pass

    class TestNested:
        async def test_deep(self):
            pass

if sys.version_info >= (3, 8):
    def test_conditional():
        pass

def helper():
    pass
"""


@pytest.fixture
def index(tmp_path: Path) -> TestIndex:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_box.py").write_text(TESTS)
    (tmp_path / "repository_after" / "tests").mkdir(parents=True)
    (tmp_path / "repository_after" / "tests" / "test_meta.py").write_text("def test_meta():\n    pass\n")
    return TestIndex.build(tmp_path)


@pytest.mark.parametrize(
    ("test_id", "expected"),
    [
        ("tests/test_box.py::test_top", Resolution.TEST),
        ("tests/test_box.py::TestBox::test_inside", Resolution.TEST),
        ("tests/test_box.py::TestBox::TestNested::test_deep", Resolution.TEST),
        ("tests/test_box.py::test_top[param-1]", Resolution.TEST),
        ("test_box.py::test_top", Resolution.TEST),
        ("/app/tests/test_box.py::test_top", Resolution.TEST),
        ("test_conditional", Resolution.TEST),
        ("TestBox::test_inside", Resolution.TEST),
        ("tests.test_box.TestBox.test_inside", Resolution.TEST),
        ("test_box.test_top", Resolution.TEST),
        ("tests/test_box.py", Resolution.FILE),
        ("repository_after/tests/test_meta.py::test_meta", Resolution.TEST),
        ("tests/test_box.py::test_missing", Resolution.MISSING),
        ("tests/test_gone.py::test_top", Resolution.MISSING),
        ("tests/test_gone.py", Resolution.MISSING),
        ("helper", Resolution.MISSING),
        ("req1_atomic_validation", Resolution.MISSING),
        ("TestBox::test_missing", Resolution.MISSING),
        ("tests.test_box.TestBox.test_missing", Resolution.MISSING),
        ("", Resolution.MISSING),
    ],
)
def test_testids_resolve_the_five_id_styles(index: TestIndex, test_id: str, expected: Resolution) -> None:
    assert index.resolve(test_id) is expected


def test_testids_fall_back_to_text_search_for_non_python_suites(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "app.test.ts").write_text("it('adds two numbers', () => {});\n")
    (tmp_path / "tests" / "calc_test.go").write_text("func TestAdd(t *testing.T) {}\n")
    index = TestIndex.build(tmp_path)

    assert index.resolve("adds two numbers") is Resolution.TEST
    assert index.resolve("TestAdd") is Resolution.TEST
    assert index.resolve("tests/app.test.ts::adds two numbers") is Resolution.TEST
    assert index.resolve("subtracts") is Resolution.MISSING


def test_testids_resolve_jest_full_names_and_junit_methods(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "auth.test.ts").write_text(
        "describe(`Auth (${repo})`, () => {\n  it('rejects expired tokens', () => {});\n});\n"
    )
    (tmp_path / "tests" / "SensorTest.java").write_text("public void testEmptyInput() {}\n")
    (tmp_path / "tests" / "test_helper.py").write_text("def test_py():\n    pass\n")  # a mixed suite
    index = TestIndex.build(tmp_path)

    assert index.resolve("repository_after::Auth (repository_after) rejects expired tokens") is Resolution.TEST
    assert index.resolve("tests/auth.test.ts::Auth rejects expired tokens") is Resolution.TEST
    assert index.resolve("SensorTest#testEmptyInput") is Resolution.TEST
    assert index.resolve("SensorTest#testMissing") is Resolution.MISSING
    assert index.resolve("tests/auth.test.ts::accepts everything") is Resolution.MISSING


def test_testids_ignore_files_that_do_not_parse(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_bad.py").write_text("def test_x(:\n")
    (tmp_path / "tests" / "test_ok.py").write_text("def test_ok():\n    pass\n")

    index = TestIndex.build(tmp_path)

    assert index.resolve("test_ok") is Resolution.TEST
    assert index.resolve("test_x") is Resolution.MISSING
