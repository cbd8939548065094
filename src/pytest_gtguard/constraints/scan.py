"""Read a task's tests statically: each test's gtguard markers, and whether it runs code from several threads.

Nothing is imported or run: markers are read from decorators, class decorators and ``pytestmark`` with
``ast``; arguments that are literals (``10**6`` included) are kept, anything else is left out.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["MarkerUse", "StaticTest", "scan_tests"]

_THREAD_NAMES = {"Thread", "ThreadPoolExecutor", "ProcessPoolExecutor", "Barrier", "start_new_thread", "Pool"}
_THREAD_MODULES = {"threading", "concurrent", "multiprocessing", "_thread"}


@dataclass(frozen=True)
class MarkerUse:
    """One ``@pytest.mark.NAME(...)`` with its literal arguments."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StaticTest:
    """A test function found in a test file, with the markers that apply to it (its own, class, module)."""

    nodeid: str
    markers: tuple[MarkerUse, ...]
    threads: bool
    signature_of: frozenset[str]

    def marked(self, name: str) -> list[MarkerUse]:
        """Return this test's markers called ``name``."""
        return [m for m in self.markers if m.name == name]


def scan_tests(task_dir: Path) -> list[StaticTest]:
    """Return the tests of ``task_dir/tests`` (``test_*.py`` and ``*_test.py``), in file and line order.

    A file that does not parse is skipped (``gtguard validate`` reports syntax errors itself).
    """
    root = task_dir / "tests"
    files = sorted({*root.rglob("test_*.py"), *root.rglob("*_test.py")}) if root.is_dir() else []
    found: list[StaticTest] = []
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"), str(path))
        except (SyntaxError, ValueError, OSError):
            continue
        rel = path.relative_to(task_dir).as_posix()
        module_marks = _pytestmark(tree.body)
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
                found.append(_test(f"{rel}::{node.name}", node, module_marks))
            elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                class_marks = module_marks + _pytestmark(node.body) + _decorators(node)
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name.startswith("test"):
                        found.append(_test(f"{rel}::{node.name}::{item.name}", item, class_marks))
    return found


def _test(nodeid: str, node: ast.FunctionDef | ast.AsyncFunctionDef, inherited: list[MarkerUse]) -> StaticTest:
    return StaticTest(
        nodeid=nodeid,
        markers=tuple(inherited + _decorators(node)),
        threads=_uses_threads(node),
        signature_of=frozenset(_signature_targets(node)),
    )


def _decorators(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[MarkerUse]:
    return [m for m in (_marker(d) for d in node.decorator_list) if m is not None]


def _pytestmark(body: list[ast.stmt]) -> list[MarkerUse]:
    marks: list[MarkerUse] = []
    for node in body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets):
            values = node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else [node.value]
            marks += [m for m in (_marker(v) for v in values) if m is not None]
    return marks


def _marker(node: ast.expr) -> MarkerUse | None:
    """Read ``pytest.mark.NAME`` or ``pytest.mark.NAME(...)`` (also ``mark.NAME`` after ``from pytest import mark``)."""
    call = node if isinstance(node, ast.Call) else None
    target = call.func if call else node
    if not (isinstance(target, ast.Attribute) and isinstance(target.value, (ast.Attribute, ast.Name))):
        return None
    owner = target.value
    if not (
        (isinstance(owner, ast.Attribute) and owner.attr == "mark")
        or (isinstance(owner, ast.Name) and owner.id == "mark")
    ):
        return None
    if call is None:
        return MarkerUse(target.attr)
    args = tuple(_literal(a) for a in call.args)
    kwargs = {k.arg: _literal(k.value) for k in call.keywords if k.arg is not None}
    return MarkerUse(target.attr, args, kwargs)


def _literal(node: ast.expr) -> Any:
    """Return a literal's value (``10**6`` and ``2*10**5`` too), or None when it is not one."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Pow, ast.Mult, ast.Add, ast.Sub)):
        left, right = _literal(node.left), _literal(node.right)
        if isinstance(left, (int, float)) and isinstance(right, (int, float)) and abs(right) < 64:
            if isinstance(node.op, ast.Pow):
                return left**right
            if isinstance(node.op, ast.Mult):
                return left * right
            return left + right if isinstance(node.op, ast.Add) else left - right
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _uses_threads(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and (sub.attr in _THREAD_NAMES or _root_name(sub) in _THREAD_MODULES):
            return True
        if isinstance(sub, ast.Name) and sub.id in _THREAD_NAMES:
            return True
    return False


def _root_name(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _signature_targets(node: ast.AST) -> set[str]:
    """Return the names passed to ``inspect.signature(...)`` / ``signature(...)`` in the test ("*" if unnamed)."""
    names: set[str] = set()
    for sub in ast.walk(node):
        if not isinstance(sub, ast.Call):
            continue
        func = sub.func
        called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if called in {"signature", "getfullargspec", "getargspec"} and sub.args:
            arg = sub.args[0]
            names.add(arg.attr if isinstance(arg, ast.Attribute) else arg.id if isinstance(arg, ast.Name) else "*")
    return names
