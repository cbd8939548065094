from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_gtguard.side.imports import SideFinder, top_level_names
from pytest_gtguard.side.load import load_module
from pytest_gtguard.side.task import Side, SideKind, Task


@pytest.fixture
def task(tmp_path: Path) -> Task:
    for side, value in (("repository_before", 0), ("repository_after", 1)):
        (tmp_path / side / "widget").mkdir(parents=True)
        (tmp_path / side / "widget" / "__init__.py").write_text(f"VALUE = {value}\n")
        (tmp_path / side / "helper.py").write_text(f"VALUE = {value}\n")
        (tmp_path / side / "test_own.py").write_text("")
    (tmp_path / "repository_after" / "only_after.py").write_text("VALUE = 1\n")
    return Task(tmp_path.resolve())


@pytest.fixture
def clean_modules() -> Iterator[None]:
    saved = dict(sys.modules)
    yield
    for name in set(sys.modules) - set(saved):
        del sys.modules[name]
    importlib.invalidate_caches()


@pytest.fixture
def installed(task: Task, clean_modules: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[SideFinder]:
    # The other side first on sys.path, as a conftest's sys.path.insert would leave it.
    monkeypatch.syspath_prepend(str(task.after_dir))
    finder = SideFinder(Side(SideKind.BEFORE, task.before_dir, task), alias=None)
    finder.install()
    try:
        yield finder
    finally:
        finder.uninstall()


def test_side_top_level_names_skips_tests_and_task_folders(task: Task) -> None:
    (task.after_dir / "tests").mkdir()
    (task.after_dir / "conftest.py").write_text("")
    (task.after_dir / "run_test.py").write_text("")

    assert top_level_names(task.after_dir) == {"widget", "helper", "only_after"}


def test_side_top_level_names_of_missing_folder_is_empty(tmp_path: Path) -> None:
    assert top_level_names(tmp_path / "missing") == frozenset()


def test_side_finder_prefers_side_under_test_over_other_side_on_sys_path(installed: SideFinder) -> None:
    import helper
    import widget

    assert (helper.VALUE, widget.VALUE) == (0, 0)


def test_side_finder_blocks_module_that_only_the_other_side_has(installed: SideFinder) -> None:
    with pytest.raises(ModuleNotFoundError, match=r"'import only_after' would load .*outside the side under test"):
        import only_after  # noqa: F401


def test_side_finder_leaves_modules_found_elsewhere_alone(
    installed: SideFinder, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path_factory.mktemp("meta")
    (elsewhere / "helper.py").write_text("VALUE = 'meta copy'\n")
    monkeypatch.syspath_prepend(str(elsewhere))

    import helper

    assert helper.VALUE == "meta copy"


def test_side_finder_resolves_explicit_side_packages_to_real_folders(installed: SideFinder) -> None:
    import repository_after.widget
    import repository_before.widget

    assert (repository_before.widget.VALUE, repository_after.widget.VALUE) == (0, 1)


def test_side_finder_alias_resolves_to_side_under_test(task: Task, clean_modules: None) -> None:
    finder = SideFinder(Side(SideKind.BEFORE, task.before_dir, task), alias="repository_after")
    finder.install()
    try:
        from repository_after import helper
    finally:
        finder.uninstall()

    assert helper.VALUE == 0
    assert finder.alias == "repository_after"


def test_side_finder_uninstall_restores_sys_path(task: Task, clean_modules: None) -> None:
    path, meta = list(sys.path), list(sys.meta_path)
    finder = SideFinder(Side(SideKind.AFTER, task.after_dir, task), alias=None)

    finder.install()
    finder.uninstall()

    assert (sys.path, sys.meta_path) == (path, meta)


def test_side_load_module_imports_each_side_without_leaking(installed: SideFinder) -> None:
    before = load_module(Side(SideKind.BEFORE, installed.side.path, installed.side.task), "widget", finder=installed)
    task = installed.side.task
    assert task is not None
    after = load_module(Side(SideKind.AFTER, task.after_dir, task), "widget", finder=installed)

    assert (before.VALUE, after.VALUE) == (0, 1)
    assert "widget" not in sys.modules
    assert installed.side.kind is SideKind.BEFORE


def test_side_load_module_without_active_finder(task: Task, clean_modules: None) -> None:
    module = load_module(Side(SideKind.AFTER, task.after_dir, task), "only_after", finder=None)

    assert module.VALUE == 1
    assert "only_after" not in sys.modules


def test_side_load_module_names_the_side_when_missing(task: Task, clean_modules: None) -> None:
    with pytest.raises(ModuleNotFoundError, match="no module 'only_after' in before"):
        load_module(Side(SideKind.BEFORE, task.before_dir, task), "only_after", finder=None)


def test_side_finder_keeps_only_own_part_of_a_namespace_package(
    task: Task, clean_modules: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for side in ("repository_before", "repository_after"):
        (task.root / side / "space").mkdir()
        (task.root / side / "space" / f"in_{side}.py").write_text("")
    monkeypatch.syspath_prepend(str(task.after_dir))
    finder = SideFinder(Side(SideKind.BEFORE, task.before_dir, task), alias=None)
    finder.install()
    try:
        import space

        paths = [Path(p) for p in space.__path__]
    finally:
        finder.uninstall()

    assert paths == [task.before_dir / "space"]


def test_side_finder_blocks_stray_package_at_task_root(task: Task, clean_modules: None) -> None:
    (task.root / "widget").mkdir()
    (task.root / "widget" / "__init__.py").write_text("VALUE = 'stray'\n")
    (task.before_dir / "widget" / "__init__.py").unlink()
    (task.before_dir / "widget").rmdir()
    finder = SideFinder(Side(SideKind.BEFORE, task.before_dir, task), alias=None)
    finder.install()
    sys.path.insert(0, str(task.root))
    try:
        with pytest.raises(ModuleNotFoundError, match="stray copy at the task root"):
            import widget  # noqa: F401
    finally:
        sys.path.remove(str(task.root))
        finder.uninstall()


def test_side_finder_install_drops_stale_task_modules_only(
    task: Task, clean_modules: None, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    unrelated = tmp_path_factory.mktemp("plugin") / "helper.py"
    unrelated.write_text("")
    stale = type(sys)("widget")
    stale.__file__ = str(task.after_dir / "widget" / "__init__.py")
    other = type(sys)("helper")
    other.__file__ = str(unrelated)
    monkeypatch.setitem(sys.modules, "widget", stale)
    monkeypatch.setitem(sys.modules, "helper", other)
    finder = SideFinder(Side(SideKind.BEFORE, task.before_dir, task), alias=None)

    finder.install()
    finder.uninstall()

    assert "widget" not in sys.modules
    assert sys.modules["helper"] is other
