"""Generate seeded first-order mutants of ground-truth source files, in memory.

Why the stdlib ``ast`` and not mutmut's libcst engine: mutmut writes a trampolined copy of the whole
tree to ``mutants/`` and its entry point changed signature three times in six months (research note
§1.9); libcst keeps comments only to write mutants back to files, which gtguard never does. A mutant
here is an edited copy of one function's ``ast`` node compiled in its own module or class scope, so
its code object has the original's line numbers and free variables (``super()``'s ``__class__`` cell)
and can replace the live function's ``__code__`` in a forked child. Only code inside functions is
mutated: module-level code runs once at import, before any mutant could be switched in.

Operator families (names used in reports): ``arithmetic``, ``comparison`` (``<`` ↔ ``<=`` etc., the
boundary shift), ``boundary`` (integer constant in a comparison ±1), ``boolean``, ``constant``,
``return``, ``statement`` (drop a call statement or an augmented assignment), ``exception`` (raise
the base ``Exception`` instead of a specific type), ``slice`` (off-by-one on slice bounds and on
``range`` stops), ``loop`` (``break`` ↔ ``continue``). Mutants whose compiled code equals the
original or an earlier mutant of the same function (trivial compiler equivalence) are dropped, and so
are mutations on lines carrying ``# pragma: no mutate``.
"""

from __future__ import annotations

import ast
import copy
import functools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType

from pytest_gtguard.meta.operators import FUNCS, Edit, points

_PRAGMA = "pragma: no mutate"  # the comment mutmut and others use to exempt a line

__all__ = ["FunctionSite", "Mutant", "SourceFile", "generate", "parse_source", "sample"]


@dataclass(frozen=True)
class SourceFile:
    """One ground-truth file: its path, text and parsed tree."""

    path: Path
    relpath: str
    text: str
    tree: ast.Module


@dataclass(frozen=True)
class FunctionSite:
    """A top-level function or a method of a top-level class: the unit whose ``__code__`` is swapped."""

    file: SourceFile
    path: tuple[int, ...]  # index path of the def in the module: (i,) or (class_index, j)
    qualname: str
    name: str
    firstlineno: int  # co_firstlineno: the first decorator's line, as CPython counts it


@dataclass(frozen=True)
class Mutant:
    """One first-order mutant: where it is, what it changes, and the compiled replacement code."""

    id: str
    site: FunctionSite
    operator: str
    description: str
    line: int
    column: int  # 1-based
    end_line: int
    end_column: int  # 1-based, exclusive
    original: str
    replacement: str
    walk_index: int = field(repr=False, compare=False)  # the target's position in ast.walk(function)
    edit: Edit = field(repr=False, compare=False)
    code: CodeType = field(repr=False, compare=False)

    def diff(self) -> str:
        """Return a unified diff of the mutated lines against the original file (real line numbers)."""
        lines = self.site.file.text.splitlines(keepends=True)
        start, end = self.line - 1, self.end_line
        old = [line if line.endswith("\n") else line + "\n" for line in lines[start:end]]
        head = old[0][: self.column - 1]
        tail = old[-1][self.end_column - 1 :]
        new = (head + self.replacement + tail).splitlines(keepends=True)
        rel = self.site.file.relpath
        return (
            f"--- a/{rel}\n+++ b/{rel}\n@@ -{self.line}{_count(len(old))} +{self.line}{_count(len(new))} @@\n"
            + "".join(f"-{line}" for line in old)
            + "".join(f"+{line}" for line in new)
        )


def parse_source(path: Path, relpath: str) -> SourceFile:
    """Read and parse ``path``; ``SyntaxError`` propagates with the file name in it."""
    text = path.read_text(encoding="utf-8")
    return SourceFile(path, relpath, text, ast.parse(text, filename=str(path)))


def function_sites(source: SourceFile) -> list[FunctionSite]:
    """Return the functions whose code can be swapped: top-level defs and methods of top-level classes."""
    sites: list[FunctionSite] = []
    for i, node in enumerate(source.tree.body):
        if isinstance(node, FUNCS):
            sites.append(FunctionSite(source, (i,), node.name, node.name, _first_line(node)))
        elif isinstance(node, ast.ClassDef):
            for j, sub in enumerate(node.body):
                if isinstance(sub, FUNCS):
                    qual = f"{node.name}.{sub.name}"
                    sites.append(FunctionSite(source, (i, j), qual, sub.name, _first_line(sub)))
    return sites


