"""Test-integrity findings: static checks of the candidate suite that mutation scores alone can miss.

Checks (``kind`` values): ``no-assertion``, ``always-true``, ``swallowed-assertion`` (assert inside a
``try`` whose broad ``except`` does not re-raise), ``weak-check`` (every assertion only checks type,
truthiness or ``is not None``), ``broad-raises`` (``pytest.raises(Exception)`` without ``match=``),
``not-collected`` (a ``test_*`` function pytest never collected), and ``kills-nothing`` (from the kill data);
the meta run adds ``fails-alone`` (a test that fails when run without the rest of the suite).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Finding", "scan_file", "scan_suite", "with_kill_data"]

_BROAD = frozenset({"Exception", "BaseException"})
_ASSERT_CALLS = ("assert", "fail", "raises", "warns", "expect", "check", "verify")
_WEAK_CALLS = frozenset({"isinstance", "callable", "hasattr", "bool", "len", "type"})


@dataclass(frozen=True)
class Finding:
    """One integrity problem in one test."""

    kind: str
    file: str
    line: int
    test: str
    message: str


def scan_suite(files: Iterable[Path], *, collected: Mapping[str, set[str]], root: Path) -> list[Finding]:
    """Scan test files; ``collected`` maps a real file path to the test function names pytest collected.

    A ``test_*`` function in a file pytest did not collect at all (a misnamed module) is ``not-collected``.
    """
    findings: list[Finding] = []
    for path in sorted(set(files)):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue  # pytest reports collection errors itself
        rel = _relative(path, root)
        findings.extend(scan_file(tree, rel, collected.get(str(path.resolve()), set())))
    return findings


def scan_file(tree: ast.Module, rel: str, collected: set[str] | None) -> Iterator[Finding]:
    """Yield findings for the test functions of one parsed file."""
    for test, node in _tests(tree):
        name = node.name
        if collected is not None and name not in collected:
            yield Finding(
                "not-collected",
                rel,
                node.lineno,
                test,
                "looks like a test but pytest never collected it (check the class name, "
                "python_functions and python_classes)",
            )
            continue
        yield from _check_test(node, rel, test)


def with_kill_data(kills: Mapping[str, int], runs: Mapping[str, int]) -> list[Finding]:
    """Return a ``kills-nothing`` finding for every test that ran against mutants and killed none."""
    out = []
    for test in sorted(t for t, n in runs.items() if n and not kills.get(t)):
        file = test.split("::", 1)[0]
        out.append(
            Finding(
                "kills-nothing",
                file,
                0,
                test,
                f"ran against {runs[test]} mutant(s) and was never the test that caught one",
            )
        )
    return out


def _tests(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and sub.name.startswith("test"):
                    yield f"{node.name}::{sub.name}", sub


def _check_test(fn: ast.FunctionDef | ast.AsyncFunctionDef, rel: str, test: str) -> Iterator[Finding]:
    asserts = [n for n in ast.walk(fn) if isinstance(n, ast.Assert)]
    calls = [n for n in ast.walk(fn) if isinstance(n, ast.Call) and _is_assert_call(n)]
    if not asserts and not calls:
        yield Finding(
            "no-assertion",
            rel,
            fn.lineno,
            test,
            "has no assert, pytest.raises or assert* call: it passes whatever the code does, unless it crashes",
        )
        return
    for check in asserts:
        if _always_true(check.test):
            yield Finding("always-true", rel, check.lineno, test, f"`assert {ast.unparse(check.test)}` can never fail")
    for node in ast.walk(fn):
        if isinstance(node, ast.Try):
            swallowed = _swallowing_handler(node)
            if swallowed is not None and any(isinstance(n, ast.Assert) for s in node.body for n in ast.walk(s)):
                yield Finding(
                    "swallowed-assertion",
                    rel,
                    swallowed,
                    test,
                    "an assertion sits in a try whose broad except does not re-raise: a failure is swallowed",
                )
        if isinstance(node, ast.Call) and _call_name(node) == "raises" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Name) and first.id in _BROAD and not any(k.arg == "match" for k in node.keywords):
                yield Finding(
                    "broad-raises",
                    rel,
                    node.lineno,
                    test,
                    f"pytest.raises({first.id}) passes on any error; name the exception type or add match=",
                )
    if asserts and not calls and all(_weak(a.test) for a in asserts):
        yield Finding(
            "weak-check",
            rel,
            fn.lineno,
            test,
            "only checks type, truthiness or `is not None` of results, never their values",
        )


def _is_assert_call(call: ast.Call) -> bool:
    name = _call_name(call).lower()
    return any(name.startswith(prefix) or name.endswith(prefix) for prefix in _ASSERT_CALLS)


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _always_true(test: ast.expr) -> bool:
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, (ast.Tuple, ast.List, ast.Set, ast.Dict)) and (
        getattr(test, "elts", None) or getattr(test, "keys", None)
    ):
        return True  # a non-empty literal is truthy (the `assert (x, "msg")` mistake)
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        return any(_always_true(v) for v in test.values)
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], (ast.Eq, ast.Is, ast.LtE, ast.GtE))
    ):
        return ast.dump(test.left) == ast.dump(test.comparators[0])
    if isinstance(test, ast.Call) and _call_name(test) == "isinstance" and len(test.args) == 2:
        return isinstance(test.args[1], ast.Name) and test.args[1].id == "object"
    return False


def _weak(test: ast.expr) -> bool:
    if isinstance(test, (ast.Name, ast.Attribute, ast.Subscript)):
        return True  # bare truthiness
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _weak(test.operand)
    if isinstance(test, ast.Call):
        return _call_name(test) in _WEAK_CALLS
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, right = test.ops[0], test.comparators[0]
        if isinstance(op, (ast.IsNot, ast.Is)) and isinstance(right, ast.Constant) and right.value is None:
            return True
        left_len = isinstance(test.left, ast.Call) and _call_name(test.left) == "len"
        if left_len and isinstance(op, (ast.Gt, ast.GtE, ast.NotEq)) and isinstance(right, ast.Constant):
            return True
        if isinstance(test.left, ast.Call) and _call_name(test.left) == "type":
            return True
    if isinstance(test, ast.BoolOp):
        return all(_weak(v) for v in test.values)
    return False


def _swallowing_handler(node: ast.Try) -> int | None:
    for handler in node.handlers:
        broad = (
            handler.type is None
            or (isinstance(handler.type, ast.Name) and handler.type.id in (*_BROAD, "AssertionError"))
            or (
                isinstance(handler.type, ast.Tuple)
                and any(isinstance(e, ast.Name) and e.id in (*_BROAD, "AssertionError") for e in handler.type.elts)
            )
        )
        reraises = any(isinstance(n, ast.Raise) for s in handler.body for n in ast.walk(s)) or any(
            isinstance(n, ast.Call) and _call_name(n) == "fail" for s in handler.body for n in ast.walk(s)
        )
        if broad and not reraises:
            return handler.lineno
    return None


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
