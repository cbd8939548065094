"""What pytest --meta shows: the closing line, the progress counter, the summary's order, the report files.

Small projects, so each meta run takes a second or two; the runs are in-process (see test_meta_plugin.py).
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import coverage  # noqa: F401 - keep its C tracer loaded: pytester unloads modules first imported by a run
import jsonschema
import pytest

CALC = """\
def is_adult(age):
    return age >= 18


def total(values):
    result = 0
    for v in values:
        result += v
    return result


def unused(flag):
    if flag:
        return 1
    return 0
"""

SUITE = """\
from calc import is_adult, total


def test_adult():
    assert is_adult(30) is True
    assert is_adult(5) is False


def test_total():
    assert total([1, 2, 3]) == 6
"""

# Hostile text in the ground truth: the HTML page embeds every source in a <script> element.
HOSTILE = """\
BANNER = "</script><script>alert('x')</script><!-- & -->"


def banner():
    return BANNER
"""

HOSTILE_TEST = """\
from hostile import banner


def test_banner():
    assert banner().startswith("</script>")
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A ground truth with survivors (no boundary test) and never-run lines (NoCoverage), and its suite."""
    pytester.makefile(".ini", pytest="[pytest]\n")
    (pytester.path / "src").mkdir()
    (pytester.path / "src" / "calc.py").write_text(CALC)
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_calc.py").write_text(SUITE)
    pytester.syspathinsert(pytester.path / "src")
    return pytester


def _meta(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest(
        "--meta", "-p", "no:cacheprovider", "--gtguard-meta-target=src", "--gtguard-meta-suite=tests", *args
    )


def _schema() -> dict[str, Any]:
    text = (resources.files("pytest_gtguard.meta") / "_viewer" / "mutation-testing-report-schema.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


def _embedded(page: str) -> dict[str, Any]:
    match = re.search(r"<script type=application/json id=gtguard-meta-report>(.*?)</script>", page, re.DOTALL)
    assert match is not None, "the page embeds the JSON document"
    return json.loads(match.group(1))  # type: ignore[no-any-return]


@pytest.mark.parametrize(("minimum", "verdict", "ret"), [("30", "pass", 0), ("90", "fail", 1)])
def test_closing_line_has_score_and_verdict(project: pytest.Pytester, minimum: str, verdict: str, ret: int) -> None:
    result = _meta(project, f"--gtguard-meta-min-score={minimum}")

    closing = result.stdout.lines[-1]
    assert re.search(rf"2 passed, (\d+) mutants, meta score \d+\.\d% \({verdict}, min {minimum}%\) in ", closing)
    assert result.ret == ret


def test_progress_counter_total_is_the_summary_total(project: pytest.Pytester) -> None:
    """Mutants no test reaches (NoCoverage) get no child but count: the counter ends at the summary's total."""
    result = _meta(project)

    out = result.stdout.str()
    bars = re.findall(r"gtguard meta: mutants \[[#.]+\] (\d+)/(\d+)", out)
    summary = re.search(r"mutants: (\d+) of \d+ generated .*NoCoverage (\d+)", out)
    closing = re.search(r"(\d+) mutants, meta score", result.stdout.lines[-1])
    assert bars and summary and closing
    done, total = bars[-1]
    assert int(summary.group(2)) > 0  # the case that made them disagree
    assert done == total == summary.group(1) == closing.group(1)


def test_summary_ends_with_the_score_block_after_the_survivors(project: pytest.Pytester) -> None:
    result = _meta(project, "--gtguard-meta-report=out")

    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if "gtguard meta" in line and "=" in line)
    section = lines[start + 1 : -1]
    survivors = next(i for i, line in enumerate(section) if line.startswith("undetected mutants:"))
    assert section[survivors + 1].startswith("  src/calc.py: ")
    assert re.search(r"undetected \(Survived \d+, NoCoverage \d+\), score \d+\.\d%", section[survivors + 1])
    assert sum(line.startswith("  Survived ") or line.startswith("  NoCoverage ") for line in section) <= 3
    score = next(i for i, line in enumerate(section) if line.startswith("mutation score: "))
    assert survivors < score
    assert [line.split(":")[0] for line in section[score - 1 :]] == ["mutants", "mutation score", "meta verdict"]


def test_html_page_inlines_the_viewer_and_escapes_hostile_source(project: pytest.Pytester) -> None:
    (project.path / "src" / "hostile.py").write_text(HOSTILE)
    (project.path / "tests" / "test_hostile.py").write_text(HOSTILE_TEST)

    _meta(project, "--gtguard-meta-report=out")

    page = (project.path / "out" / "mutation-report.html").read_text()
    assert "<mutation-test-report-app" in page
    assert "customElements.define" in page  # the bundle itself, not a link: the page works offline
    assert "src=" not in page.split("<mutation-test-report-app", 1)[1].split(">", 1)[0]
    # The hostile text is inside the JSON only as escapes: the element ends where the page ends it.
    assert page.count("</script>") == page.count("<script")
    assert "<script>alert" not in page
    document = _embedded(page)
    assert document["files"]["src/hostile.py"]["source"] == HOSTILE
    assert document == json.loads((project.path / "out" / "mutation-report.json").read_text())


