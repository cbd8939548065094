"""Memorizers: per public function, a version that knows only the answers to the suite's own inputs.

A suite made of literal examples (``assert add(2, 3) == 5``) can be passed by an implementation that
hard-codes those examples. To show it, ``pytest --meta`` records, in one child run on the ground truth,
which inputs each public function of the ground truth was called with; then, for each function, a child
runs the tests with the *memorizer* switched in:

* on an input the recording saw, it answers as the ground truth does (it calls it: the recorded answer
  for deterministic code, side effects on the arguments included);
* on any other input it calls the ground truth on a deep copy of the arguments (so they are left as
  they were, as a hard-coded table would leave them) and returns that answer made wrong, keeping the
  type where it can (``wrong_answer``); where the ground truth raises, it returns a sentinel instead.

A memorizer that survives means the suite is passable by hard-coding for that function.

Covered: plain functions defined at module level of a ground-truth file, public (no leading ``_``, and
listed in ``__all__`` when the module has one), not generators or coroutines, not closures. Methods,
``functools`` wrappers and callable objects are not covered. Inputs are keyed by the bound arguments
(defaults applied, so ``f(1)`` and ``f(x=1)`` are one input), pickled; what pickle refuses is keyed by
its ``repr`` with memory addresses removed (a coarser key: such inputs are more often "known").

Switching in works like the rest of ``--meta``: every live function object running the function's code
gets a small trampoline ``__code__`` (only in a forked child), so callers that imported the function
before the switch reach the memorizer too.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import dataclasses
import enum
import hashlib
import inspect
import math
import os
import pickle
import random
import re
import sys
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_gtguard.meta.activate import LiveCode

__all__ = [
    "WRONG",
    "PublicFunction",
    "Recorder",
    "fresh_randomness",
    "input_key",
    "install_memorizer",
    "install_recorder",
    "key_function",
    "public_functions",
    "public_methods",
    "wrong_answer",
]

_GLOBAL = "__gtguard_memorizer__"  # the name trampolines look their target up under, in the module's globals
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_SKIPPED_FLAGS = (
    inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR | inspect.CO_ITERABLE_COROUTINE
)


class _Wrong:
    """The answer a memorizer gives where no value of the right type can be made (and where None was right)."""

    def __repr__(self) -> str:
        return "<gtguard memorizer: wrong answer>"


WRONG = _Wrong()
_WRONG_KEY = "gtguard-memorizer-wrong-key"


@dataclass(frozen=True)
class PublicFunction:
    """One public module-level function of the ground truth."""

    name: str  # dotted: module.function
    path: str  # real path of its file
    code: types.CodeType
    first_line: int
    last_line: int


def public_functions(live: LiveCode, trees: Mapping[str, ast.Module] | None = None) -> list[PublicFunction]:
    """Return the public plain functions defined at module level in the live ground-truth modules.

    ``trees`` (real path -> parsed file) gives each function's last line; without it, the last line of
    its code object is used.
    """
    found: dict[tuple[str, str], PublicFunction] = {}
    for path, modules in sorted(live.modules.items()):
        ends = _def_ends(trees.get(path)) if trees else {}
        for module in modules:
            exported = getattr(module, "__all__", None)
            for name, value in list(vars(module).items()):
                if name.startswith("_") or (exported is not None and name not in exported):
                    continue
                if not isinstance(value, types.FunctionType) or value.__closure__:
                    continue
                code = value.__code__
                if os.path.realpath(code.co_filename) != path or code.co_flags & _SKIPPED_FLAGS:
                    continue
                if code.co_name != name or (path, name) in found:
                    continue  # an alias of another function, or the same module loaded twice
                last = ends.get((name, code.co_firstlineno)) or max(
                    (line for _, _, line in code.co_lines() if line), default=code.co_firstlineno
                )
                found[(path, name)] = PublicFunction(f"{module.__name__}.{name}", path, code, code.co_firstlineno, last)
    return sorted(found.values(), key=lambda f: f.name)


def public_methods(live: LiveCode) -> list[str]:
    """Return ``Class.method`` for the public methods of the public classes of the ground truth (not judged).

    A memorizer keyed by a method's arguments alone would misjudge stateful objects (the answer of
    ``cache.get(1)`` depends on what was put before), and keying by the object's state is unstable where the
    state holds times or ids; so methods are named as not covered rather than judged wrongly.
    """
    found: set[str] = set()
    for path, modules in live.modules.items():
        for module in modules:
            exported = getattr(module, "__all__", None)
            for name, value in list(vars(module).items()):
                if name.startswith("_") or (exported is not None and name not in exported):
                    continue
                if not isinstance(value, type) or value.__module__ != module.__name__:
                    continue
                for attr, member in vars(value).items():
                    func = getattr(member, "__func__", member)  # staticmethod and classmethod wrap a function
                    if attr.startswith("_") or not isinstance(func, types.FunctionType):
                        continue
                    if os.path.realpath(func.__code__.co_filename) == path:
                        found.add(f"{name}.{attr}")
    return sorted(found)


def _def_ends(tree: ast.Module | None) -> dict[tuple[str, int], int]:
    ends: dict[tuple[str, int], int] = {}
    for node in tree.body if tree is not None else ():
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            ends[(node.name, first)] = ends[(node.name, node.lineno)] = node.end_lineno or node.lineno
    return ends


def input_key(signature: inspect.Signature | None, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> str:
    """Return a stable key for one call's input: bound arguments with defaults applied, pickled and hashed.

    Raises:
        TypeError: the arguments do not fit the signature (the caller lets the function raise it).
    """
    if signature is not None:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        frozen: Any = tuple(bound.arguments.items())
    else:
        frozen = (args, tuple(sorted(kwargs.items(), key=lambda kv: kv[0])))
    return _digest(frozen)


def key_function(signature: inspect.Signature | None) -> Callable[[tuple[Any, ...], Mapping[str, Any]], str]:
    """Return ``input_key`` for one signature, with a fast path for plain positional calls (no bind)."""
    plain = signature is not None and all(
        p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in signature.parameters.values()
    )
    names = tuple(signature.parameters) if signature is not None and plain else None

    def key(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> str:
        if names is not None and not kwargs and len(args) == len(names):
            return _digest(tuple(zip(names, args, strict=True)))  # as bind().arguments.items(), 3x faster
        return input_key(signature, args, kwargs)

    return key


def _digest(frozen: Any) -> str:
    try:
        data = b"p" + pickle.dumps(frozen, protocol=4)
    except Exception:  # unpicklable arguments (lambdas, open files, locks): their repr, addresses removed
        data = b"r" + _ADDRESS.sub("", _safe_repr(frozen)).encode("utf-8", "backslashreplace")
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:
        return f"<{type(value).__qualname__}>"


def wrong_answer(value: Any) -> Any:
    """Return a plausible wrong answer: of ``value``'s type where possible, never equal to it.

    bool -> not value; int -> +1; float -> +1.0 (0.0 for inf and nan); complex -> +1; str -> + "x";
    bytes -> + b"x"; list/tuple -> the last item repeated once more (empty -> [WRONG]); namedtuple and
    dataclass -> first field made wrong; dict -> one extra key; set/frozenset -> one extra member;
    an Enum member -> the next member; anything else, None included -> the ``WRONG`` sentinel.
    """
    try:
        return _wrong(value)
    except Exception:  # an odd subclass whose constructor takes other arguments
        return WRONG


def _wrong(value: Any) -> Any:
    kind = type(value)
    if value is None or value is WRONG:
        return WRONG
    if isinstance(value, enum.Enum):
        members: list[Any] = list(dict.fromkeys(kind.__members__.values()))  # aliases once
        return members[(members.index(value) + 1) % len(members)] if len(members) > 1 else WRONG
    if kind is bool:
        return not value
    if isinstance(value, float):
        return value + 1.0 if math.isfinite(value) else 0.0
    if isinstance(value, (int, complex)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, (bytes, bytearray)):
        return value + b"x"
    if isinstance(value, tuple) and hasattr(value, "_replace") and value:
        named: Any = value
        return named._replace(**{named._fields[0]: _wrong(value[0])})
    if isinstance(value, (list, tuple)):
        extended = [*value, value[-1]] if value else [WRONG]
        return kind(extended) if kind in (list, tuple) else extended
    if isinstance(value, dict):
        changed = dict(value)
        changed[_WRONG_KEY] = WRONG
        return changed
    if isinstance(value, (set, frozenset)):
        return kind({*value, _WRONG_KEY})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        first = dataclasses.fields(value)[0].name
        return dataclasses.replace(value, **{first: _wrong(getattr(value, first))})
    return WRONG


class Recorder:
    """The input keys seen per function (in the recording child)."""

    def __init__(self) -> None:
        self.keys: dict[str, set[str]] = {}

    def table(self) -> dict[str, list[str]]:
        """Return the recorded keys per function name, sorted (JSON-ready)."""
        return {name: sorted(keys) for name, keys in sorted(self.keys.items())}


def install_recorder(functions: Iterable[PublicFunction], live: LiveCode, recorder: Recorder) -> None:
    """Switch every function to a version that records its input keys and then runs the ground truth."""
    for function in functions:
        original, signature = _original(function, live)
        if original is None:
            continue
        seen = recorder.keys.setdefault(function.name, set())
        _trampoline(function, live, _recording(original, key_function(signature), seen))


def _recording(
    original: Callable[..., Any], key: Callable[[tuple[Any, ...], Mapping[str, Any]], str], seen: set[str]
) -> Callable[..., Any]:
    def recording(*args: Any, **kwargs: Any) -> Any:
        with contextlib.suppress(TypeError):  # a call that does not fit the signature: the ground truth raises
            seen.add(key(args, kwargs))
        return original(*args, **kwargs)

    return recording


def install_memorizer(function: PublicFunction, live: LiveCode, known: Iterable[str]) -> None:
    """Switch ``function`` to its memorizer: right on the ``known`` input keys, wrong on any other input.

    Also reseeds the random generators from the OS (``fresh_randomness``).
    """
    fresh_randomness()
    original, signature = _original(function, live)
    if original is None:
        return
    table = frozenset(known)
    keyed = key_function(signature)

    def memorizer(*args: Any, **kwargs: Any) -> Any:
        try:
            key = keyed(args, kwargs)
        except TypeError:
            return original(*args, **kwargs)  # raises the ground truth's own TypeError
        if key in table:
            return original(*args, **kwargs)
        with contextlib.suppress(Exception):  # uncopyable arguments: the ground truth may change them
            args, kwargs = copy.deepcopy((args, kwargs))
        try:
            answer = original(*args, **kwargs)
        except Exception:
            return WRONG
        return wrong_answer(answer)

    _trampoline(function, live, memorizer)


def fresh_randomness() -> None:
    """Reseed the stdlib ``random``, Hypothesis's and NumPy's global generators from the OS.

    Children are forked from one parent, so each starts with the parent's generator states: tests that draw
    unseeded random inputs (or Hypothesis examples) would draw, in a memorizer child, exactly what they drew
    in the recording child. Another run of the suite draws new ones; so does a memorizer child. Tests that
    seed their own generator, or Hypothesis tests with ``@seed``, still draw the same inputs (fixed inputs).
    """
    random.seed()
    hypothesis_core = sys.modules.get("hypothesis.core")
    shared = getattr(getattr(hypothesis_core, "threadlocal", None), "_hypothesis_global_random", None)
    if isinstance(shared, random.Random):
        shared.seed()
    seeding = getattr(hypothesis_core, "get_random_for_wrapped_test", None)
    if callable(seeding):
        # gtguard's Hypothesis policy derandomizes judged runs (examples fixed by the test function), and
        # settings are baked into each @given test at import: lift it here, keeping an explicit @seed.
        def fresh_examples(test: Any, wrapped_test: Any) -> random.Random:
            if getattr(wrapped_test, "_hypothesis_internal_use_seed", None) is not None:
                return seeding(test, wrapped_test)  # type: ignore[no-any-return]
            return random.Random(int.from_bytes(os.urandom(16), "big"))

        hypothesis_core.get_random_for_wrapped_test = fresh_examples  # type: ignore[union-attr]
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        with contextlib.suppress(Exception):
            numpy_random.seed()


def _original(function: PublicFunction, live: LiveCode) -> tuple[Callable[..., Any] | None, inspect.Signature | None]:
    """Return a fresh function object running the ground truth's code, and its signature."""
    key = (function.path, function.code.co_name, function.code.co_firstlineno)
    objects = live.functions.get(key, ())
    if not objects:
        return None, None
    live_fn = objects[0]
    copy_fn = types.FunctionType(function.code, live_fn.__globals__, live_fn.__name__, live_fn.__defaults__, None)
    copy_fn.__kwdefaults__ = live_fn.__kwdefaults__
    copy_fn.__qualname__ = live_fn.__qualname__
    copy_fn.__module__ = live_fn.__module__
    try:
        signature: inspect.Signature | None = inspect.signature(copy_fn)
    except (TypeError, ValueError):
        signature = None
    return copy_fn, signature


def _trampoline(function: PublicFunction, live: LiveCode, target: Callable[..., Any]) -> None:
    """Give every live function object of ``function`` a code that calls ``target``."""
    key = (function.path, function.code.co_name, function.code.co_firstlineno)
    name = function.name.rsplit(".", 1)[-1]
    source = f"def {name}(*args, **kwargs):\n    return {_GLOBAL}[{function.name!r}](*args, **kwargs)\n"
    outer = compile(source, f"<gtguard memorizer of {function.name}>", "exec", dont_inherit=True)
    code = next(c for c in outer.co_consts if isinstance(c, types.CodeType))
    for live_fn in live.functions.get(key, ()):
        with contextlib.suppress(TypeError, ValueError):  # inspect.signature still shows the real parameters
            if "__signature__" not in vars(live_fn):
                live_fn.__signature__ = inspect.signature(live_fn)  # type: ignore[attr-defined]
        live_fn.__globals__.setdefault(_GLOBAL, {})[function.name] = target
        live_fn.__code__ = code
