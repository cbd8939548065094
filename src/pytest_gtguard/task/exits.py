"""Exit-status checks: Python code that makes a failing run report success (survey §2, §3, §10.4)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from pytest_gtguard.task.findings import Finding, Severity

__all__ = ["check_exits"]

_EXIT_CALLS = frozenset({"sys.exit", "exit", "quit", "os._exit"})


def check_exits(root: Path, files: list[str]) -> Iterator[Finding]:
    """Yield conftests that set ``session.exitstatus`` and evaluators that always exit 0."""
    for relpath in files:
        if not relpath.endswith(".py") or "node_modules/" in relpath:
            continue
        is_conftest = relpath.rsplit("/", 1)[-1] == "conftest.py"
        if not (is_conftest or relpath.startswith("evaluation/")):
            continue
        try:
            tree = ast.parse((root / relpath).read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError, OSError):
            continue
        if is_conftest:
            yield from _forced_exit(relpath, tree)
        else:
            yield from _always_zero(relpath, tree)


def _forced_exit(relpath: str, tree: ast.Module) -> Iterator[Finding]:
    for node in ast.walk(tree):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else ([node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
        )
        if any(isinstance(t, ast.Attribute) and t.attr == "exitstatus" for t in targets):
            yield Finding(
                "GT502",
                Severity.ERROR,
                relpath,
                "the conftest sets session.exitstatus, so pytest reports success whatever the tests did",
                "delete the assignment (gtguard restores the real status under --before/--after, but plain "
                "pytest runs still lie)",
                line=getattr(node, "lineno", None),
            )


def _always_zero(relpath: str, tree: ast.Module) -> Iterator[Finding]:
    # Statements that always run: the module body, the body of `if __name__ == "__main__":`,
    # and the top level of a function named main.
    bodies: list[list[ast.stmt]] = [tree.body]
    for node in tree.body:
        main_block = isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)
        main_func = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "main"
        if main_block or main_func:
            bodies.append(node.body)  # type: ignore[attr-defined]
    for body in bodies:
        for stmt in body:
            if _is_exit_zero(stmt):
                yield Finding(
                    "GT503",
                    Severity.WARNING,
                    relpath,
                    "the evaluator exits 0 unconditionally, so a failing after run still looks like success",
                    "exit with the verdict, e.g. sys.exit(0 if report['success'] else 1), or use the split run "
                    "(pytest --before --after), whose exit status is the verdict",
                    line=stmt.lineno,
                )


def _is_exit_zero(stmt: ast.stmt) -> bool:
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return False
    call = stmt.value
    if ast.unparse(call.func) not in _EXIT_CALLS:
        return False
    if not call.args:
        return True
    arg = call.args[0]
    return isinstance(arg, ast.Constant) and arg.value in (0, None, False)