def generate(sources: Sequence[SourceFile]) -> tuple[list[Mutant], int]:
    """Return every mutant of ``sources`` in a stable order, and how many TCE duplicates were dropped."""
    mutants: list[Mutant] = []
    dropped = 0
    for source in sources:
        lines = source.text.splitlines(keepends=True)
        for site in function_sites(source):
            fn = _node_at(source.tree, site.path)
            original = compile_site(site, fn)
            seen = {_code_key(original)}
            taken: dict[str, int] = {}
            order = {id(node): i for i, node in enumerate(ast.walk(fn))}
            slots = _slots(fn)
            for operator, description, target, edit in list(points(fn)):  # listed first: edits are in place
                if _PRAGMA in lines[getattr(target, "lineno", 1) - 1]:
                    continue
                replacement = _replacement(target, edit)
                put = slots[id(target)]
                put(replacement)  # edit in place, compile, restore: no copy of the function per mutant
                try:
                    code = compile_site(site, fn)
                    if code.co_freevars != original.co_freevars:
                        code = compile_site(site, _keep_cells(fn, original.co_freevars))
                except (SyntaxError, ValueError):
                    continue  # the edit produced invalid code (e.g. `continue` outside a loop)
                finally:
                    put(target)
                if code.co_freevars != original.co_freevars:
                    continue  # the live function's closure could not run this code
                key = _code_key(code)
                if key in seen:
                    dropped += 1
                    continue
                seen.add(key)
                line, col, end_line, end_col = _span(target, lines)
                base = f"{source.relpath}:{line}:{col}:{operator}"
                taken[base] = taken.get(base, 0) + 1
                mid = base if taken[base] == 1 else f"{base}:{taken[base]}"
                mutants.append(
                    Mutant(
                        mid,
                        site,
                        operator,
                        description,
                        line,
                        col,
                        end_line,
                        end_col,
                        _segment(lines, line, col, end_line, end_col) or ast.unparse(target),
                        _text(replacement),
                        order[id(target)],
                        edit,
                        code,
                    )
                )
    return mutants, dropped


def sample(mutants: Sequence[Mutant], *, seed: int, limit: int | None) -> list[Mutant]:
    """Return at most ``limit`` mutants chosen by ``random.Random(seed)``, kept in generation order."""
    if limit is None or limit >= len(mutants):
        return list(mutants)
    chosen = set(random.Random(seed).sample(range(len(mutants)), limit))
    return [m for i, m in enumerate(mutants) if i in chosen]


def compile_site(site: FunctionSite, fn: ast.AST) -> CodeType:
    """Compile ``fn`` in the scope it lives in and return its code object."""
    tree = site.file.tree
    futures: list[ast.stmt] = [s for s in tree.body if isinstance(s, ast.ImportFrom) and s.module == "__future__"]
    body: ast.stmt = fn  # type: ignore[assignment]
    if len(site.path) == 2:
        cls: ast.ClassDef = tree.body[site.path[0]]  # type: ignore[assignment]
        body = ast.copy_location(ast.ClassDef(cls.name, [], [], [body], []), cls)
    module = ast.Module([*futures, body], type_ignores=[])  # every node already has its location
    code = compile(module, str(site.file.path), "exec", dont_inherit=True)
    return _find_code(code, site.name, site.firstlineno)


def mutated_module(mutant: Mutant) -> ast.Module:
    """Return the whole module tree with the mutant's function in place (for fresh imports)."""
    node = copy.deepcopy(_node_at(mutant.site.file.tree, mutant.site.path))
    target = next(n for i, n in enumerate(ast.walk(node)) if i == mutant.walk_index)
    _slots(node)[id(target)](_replacement(target, mutant.edit))
    tree = copy.copy(mutant.site.file.tree)
    path = mutant.site.path
    tree.body = list(tree.body)
    if len(path) == 1:
        tree.body[path[0]] = node
    else:
        cls = copy.copy(tree.body[path[0]])
        cls.body = list(cls.body)  # type: ignore[attr-defined]
        cls.body[path[1]] = node  # type: ignore[attr-defined]
        tree.body[path[0]] = cls
    return tree