def test_json_report_validates_against_the_viewer_schema_with_test_files(project: pytest.Pytester) -> None:
    _meta(project, "--gtguard-meta-report=out")

    document = json.loads((project.path / "out" / "mutation-report.json").read_text())

    jsonschema.validate(document, _schema())
    tests = document["testFiles"]["tests/test_calc.py"]
    assert tests["source"] == SUITE
    by_id = {t["id"]: t for t in tests["tests"]}
    assert by_id["tests/test_calc.py::test_total"]["name"] == "test_total"
    assert by_id["tests/test_calc.py::test_total"]["location"] == {"start": {"line": 9, "column": 1}}
    mutants = [m for info in document["files"].values() for m in info["mutants"]]
    killers = {t for m in mutants for t in m["killedBy"]} | {t for m in mutants for t in m["coveredBy"]}
    assert killers and killers <= by_id.keys()  # the test view can link every mutant to its tests
    assert document["config"]["verdict"] == "pass"


def test_html_header_shows_memorizer_results_when_the_document_has_them() -> None:
    from pytest_gtguard.meta import html

    document: dict[str, Any] = {
        "schemaVersion": "2",
        "thresholds": {"high": 80, "low": 60},
        "files": {},
        "config": {"score": 50.0, "counts": {"Killed": 1, "Survived": 1}, "minScore": 80, "verdict": "fail"},
        "memorizers": [{"function": "calc.total", "file": "src/calc.py", "line": 5, "status": "survived", "inputs": 1}],
        "passable_by_hardcoding": ["calc.total"],
    }
    plain = {k: v for k, v in document.items() if k not in ("memorizers", "passable_by_hardcoding")}

    with_data = html.page(document, script=None)
    without = html.page(plain, script=None)

    header = with_data.split("</header>", 1)[0]
    assert "Memorizers" in header and "calc.total" in header and "passable by hard-coding" in header
    assert "Memorizers" not in without.split("</header>", 1)[0]
    assert "FAIL" in without and "50.0%" in without
    jsonschema.validate(document, _schema())  # the extra top-level keys keep the document valid


def test_memorizer_results_reach_the_json_and_the_page(project: pytest.Pytester) -> None:
    _meta(project, "--gtguard-meta-report=out")

    document = json.loads((project.path / "out" / "mutation-report.json").read_text())
    page = (project.path / "out" / "mutation-report.html").read_text()

    assert {m["function"] for m in document["memorizers"]} >= {"calc.is_adult", "calc.total"}
    assert "Memorizers" in page.split("</header>", 1)[0]


def test_vendored_viewer_can_be_inlined_in_a_script_element() -> None:
    bundle = (resources.files("pytest_gtguard.meta") / "_viewer" / "mutation-test-elements.js").read_text()

    from pytest_gtguard.meta.html import viewer_script

    inlined = viewer_script()
    assert inlined is not None
    # "</script" would end the element; "<script" after "<!--" would change how the parser ends it.
    assert not re.search(r"(?i)</script|<script", inlined)
    assert len(inlined) == len(bundle) + len(re.findall(r"(?i)</script", bundle))


class _Reporter:
    isatty = False

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str, **_: object) -> None:
        self.text += text


def test_progress_counts_settled_mutants_and_ends_at_the_total() -> None:
    from pytest_gtguard.meta.execute import Status, Verdict
    from pytest_gtguard.meta.terminal import mutant_progress

    reporter = _Reporter()
    progress = mutant_progress(reporter, total=3, settled=[Status.NO_COVERAGE])
    for key, status in (("a", Status.KILLED), ("b", Status.SURVIVED)):
        progress(Verdict(key, status, None, 1, "", 0.0))

    assert reporter.text.strip().splitlines()[-1].endswith("3/3 detected 1 undetected 2")


def test_progress_with_every_mutant_settled_draws_the_finished_bar_once() -> None:
    from pytest_gtguard.meta.execute import Status
    from pytest_gtguard.meta.terminal import mutant_progress

    reporter = _Reporter()
    mutant_progress(reporter, total=2, settled=[Status.NO_COVERAGE, Status.IGNORED])

    assert reporter.text.strip().splitlines() == [
        "gtguard meta: mutants [##############################] 2/2 detected 0 undetected 1"
    ]
