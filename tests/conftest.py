"""Shared fixtures: scenario builders for task repositories (pytester is enabled via addopts)."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

# The reward bench is a task plus candidate attempts (some hostile), run only through `gtguard grade`.
collect_ignore = ["reward_bench"]

Files = Mapping[str, str]
MakeTask = Callable[..., Path]


def _write(root: Path, files: Files) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def process_running(pid: int) -> bool:
    """Return True while ``pid`` runs (Linux; a zombie, ended but not reaped, does not count)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def build_task(
    root: Path,
    *,
    before: Files | None = None,
    after: Files | None = None,
    tests: Files | None = None,
    root_files: Files | None = None,
    ini: str | None = "",
) -> Path:
    """Write a task repository under ``root`` and return ``root``.

    ``before``/``after``: files of repository_before/ and repository_after/; ``{}`` makes an empty side
    (a ``.gitkeep`` only), None leaves the folder out (git drops empty folders). ``tests``: files under
    tests/. ``root_files``: files at the task root (stray copies, conftest.py). ``ini``: lines of the
    ``[pytest]`` section of pytest.ini (None: no pytest.ini at all).
    """
    for folder, files in (("repository_before", before), ("repository_after", after)):
        if files is None:
            continue
        (root / folder).mkdir(parents=True, exist_ok=True)
        if not files:
            (root / folder / ".gitkeep").write_text("", encoding="utf-8")
        _write(root / folder, files)
    _write(root / "tests", tests or {})
    _write(root, root_files or {})
    if ini is not None:
        (root / "pytest.ini").write_text("[pytest]\n" + textwrap.dedent(ini).strip() + "\n", encoding="utf-8")
    return root


@pytest.fixture
def make_task(pytester: pytest.Pytester) -> MakeTask:
    """Return ``make_task(before=, after=, tests=, root_files=, ini=)`` writing into pytester.path."""

    def make(**kwargs: object) -> Path:
        return build_task(pytester.path, **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture
def bugfix_task(make_task: MakeTask) -> Path:
    """Build a bug-fix task in the PYTHONPATH style: tests import ``calc`` by its bare name."""
    return make_task(
        before={"calc/__init__.py": "", "calc/ops.py": "def add(a, b):\n    return a - b\n"},
        after={"calc/__init__.py": "", "calc/ops.py": "def add(a, b):\n    return a + b\n"},
        tests={
            "test_ops.py": """
                from calc.ops import add

                def test_add():
                    assert add(2, 3) == 5
            """
        },
    )


class FakeClock:
    """CPU and wall clock that only move when the code under test calls ``_timing.sleep``."""

    def __init__(self) -> None:
        self.now = 1000.0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Make gtguard's clocks a FakeClock; forked measuring processes inherit the patched module."""
    from pytest_gtguard import _timing

    clock = FakeClock()
    monkeypatch.setattr(_timing, "process_time", clock.time)
    monkeypatch.setattr(_timing, "perf_counter", clock.time)
    monkeypatch.setattr(_timing, "sleep", clock.sleep)
    return clock


# The suite's inner pytest runs (pytester's, and the subprocesses its tests start) run without
# pytest-randomly (they assert output in order) and pytest-asyncio (it warns in every run of a task whose
# ini does not set asyncio_default_fixture_loop_scope: an error under a task's filterwarnings = error).
# tests/plugin/test_coexistence.py clears this and runs gtguard beside both on purpose.
INNER_ADDOPTS = "-p no:randomly -p no:asyncio"


def pytest_configure(config: pytest.Config) -> None:
    """Give the inner runs INNER_ADDOPTS (this session parsed PYTEST_ADDOPTS already)."""
    os.environ["PYTEST_ADDOPTS"] = f"{os.environ.get('PYTEST_ADDOPTS', '')} {INNER_ADDOPTS}".strip()


@pytest.fixture(autouse=True)
def _no_randomly_in_inner_runs(request: pytest.FixtureRequest) -> Iterator[None]:
    """Give pytester's inner runs INNER_ADDOPTS too: pytester clears PYTEST_ADDOPTS when it starts."""
    if "pytester" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("pytester")
    with pytest.MonkeyPatch.context() as patch:  # undone before pytester's own undo
        patch.setenv("PYTEST_ADDOPTS", INNER_ADDOPTS)
        yield
