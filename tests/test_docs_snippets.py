"""The README's and the quickstart's snippets run as written, so the newcomer's path cannot drift.

Convention for the Markdown (README.md, docs/quickstart.md):

* ```` ```console ````, ```` ```bash ```` and ```` ```python ```` blocks run; ```` ```text ````, ```` ```ini ````,
  ```` ```json ```` (and any other language) never do.
* An HTML comment on the line before a block marks it: ``<!-- no-run: why -->`` (not run, e.g. an
  install from the package index) or ``<!-- setup: ... -->`` (the fresh-machine set-up commands, run
  from a built wheel in a fresh venv by the slow acceptance test below).
* A console block whose lines start with ``$ `` runs those lines only (the rest is output); otherwise
  every line runs. A command is expected to exit 0, or N when its comment says ``(exit N)``.
* Shell blocks start in a temporary copy of the repository's ``examples/`` parent (so ``cd
  examples/wordstats`` works, and the repository itself is never written); Python blocks run in the
  copy of ``examples/wordstats``: a block defining ``test_`` functions is a test file run with
  ``pytest --after``, any other block a script.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("README.md", "docs/quickstart.md")
RUNNABLE = frozenset({"console", "bash", "python"})
MARKERS = ("no-run", "setup")
_FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)\s*$")
_MARKER = re.compile(r"^\s*<!--\s*(?P<marker>[\w-]+)\s*:?.*-->\s*$")
_EXIT = re.compile(r"#.*\(exit (\d+)\)")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown file."""

    file: str
    line: int  # the line of the opening fence
    lang: str
    text: str
    marker: str  # "", or the HTML comment's word on the line before the fence

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}"

    def commands(self) -> list[tuple[str, int]]:
        """Return (command, expected exit code) for each command line of a shell block."""
        lines = self.text.splitlines()
        if any(line.startswith("$ ") for line in lines):
            lines = [line[2:] for line in lines if line.startswith("$ ")]
        out = []
        for line in lines:
            if line.strip() and not line.lstrip().startswith("#"):
                expected = _EXIT.search(line)
                out.append((line.strip(), int(expected.group(1)) if expected else 0))
        return out


def blocks(rel: str) -> list[Block]:
    """Return the fenced code blocks of ``ROOT/rel``, with the marker line before each."""
    lines = (ROOT / rel).read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent = len(opening.group("indent"))
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
        body = "\n".join(line[indent:] for line in lines[i + 1 : end])
        before = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        marker = _MARKER.match(before)
        found.append(Block(rel, i + 1, opening.group("lang"), body + "\n", marker.group("marker") if marker else ""))
        i = end + 1
    return found


def _runnable(marker: str) -> list[Block]:
    return [b for rel in DOCS for b in blocks(rel) if b.lang in RUNNABLE and b.marker == marker]


def _examples_copy(tmp_path: Path) -> Path:
    """Copy examples/ into a git work tree at ``tmp_path`` (as in a clone) and return ``tmp_path``.

    The work tree lets ``gtguard validate`` tell the runs' own untracked, ignored output (report.json,
    .pytest_cache) from files a submission would include, as it does in a clone.
    """
    shutil.copytree(
        ROOT / "examples",
        tmp_path / "examples",
        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "20??-??-??"),
    )
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def _env(bin_dir: Path) -> dict[str, str]:
    # The outer run's pytest, xdist and gtguard variables must not reach the snippets' own runs.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "GTGUARD_", "COV_CORE_"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_block(block: Block, workdir: Path, bin_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run one block as the convention above says; the result's returncode is 0 when every exit matched."""
    env = _env(bin_dir)
    python = str(bin_dir / "python")
    example = workdir / "examples" / "wordstats"
    if block.lang == "python" and re.search(r"^def test_", block.text, re.MULTILINE):
        test_file = example / "tests" / f"test_snippet_{block.line}.py"
        test_file.write_text(block.text, encoding="utf-8")
        command = [python, "-m", "pytest", "--after", "-p", "no:cacheprovider", "-q", str(test_file)]
        return subprocess.run(command, cwd=example, env=env, capture_output=True, text=True, check=False)
    if block.lang == "python":
        command = [python, "-c", block.text]
        return subprocess.run(command, cwd=example, env=env, capture_output=True, text=True, check=False)
    script = ["set -u"]
    for command_line, expected in block.commands():
        where = shlex.quote(f"{block.id}: {command_line}")
        script.append(command_line)
        script.append(
            f'rc=$?; [ "$rc" -eq {expected} ] || {{ echo {where}": exit $rc, want {expected}" >&2; exit 97; }}'
        )
    return subprocess.run(
        ["bash", "-c", "\n".join(script)], cwd=workdir, env=env, capture_output=True, text=True, check=False
    )


