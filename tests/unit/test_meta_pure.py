"""Pure parts of --meta: variants, smells, score and the report document."""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path

import pytest

from pytest_gtguard.errors import ConfigError
from pytest_gtguard.meta import html, report, smells, sources, terminal, variants
from pytest_gtguard.meta.execute import Status
from pytest_gtguard.meta.score import MutantResult, VariantResult, failures, score


def _mutant(
    mid: str,
    status: Status,
    *,
    covered: tuple[str, ...] = ("t1",),
    killed_by: str | None = None,
    run: int = 1,
) -> MutantResult:
    return MutantResult(
        mid,
        "m.py",
        "comparison",
        "< -> <=",
        1,
        1,
        1,
        5,
        "(a <= b)",
        "",
        status,
        covered,
        killed_by,
        run,
        "",
        1.0,
    )


def test_variants_apply_patch_replaces_the_hunk() -> None:
    patch = "--- a/m.py\n+++ b/m.py\n@@ -2 +2 @@\n-    return a + b\n+    return a - b\n"

    out = variants.apply_patch("def f(a, b):\n    return a + b\n", patch, where="p")

    assert out == "def f(a, b):\n    return a - b\n"


def test_variants_apply_patch_rejects_a_stale_hunk() -> None:
    patch = "@@ -2 +2 @@\n-    return a * b\n+    return a - b\n"

    with pytest.raises(ConfigError, match="hunk 1 does not apply at line 2"):
        variants.apply_patch("def f(a, b):\n    return a + b\n", patch, where="p")


def test_variants_discovered_from_resources_layout(tmp_path: Path) -> None:
    target = tmp_path / "repository_after" / "calc.py"
    target.parent.mkdir()
    target.write_text("x = 1\n")
    broken = tmp_path / "tests" / "resources" / "calc" / "broken_x.py"
    broken.parent.mkdir(parents=True)
    broken.write_text("x = 2\n")

    found = variants.discovered([tmp_path / "tests"], sources=[target])

    assert [(v.name, v.target, v.text) for v in found] == [("broken_x", target, "x = 2\n")]


def test_variants_discovered_notes_an_ambiguous_module(tmp_path: Path) -> None:
    targets = [tmp_path / "a" / "util.py", tmp_path / "b" / "util.py"]
    for target in targets:
        target.parent.mkdir()
        target.write_text("x = 1\n")
    broken = tmp_path / "tests" / "resources" / "util" / "broken_x.py"
    broken.parent.mkdir(parents=True)
    broken.write_text("x = 2\n")
    notes: list[str] = []

    found = variants.discovered([tmp_path / "tests"], sources=targets, notes=notes)

    assert found == []
    assert len(notes) == 1
    assert "'util' names 2 ground-truth files" in notes[0]


def test_variants_declared_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ini key gtguard_meta_variants entry .*nope\.py does not exist"):
        variants.declared(["calc.py=nope.py"], base=tmp_path, sources=[], where="ini key gtguard_meta_variants")


def test_sources_skip_tests_and_tooling(tmp_path: Path) -> None:
    for rel in ("pkg/core.py", "pkg/tests/test_core.py", "conftest.py", "pkg/test_x.py", ".venv/x.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")

    assert sources.find_sources([tmp_path]) == [(tmp_path / "pkg" / "core.py").resolve()]


SMELLY = textwrap.dedent("""\
    import pytest

    def test_none():
        compute()

    def test_true():
        assert True

    def test_swallow():
        try:
            assert compute() == 3
        except Exception:
            pass

    def test_weak():
        assert compute() is not None
        assert isinstance(compute(), int)

    def test_broad():
        with pytest.raises(Exception):
            compute()

    def test_good():
        assert compute() == 3

    class Helper:
        def test_hidden(self):
            assert compute() == 3
    """)


def test_smells_finds_each_kind() -> None:
    tree = ast.parse(SMELLY)
    collected = {"test_none", "test_true", "test_swallow", "test_weak", "test_broad", "test_good"}

    found = {(f.kind, f.test) for f in smells.scan_file(tree, "t.py", collected)}

    assert found == {
        ("no-assertion", "test_none"),
        ("always-true", "test_true"),
        ("swallowed-assertion", "test_swallow"),
        ("weak-check", "test_weak"),
        ("broad-raises", "test_broad"),
        ("not-collected", "Helper::test_hidden"),
    }


def test_smells_kill_data_flags_tests_that_never_kill() -> None:
    found = smells.with_kill_data({"a": 2}, {"a": 3, "b": 4, "c": 0})

    assert [(f.kind, f.test) for f in found] == [("kills-nothing", "b")]


def test_score_follows_the_report_schema_metrics() -> None:
    mutants = [
        _mutant("1", Status.KILLED, killed_by="t1"),
        _mutant("2", Status.TIMEOUT),
        _mutant("3", Status.SURVIVED, covered=("t1", "t2"), run=2),
        _mutant("4", Status.NO_COVERAGE, covered=(), run=0),
        _mutant("5", Status.RUNTIME_ERROR),
    ]

    result = score(mutants, requirements={"R1": ["t2"]})

    assert (result.detected, result.valid) == (2, 4)
    assert result.score == 50.0
    assert result.covered_score == pytest.approx(200 / 3)
    assert result.idle_tests() == ["t2"]
    assert [(r.req, r.covered, r.killed) for r in result.requirements] == [("R1", 1, 0)]