def _keep_cells(
    fn: ast.FunctionDef | ast.AsyncFunctionDef, names: tuple[str, ...]
) -> ast.FunctionDef | ast.AsyncFunctionDef:
    """Return ``fn`` referencing ``names`` in dead code, so its code keeps the original's free variables.

    A mutant that removes the only ``super()`` call would otherwise lose the ``__class__`` cell, and a
    code object with other free variables cannot replace the live function's ``__code__``.
    """
    fn = copy.copy(fn)
    tail = [ast.Expr(ast.Name(name, ast.Load())) for name in names]
    fn.body = [*fn.body, *(ast.copy_location(t, fn.body[-1]) for t in tail)]
    return ast.fix_missing_locations(fn)


def _span(node: ast.AST, lines: Sequence[str]) -> tuple[int, int, int, int]:
    """Return 1-based (line, column, end line, end column exclusive) of ``node``, in characters."""
    line: int = getattr(node, "lineno", 1)
    col: int = getattr(node, "col_offset", 0)
    end_line: int = getattr(node, "end_lineno", None) or line
    end_col: int = getattr(node, "end_col_offset", None) or col
    return line, _chars(lines, line, col) + 1, end_line, _chars(lines, end_line, end_col) + 1


def _chars(lines: Sequence[str], line: int, byte_col: int) -> int:
    """Convert ``ast``'s UTF-8 byte column to a character column."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def _find_code(code: CodeType, name: str, firstlineno: int) -> CodeType:
    for const in code.co_consts:
        if isinstance(const, CodeType):
            if const.co_name == name and const.co_firstlineno == firstlineno:
                return const
            try:
                return _find_code(const, name, firstlineno)
            except LookupError:
                continue
    raise LookupError(f"no code object {name} at line {firstlineno}")


def _code_key(code: CodeType) -> tuple[object, ...]:
    consts = tuple(_code_key(c) if isinstance(c, CodeType) else (type(c).__name__, repr(c)) for c in code.co_consts)
    return (code.co_code, consts, code.co_names, code.co_varnames, code.co_freevars)


def _first_line(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def _node_at(tree: ast.Module, path: tuple[int, ...]) -> ast.FunctionDef | ast.AsyncFunctionDef:
    node: ast.AST = tree.body[path[0]]
    if len(path) == 2:
        node = node.body[path[1]]  # type: ignore[attr-defined]
    return node  # type: ignore[return-value]


def _replacement(target: ast.AST, edit: Edit) -> ast.AST:
    """Return the edited copy of ``target`` (the original node is never changed)."""
    replacement = edit(copy.copy(target))
    if getattr(replacement, "lineno", None) is None:  # a new node; an existing child keeps its own place
        ast.copy_location(replacement, target)
    return ast.fix_missing_locations(replacement)


def _text(replacement: ast.AST) -> str:
    if isinstance(replacement, ast.Pass):
        return "pass"
    text = ast.unparse(replacement)
    if isinstance(replacement, ast.expr) and not isinstance(replacement, (ast.Constant, ast.Name)):
        text = f"({text})"
    return text


def _slots(root: ast.AST) -> dict[int, Callable[[ast.AST], None]]:
    """Map every node under ``root`` to a setter that puts another node in its place."""
    setters: dict[int, Callable[[ast.AST], None]] = {}
    for parent in ast.walk(root):
        for name, value in ast.iter_fields(parent):
            if isinstance(value, ast.AST):
                setters[id(value)] = functools.partial(setattr, parent, name)
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        setters[id(item)] = functools.partial(value.__setitem__, index)
    return setters


def _segment(lines: Sequence[str], line: int, col: int, end_line: int, end_col: int) -> str:
    """Return the text between two 1-based positions (``ast.get_source_segment`` re-splits the file)."""
    if line == end_line:
        return lines[line - 1][col - 1 : end_col - 1]
    middle = lines[line : end_line - 1]
    return "".join([lines[line - 1][col - 1 :], *middle, lines[end_line - 1][: end_col - 1]])


def _count(n: int) -> str:
    return "" if n == 1 else f",{n}"
