"""Switch a mutant or a hand-written variant in, inside a forked child, without touching any file.

Two paths, both in memory: live function objects (found once in the parent) get their ``__code__``
replaced, and ``SourceFileLoader.get_code`` is patched so any *fresh* import of the file (lazy imports,
``load_side``, ``importlib`` by path) compiles the mutated source. Only ever called in a child process.
"""

from __future__ import annotations

import ast
import gc
import importlib.machinery
import os
import sys
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_gtguard.meta.mutate import Mutant, mutated_module

__all__ = ["LiveCode", "activate_mutant", "activate_source", "sentinel_sources"]

FuncKey = tuple[str, str, int]  # (real file path, co_name, co_firstlineno)
_MAX_DEPTH = 6  # classes in classes, decorators on decorators: deep enough, and no runaway recursion


@dataclass(frozen=True)
class LiveCode:
    """Every live function object defined in the target files, keyed by where its code was defined."""

    functions: Mapping[FuncKey, tuple[types.FunctionType, ...]]
    modules: Mapping[str, tuple[types.ModuleType, ...]]  # real file path -> loaded modules

    @classmethod
    def scan(cls, files: Iterable[Path]) -> LiveCode:
        """Find the live functions and modules of ``files`` (run once, in the parent).

        Code objects are gathered from the loaded modules (functions, methods, properties, static and class
        methods, ``__wrapped__`` and closure cells of decorators); then ``gc.get_referrers`` finds every
        function object running one of them, in C, instead of a Python loop over the whole heap.
        """
        wanted = {os.path.realpath(f) for f in files}
        modules: dict[str, list[types.ModuleType]] = {}
        for module in list(sys.modules.values()):
            location: str | None = getattr(module, "__file__", None)
            if location and os.path.realpath(location) in wanted:
                modules.setdefault(os.path.realpath(location), []).append(module)
        codes: dict[types.CodeType, FuncKey] = {}
        seen: set[int] = set()
        for loaded in modules.values():
            for module in loaded:
                for value in list(vars(module).values()):
                    _collect(value, wanted, codes, seen, depth=0)
        functions: dict[FuncKey, list[types.FunctionType]] = {}
        if codes:
            for obj in gc.get_referrers(*codes):
                if isinstance(obj, types.FunctionType) and obj.__code__ in codes:
                    functions.setdefault(codes[obj.__code__], []).append(obj)
        return cls({k: tuple(v) for k, v in functions.items()}, {k: tuple(v) for k, v in modules.items()})


def _collect(value: Any, wanted: set[str], codes: dict[types.CodeType, FuncKey], seen: set[int], *, depth: int) -> None:
    if id(value) in seen or depth > _MAX_DEPTH:
        return
    seen.add(id(value))
    if isinstance(value, types.FunctionType):
        code = value.__code__
        path = os.path.realpath(code.co_filename)
        if path in wanted:
            codes[code] = (path, code.co_name, code.co_firstlineno)
        inner = [c.cell_contents for c in value.__closure__ or () if _filled(c)]
        for nested in [getattr(value, "__wrapped__", None), *inner]:
            if nested is not None:
                _collect(nested, wanted, codes, seen, depth=depth + 1)
    elif isinstance(value, (staticmethod, classmethod)):
        _collect(value.__func__, wanted, codes, seen, depth=depth + 1)
    elif isinstance(value, property):
        for accessor in (value.fget, value.fset, value.fdel):
            if accessor is not None:
                _collect(accessor, wanted, codes, seen, depth=depth + 1)
    elif isinstance(value, type):
        for member in list(vars(value).values()):
            _collect(member, wanted, codes, seen, depth=depth + 1)
    elif callable(value) and hasattr(value, "__wrapped__"):  # functools.lru_cache and friends
        _collect(value.__wrapped__, wanted, codes, seen, depth=depth + 1)


def _filled(cell: types.CellType) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - an empty cell raises ValueError
    except ValueError:
        return False
    return True


def activate_mutant(mutant: Mutant, live: LiveCode) -> None:
    """Make ``mutant`` the code every caller of its function runs, now and on any fresh import."""
    path = os.path.realpath(mutant.site.file.path)
    key = (path, mutant.site.name, mutant.site.firstlineno)
    for function in live.functions.get(key, ()):
        function.__code__ = mutant.code
    _patch_loader({path: mutated_module(mutant)})