def _explain(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"


@pytest.mark.parametrize("block", _runnable(""), ids=lambda b: b.id)
def test_docs_snippet_runs_as_written(block: Block, tmp_path: Path) -> None:
    workdir = _examples_copy(tmp_path)

    result = run_block(block, workdir, Path(sys.executable).parent)

    assert result.returncode == 0, _explain(result)


def test_docs_snippets_markers_are_known_and_the_set_up_commands_are_two() -> None:
    found = [b for rel in DOCS for b in blocks(rel)]

    assert {b.marker for b in found} <= {"", *MARKERS}
    assert [b.id for b in found if b.marker == "setup"] == [b.id for b in blocks("README.md") if b.marker == "setup"]
    assert len(_runnable("setup")) == 2
    assert len(_runnable("")) >= 5  # the quickstarts' runnable blocks are actually collected


def test_readme_links_are_absolute_so_they_work_on_the_package_index() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r"(?:href|src)=\"([^\"]+)\"", text)

    assert targets
    assert [t for t in targets if not t.startswith(("https://", "mailto:"))] == []


def _wheel(tmp_path: Path) -> Path:
    """Return the wheel .ci/run built (CI_GTGUARD_WHEEL), or build one from this tree."""
    given = os.environ.get("CI_GTGUARD_WHEEL")
    if given:
        return Path(given)
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(dist)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("pytest_gtguard-*.whl")
    return wheel


def _repo_copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    ignore = shutil.ignore_patterns(
        ".git", ".ci-*", ".venv", "__pycache__", ".*_cache", ".hypothesis", ".benchmarks", "20??-??-??"
    )
    shutil.copytree(ROOT, root, ignore=ignore)
    return root


@pytest.mark.slow
def test_acceptance_the_wheel_in_a_fresh_venv_runs_the_set_up_and_quickstart_commands(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)  # a fresh venv: only the wheel and what it declares
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    root = _repo_copy(tmp_path)
    setup = _runnable("setup")

    # The README's two set-up commands, with the wheel in place of `.`. The second runs the suite it sits
    # in, so here it collects it (the [test] extra must bring everything the suite imports); .ci/run runs it.
    install, _, split = setup[0].commands()[0][0].partition(" && ")
    assert install == "pip install ."
    first = subprocess.run(
        f"pip install -q {shlex.quote(str(wheel))} && {split}",
        shell=True, cwd=root, env=_env(bin_dir), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert first.returncode == 0, _explain(first)
    assert "FAIL_TO_PASS 3  PASS_TO_PASS 2" in first.stdout
    install, _, suite = setup[1].commands()[0][0].partition(" && ")
    assert install == "pip install '.[test]'"
    second = subprocess.run(
        f"pip install -q {shlex.quote(f'{wheel}[test]')} && {suite} --collect-only -q",
        shell=True, cwd=root, env=_env(bin_dir), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert second.returncode == 0, _explain(second)

    # The quickstarts, verbatim, against the installed wheel.
    for number, block in enumerate(_runnable("")):
        result = run_block(block, _examples_copy(tmp_path / f"snippet-{number}"), bin_dir)
        assert result.returncode == 0, f"{block.id}\n{_explain(result)}"