def test_score_failures_name_surviving_variant_and_low_score() -> None:
    result = score([_mutant("1", Status.SURVIVED)])
    survivor = VariantResult("broken_sum", "calc.py", "x", Status.SURVIVED, None, "")

    reasons = failures(result, [survivor], min_score=50)

    assert reasons == [
        "hand-written variant broken_sum (calc.py) was not caught: Survived",
        "mutation score 0.0% is under --gtguard-meta-min-score 50%",
    ]


def test_report_document_is_schema_shaped(tmp_path: Path) -> None:
    mutants = [_mutant("m.py:1:1:comparison", Status.SURVIVED)]
    doc = report.to_schema(
        mutants,
        sources={"m.py": "a < b\n"},
        root=tmp_path,
        score=score(mutants),
        variants=[],
        findings=[],
        coverage={},
        config={},
        performance={"mutation": 0.5},
        version="0",
    )

    report.write_json(doc, tmp_path / "r.json")
    html.write_html(doc, tmp_path / "r.html")

    loaded = json.loads((tmp_path / "r.json").read_text())
    entry = loaded["files"]["m.py"]["mutants"][0]
    assert entry["status"] == "Survived"
    assert entry["location"] == {"start": {"line": 1, "column": 1}, "end": {"line": 1, "column": 5}}
    assert loaded["performance"] == {"setup": 0.0, "initialRun": 0.0, "mutation": 500.0}
    assert {"schemaVersion", "thresholds", "files"} <= loaded.keys()
    assert isinstance(loaded["system"]["ci"], bool)
    assert loaded["system"]["cpu"]["logicalCores"] >= 1
    page = (tmp_path / "r.html").read_text()
    assert "<mutation-test-report-app" in page
    assert "customElements.define" in page  # the viewer is inlined: the page works offline


def test_report_progress_bar() -> None:
    bar = terminal.progress_bar(5, 10, width=10, detected=4, undetected=1)
    assert bar == "[#####.....] 5/10 detected 4 undetected 1"


def test_variants_standalone_patch_finds_its_target_from_the_header(tmp_path: Path) -> None:
    target = tmp_path / "pkg" / "calc.py"
    target.parent.mkdir()
    target.write_text("def f():\n    return 1\n")
    (tmp_path / "v.patch").write_text(
        "--- a/pkg/calc.py\n+++ b/pkg/calc.py\n@@ -2 +2 @@\n-    return 1\n+    return 2\n"
    )

    (variant,) = variants.declared(["v.patch"], base=tmp_path, sources=[target], where="w")

    assert (variant.target, variant.text) == (target, "def f():\n    return 2\n")


def test_variants_declared_by_dotted_module_name(tmp_path: Path) -> None:
    target = tmp_path / "pkg" / "calc.py"
    target.parent.mkdir()
    target.write_text("x = 1\n")
    (tmp_path / "broken.py").write_text("x = 2\n")

    (variant,) = variants.declared(["pkg.calc=broken.py"], base=tmp_path, sources=[target], where="w")

    assert variant.target == target


@pytest.mark.parametrize(
    ("entry", "message"),
    [("broken.py", "names no target"), ("nope=broken.py", "is not a ground-truth file or module")],
    ids=["no-target", "unknown-target"],
)
def test_variants_declared_rejects_bad_entries(tmp_path: Path, entry: str, message: str) -> None:
    (tmp_path / "broken.py").write_text("x = 2\n")

    with pytest.raises(ConfigError, match=message):
        variants.declared([entry], base=tmp_path, sources=[], where="w")


def test_sources_default_suite_prefers_tests_folder_then_side(tmp_path: Path) -> None:
    side = tmp_path / "repository_after"
    side.mkdir()
    (side / "code.py").write_text("")
    assert sources.default_suite(side) is None
    (side / "code_test.py").write_text("")
    assert sources.default_suite(side) == side
    (side / "tests").mkdir()
    assert sources.default_suite(side) == side / "tests"


@pytest.mark.parametrize("text", ["3. Must be fast", "R3", "req3", "req_3", "3", "Requirement 3"], ids=str)
def test_score_requirement_key_reads_the_number(text: str) -> None:
    from pytest_gtguard.meta.score import requirement_key

    assert requirement_key(text) == "3"


def test_score_requirements_merge_markers_with_the_instance_list() -> None:
    mutants = [_mutant("1", Status.KILLED, covered=("t1",), killed_by="t1")]

    result = score(mutants, requirements={"R1": ["t1"]}, listed=["1. Adds numbers", "2. Rejects text"])

    assert [(r.req, r.tests, r.killed, r.text) for r in result.requirements] == [
        ("R1", ("t1",), 1, "1. Adds numbers"),
        ("2", (), 0, "2. Rejects text"),
    ]