def activate_source(path: Path, text: str, live: LiveCode) -> None:
    """Replace the module at ``path`` by ``text`` (a hand-written variant) in the live process.

    Functions and methods that exist in both versions get the variant's code (callers holding the old
    objects see it too); other module-level names are rebound; fresh imports compile ``text``.
    """
    real = os.path.realpath(path)
    tree = ast.parse(text, filename=str(path))
    code = compile(tree, str(path), "exec", dont_inherit=True)
    for module in live.modules.get(real, ()):
        fresh: dict[str, Any] = {
            "__name__": module.__name__,
            "__file__": module.__file__,
            "__builtins__": module.__dict__.get("__builtins__", __builtins__),
            "__package__": module.__package__,
            "__spec__": module.__spec__,
        }
        exec(code, fresh)
        _graft(module.__dict__, fresh, live)
    _patch_loader({real: tree})


def sentinel_sources(files: Iterable[Path]) -> dict[str, ast.Module]:
    """Return each file's tree with every function body starting with a raise (the forced-fail run)."""
    trees: dict[str, ast.Module] = {}
    for path in files:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                boom = ast.parse("raise RuntimeError('gtguard meta sentinel: forced failure')").body[0]
                node.body.insert(0, ast.copy_location(boom, node.body[0]))
        trees[os.path.realpath(path)] = ast.fix_missing_locations(tree)
    return trees


def activate_sentinel(trees: Mapping[str, ast.Module], live: LiveCode) -> None:
    """Swap every live function of the target files for a version that raises on entry."""
    for real, tree in trees.items():
        code = compile(tree, real, "exec", dont_inherit=True)
        replacements = _code_objects(code)
        for (path, name, line), functions in live.functions.items():
            new = replacements.get((name, line)) if path == real else None
            for function in functions:
                if new is not None and len(new.co_freevars) == len(function.__code__.co_freevars):
                    function.__code__ = new
    _patch_loader(trees)


def _code_objects(code: types.CodeType) -> dict[tuple[str, int], types.CodeType]:
    found: dict[tuple[str, int], types.CodeType] = {}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found[(const.co_name, const.co_firstlineno)] = const
            found.update(_code_objects(const))
    return found


def _graft(old: dict[str, Any], new: dict[str, Any], live: LiveCode) -> None:
    for name, value in new.items():
        if name.startswith("__") and name.endswith("__"):
            continue
        current = old.get(name)
        if current is value:
            continue  # the same imported object in both versions
        own_class = isinstance(value, type) and value.__module__ == new.get("__name__")
        if isinstance(current, types.FunctionType) and isinstance(value, types.FunctionType):
            if not _swap_function(current, value):
                old[name] = value
        elif isinstance(current, type) and own_class and current.__module__ == value.__module__:
            for attr, member in vars(value).items():
                existing = vars(current).get(attr)
                if (
                    isinstance(existing, types.FunctionType)
                    and isinstance(member, types.FunctionType)
                    and _swap_function(existing, member)
                ):
                    continue
                if not (attr.startswith("__") and attr.endswith("__")) or isinstance(member, types.FunctionType):
                    setattr(current, attr, member)
        else:
            old[name] = value


def _swap_function(old: types.FunctionType, new: types.FunctionType) -> bool:
    """Give ``old`` the behaviour of ``new`` in place; False when their closures differ in shape."""
    if len(old.__code__.co_freevars) != len(new.__code__.co_freevars):
        return False
    old.__code__ = new.__code__
    old.__defaults__ = new.__defaults__
    old.__kwdefaults__ = new.__kwdefaults__
    return True


def _patch_loader(trees: Mapping[str, ast.Module]) -> None:
    original = importlib.machinery.SourceFileLoader.get_code

    def get_code(self: Any, fullname: str) -> types.CodeType | None:
        tree = trees.get(os.path.realpath(self.path))
        if tree is not None:
            return compile(tree, self.path, "exec", dont_inherit=True)
        return original(self, fullname)

    importlib.machinery.SourceFileLoader.get_code = get_code  # type: ignore[method-assign]
