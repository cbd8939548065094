"""Mutation operators: where a function can be mutated, and how each edit rewrites the ``ast`` node.

``points(fn)`` yields ``(operator family, description, node, edit)`` for every mutation of one function in a
stable ``ast.walk`` order; ``mutate.generate`` applies them one at a time to copies of the function.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

__all__ = ["FAMILIES", "FUNCS", "Edit", "points"]

FAMILIES = (
    "arithmetic",
    "comparison",
    "boundary",
    "boolean",
    "constant",
    "return",
    "statement",
    "exception",
    "slice",
    "loop",
)

_CMP_SWAP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_BIN_SWAP: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.Div,
    ast.Pow: ast.Mult,
    ast.LShift: ast.RShift,
    ast.RShift: ast.LShift,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
    ast.BitXor: ast.BitAnd,
}
FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
# Calls whose removal as a statement is noise rather than a test-quality signal.
_QUIET_CALLS = frozenset({"print", "log", "debug", "info", "warning", "warn"})

Edit = Callable[[ast.AST], ast.AST]


def _skipped_ids(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[int]:
    """Nodes a code swap cannot reach (defaults, annotations, decorators) or that are noise (docstrings)."""
    skip: set[int] = set()
    for part in (fn.args, *fn.decorator_list, *([fn.returns] if fn.returns else [])):
        skip.update(id(n) for n in ast.walk(part))
    for node in ast.walk(fn):
        annotation = getattr(node, "annotation", None) if isinstance(node, (ast.arg, ast.AnnAssign)) else None
        if annotation is not None:
            skip.update(id(n) for n in ast.walk(annotation))
        if isinstance(node, ast.JoinedStr):
            skip.update(id(n) for n in ast.walk(node))  # f-string parts have unreliable positions
        body = getattr(node, "body", None)
        if isinstance(node, (*FUNCS, ast.ClassDef)) and body and _is_docstring(body[0]):
            skip.update(id(n) for n in ast.walk(body[0]))
    return skip


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def points(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[tuple[str, str, ast.AST, Edit]]:
    """Yield ``(operator, description, node, edit)`` for every mutation of ``fn``, in ``ast.walk`` order."""
    skip = _skipped_ids(fn)
    compare_consts = {id(c) for n in ast.walk(fn) if isinstance(n, ast.Compare) for c in [n.left, *n.comparators]}
    for node in ast.walk(fn):
        if id(node) in skip or node is fn:
            continue
        yield from _node_points(node, in_compare=id(node) in compare_consts)


def _node_points(node: ast.AST, *, in_compare: bool) -> Iterator[tuple[str, str, ast.AST, Edit]]:
    if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _BIN_SWAP:
        new_op = _BIN_SWAP[type(node.op)]
        yield "arithmetic", f"{_op(node.op)} -> {_op(new_op())}", node, _set(op=new_op())
    if isinstance(node, ast.AugAssign):
        yield "statement", "drop augmented assignment", node, lambda n: ast.Pass()
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub, ast.Invert)):
        yield (
            "boolean" if isinstance(node.op, ast.Not) else "arithmetic",
            f"drop {_op(node.op)}",
            node,
            _operand,
        )
    elif isinstance(node, ast.Compare):
        for k, op in enumerate(node.ops):
            if type(op) in _CMP_SWAP:
                new = _CMP_SWAP[type(op)]
                yield "comparison", f"{_op(op)} -> {_op(new())}", node, _cmp(k, new)
    elif isinstance(node, ast.BoolOp):
        new_bool: ast.boolop = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield "boolean", f"{_op(node.op)} -> {_op(new_bool)}", node, _set(op=new_bool)
    elif isinstance(node, ast.Constant):
        yield from _constant_points(node, in_compare=in_compare)
    elif isinstance(node, ast.Return) and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):
            yield "return", "return None", node, _set(value=ast.Constant(None))
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and _call_name(node.value) not in _QUIET_CALLS:
        yield "statement", "drop call statement", node, lambda n: ast.Pass()
    elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and isinstance(node.exc.func, ast.Name):
        if node.exc.func.id.endswith(("Error", "Exception")) and node.exc.func.id != "Exception":
            yield (
                "exception",
                f"raise Exception instead of {node.exc.func.id}",
                node.exc.func,
                lambda n: ast.Name("Exception", ast.Load()),
            )
    elif isinstance(node, ast.Slice):
        for bound in ("lower", "upper"):
            value = getattr(node, bound)
            if value is not None and not isinstance(value, ast.Constant):
                for shift in (ast.Add(), ast.Sub()):
                    yield "slice", f"{bound} bound {_op(shift)} 1", value, _shift(shift)
    elif isinstance(node, ast.Call) and _call_name(node) == "range" and node.args:
        stop = node.args[1] if len(node.args) > 1 else node.args[0]
        if not isinstance(stop, ast.Constant):
            for shift in (ast.Add(), ast.Sub()):
                yield "slice", f"range stop {_op(shift)} 1", stop, _shift(shift)
    elif isinstance(node, ast.Break):
        yield "loop", "break -> continue", node, lambda n: ast.Continue()
    elif isinstance(node, ast.Continue):
        yield "loop", "continue -> break", node, lambda n: ast.Break()


def _constant_points(node: ast.Constant, *, in_compare: bool) -> Iterator[tuple[str, str, ast.AST, Edit]]:
    value = node.value
    if isinstance(value, bool):
        yield "boolean", f"{value} -> {not value}", node, _set(value=not value)
    elif isinstance(value, int) and in_compare:
        yield "boundary", f"{value} -> {value - 1}", node, _set(value=value - 1)
        yield "boundary", f"{value} -> {value + 1}", node, _set(value=value + 1)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield "constant", f"{value!r} -> {value + 1!r}", node, _set(value=value + 1)
    elif isinstance(value, str):
        yield "constant", "string -> 'XX...XX'", node, _set(value=f"XX{value}XX")


def _operand(node: ast.AST) -> ast.AST:
    operand: ast.AST = getattr(node, "operand")  # noqa: B009 - only UnaryOp reaches here
    return operand


def _set(**changes: object) -> Edit:
    def edit(node: ast.AST) -> ast.AST:
        for name, value in changes.items():
            setattr(node, name, value)
        return node

    return edit


def _cmp(index: int, new: type[ast.cmpop]) -> Edit:
    def edit(node: ast.AST) -> ast.AST:
        node.ops = list(node.ops)  # type: ignore[attr-defined]
        node.ops[index] = new()  # type: ignore[attr-defined]
        return node

    return edit


def _shift(op: ast.operator) -> Edit:
    return lambda n: ast.BinOp(n, op, ast.Constant(1))  # type: ignore[arg-type]


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


_OP_TEXT = {
    "Add": "+",
    "Sub": "-",
    "Mult": "*",
    "Div": "/",
    "FloorDiv": "//",
    "Mod": "%",
    "Pow": "**",
    "LShift": "<<",
    "RShift": ">>",
    "BitAnd": "&",
    "BitOr": "|",
    "BitXor": "^",
    "Lt": "<",
    "LtE": "<=",
    "Gt": ">",
    "GtE": ">=",
    "Eq": "==",
    "NotEq": "!=",
    "In": "in",
    "NotIn": "not in",
    "Is": "is",
    "IsNot": "is not",
    "And": "and",
    "Or": "or",
    "Not": "not",
    "USub": "unary -",
    "Invert": "~",
}


def _op(op: ast.AST) -> str:
    return _OP_TEXT.get(type(op).__name__, type(op).__name__)
