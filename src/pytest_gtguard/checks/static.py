"""One AST pass per source file that indexes imports and calls, for the static half of every check.

Written here rather than delegated to ruff's TID251: ruff misses ``__import__``, ``importlib.import_module``
with a literal, ``sys.modules[...]`` and ``exec("import x")`` (research note §5.1), and gtguard needs the
sites as data (file, line, route) to merge them with what the runtime guard sees.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field

__all__ = ["CallSite", "ImportSite", "SourceIndex", "index_source"]


@dataclass(frozen=True)
class ImportSite:
    """A place where a module is (or may be) imported; ``names`` are the from-import names."""

    module: str
    line: int
    route: str
    names: tuple[str, ...] = ()

    def candidates(self) -> tuple[str, ...]:
        """Return the module names this site can bring in (``from os import path`` gives os and os.path)."""
        return (self.module, *(f"{self.module}.{n}" for n in self.names if n != "*"))


@dataclass(frozen=True)
class CallSite:
    """A call (or a reference, for builtins passed as values) of a resolved dotted name."""

    name: str
    line: int
    route: str


@dataclass
class SourceIndex:
    """What one file imports and calls."""

    imports: list[ImportSite] = field(default_factory=list)
    calls: list[CallSite] = field(default_factory=list)
    # Lines that reach modules by a name the AST cannot read: sys.modules with a computed key, or
    # importlib/__import__ with one. The runtime guard traces calls of tests running such code.
    dynamic: list[int] = field(default_factory=list)


_IMPORT_FUNCS = {"importlib.import_module", "importlib.__import__", "builtins.__import__", "__import__"}
_EXEC_FUNCS = {"exec", "builtins.exec", "eval", "builtins.eval", "compile", "builtins.compile"}
_LIST_MAKERS = (ast.List, ast.ListComp)
_BUILTINS = frozenset(name for name in dir(builtins) if not name.startswith("_") and callable(getattr(builtins, name)))


def index_source(source: str, filename: str) -> SourceIndex:
    """Parse ``source`` and return its import and call sites; raise SyntaxError as ``ast.parse`` does."""
    tree = ast.parse(source, filename=filename)
    visitor = _Indexer()
    visitor.visit(tree)
    return visitor.index


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _literal(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class _Indexer(ast.NodeVisitor):
    def __init__(self) -> None:
        self.index = SourceIndex()
        self._aliases: dict[str, str] = {}  # local name -> dotted target (import-resolved)
        self._bound: set[str] = set()  # module-level names that shadow builtins

    def visit_Module(self, node: ast.Module) -> None:
        for stmt in ast.walk(node):
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self._bound.add(stmt.name)
            elif isinstance(stmt, ast.Name) and isinstance(stmt.ctx, ast.Store):
                self._bound.add(stmt.id)
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.index.imports.append(ImportSite(alias.name, node.lineno, "import statement"))
            local = alias.asname or alias.name.split(".")[0]
            self._aliases[local] = alias.name if alias.asname else local
            self._bound.discard(local)
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            names = tuple(a.name for a in node.names)
            self.index.imports.append(ImportSite(node.module, node.lineno, "from-import", names))
            for alias in node.names:
                self._aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        # sys.modules["numpy"] reaches a loaded module without importing it.
        if self._resolve(node.value) == "sys.modules":
            name = _literal(node.slice)
            if name:
                self.index.imports.append(ImportSite(name, node.lineno, "sys.modules[...]"))
            else:
                self.index.dynamic.append(node.lineno)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr == "modules" and self._resolve(node) == "sys.modules" and not isinstance(node.ctx, ast.Store):
            self.index.dynamic.append(node.lineno)  # any use; a literal subscript is an import site too
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        # A builtin passed as a value (map(sorted, xs), key=eval) is a use even without a call here.
        if (
            isinstance(node.ctx, ast.Load)
            and node.id in _BUILTINS
            and node.id not in self._bound | self._aliases.keys()
        ):
            self.index.calls.append(CallSite(node.id, node.lineno, "reference"))

    def visit_Call(self, node: ast.Call) -> None:
        name = self._resolve(node.func)
        if isinstance(node.func, ast.Name) and node.func.id in self._bound:
            name = f"<local>.{node.func.id}"  # a module-level def or assignment shadows the builtin
        first = _literal(node.args[0]) if node.args else None
        if name is not None:
            self.index.calls.append(CallSite(name, node.lineno, "call"))
            if name in _IMPORT_FUNCS and first:
                self.index.imports.append(ImportSite(first, node.lineno, f"{name}(...)"))
            elif name in _IMPORT_FUNCS:
                self.index.dynamic.append(node.lineno)
            elif name == "sys.modules.get" and first:
                self.index.imports.append(ImportSite(first, node.lineno, "sys.modules.get(...)"))
            elif name in _EXEC_FUNCS and first:
                self._scan_string(first, node.lineno, name)
            elif name in {"getattr", "builtins.getattr"} and len(node.args) >= 2:
                owner, attr = self._resolve(node.args[0]), _literal(node.args[1])
                if owner and attr:
                    self.index.calls.append(CallSite(f"{owner}.{attr}", node.lineno, "getattr(...)"))
        elif (isinstance(node.func, ast.Attribute) and isinstance(node.func.value, _LIST_MAKERS)) or (
            isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Call)
            and self._resolve(node.func.value.func) in {"list", "sorted"}
        ):
            self.index.calls.append(CallSite(f"list.{node.func.attr}", node.lineno, "call"))
        # The callee is not a "reference" (the call was recorded above); visit everything else.
        if not isinstance(node.func, ast.Name):
            self.visit(node.func)
        for child in (*node.args, *node.keywords):
            self.visit(child)

    def _scan_string(self, code: str, line: int, via: str) -> None:
        try:
            inner = index_source(code, "<string>")
        except SyntaxError:
            return
        for site in inner.imports:
            self.index.imports.append(ImportSite(site.module, line, f"{via} of a string", site.names))

    def _resolve(self, node: ast.AST) -> str | None:
        dotted = _dotted(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        target = self._aliases.get(head)
        if target is None:
            return dotted
        return f"{target}.{rest}" if rest else target
