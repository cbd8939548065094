"""Malformed variants of a valid document, near misses of an example, and "maximum size and malformed" inputs."""

from __future__ import annotations

import copy
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import strategies as st

__all__ = ["MALFORMED_KINDS", "malformed_json", "malformed_records", "max_size_and_malformed", "near_misses"]

MALFORMED_KINDS: tuple[str, ...] = ("missing_key", "wrong_type", "none", "extra_key", "truncated")
Path = tuple[Any, ...]
# One value of each JSON type; a "wrong type" replacement is one whose exact type differs from the original's.
_TYPED_VALUES: tuple[Any, ...] = (0, -1, 1.5, "", "0", "x" * 3, [], {}, True, False, [None], {"": None})
_EXTRA_KEYS: tuple[str, ...] = ("extra", "", "__proto__", "constructor", "id ", "\u200bid")


def _paths(doc: Any, here: Path = ()) -> list[Path]:
    """Return the path to every value under ``doc`` (dict keys and list indices), outermost first."""
    found: list[Path] = []
    items: Sequence[tuple[Any, Any]] = (
        list(doc.items()) if isinstance(doc, dict) else list(enumerate(doc)) if isinstance(doc, list) else []
    )
    for key, value in items:
        found.append((*here, key))
        found += _paths(value, (*here, key))
    return found


def _get(doc: Any, path: Path) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _replaced(doc: Any, path: Path, change: Callable[[Any, Any], None]) -> Any:
    """Return a deep copy of ``doc`` with ``change(container, key)`` applied at ``path``."""
    out = copy.deepcopy(doc)
    change(_get(out, path[:-1]), path[-1])
    return out


def _kind_strategy(valid: Any, kind: str) -> st.SearchStrategy[Any] | None:
    """Return the variants of one kind, or None when ``valid`` has nothing that kind can break."""
    paths = _paths(valid)
    keyed = [p for p in paths if isinstance(_get(valid, p[:-1]), dict)]
    dicts = [p for p in [(), *paths] if isinstance(_get(valid, p), dict)]
    if kind == "missing_key" and keyed:
        return st.sampled_from(keyed).map(lambda p: _replaced(valid, p, lambda c, k: c.pop(k)))
    if kind == "none" and paths:
        non_null = [p for p in paths if _get(valid, p) is not None]
        return st.sampled_from(non_null).map(lambda p: _replaced(valid, p, _setter(None))) if non_null else None
    if kind == "wrong_type" and paths:

        def retyped(p: Path) -> st.SearchStrategy[Any]:
            other = [v for v in _TYPED_VALUES if type(v) is not type(_get(valid, p))]
            return st.sampled_from(other).map(lambda v: _replaced(valid, p, _setter(copy.deepcopy(v))))

        return st.sampled_from(paths).flatmap(retyped)
    if kind == "extra_key" and dicts:
        return st.tuples(st.sampled_from(dicts), st.sampled_from(_EXTRA_KEYS), st.sampled_from(_TYPED_VALUES)).map(
            lambda t: _with_extra(valid, *t)
        )
    if kind == "truncated":
        cut = [p for p in paths if isinstance(_get(valid, p), (str, list)) and len(_get(valid, p)) > 0]
        if cut:
            return st.sampled_from(cut).flatmap(
                lambda p: st.integers(0, len(_get(valid, p)) - 1).map(
                    lambda n: _replaced(valid, p, lambda c, k: c.__setitem__(k, c[k][:n]))
                )
            )
    return None


def _setter(value: Any) -> Callable[[Any, Any], None]:
    return lambda container, key: container.__setitem__(key, value)


def _with_extra(valid: Any, where: Path, key: str, value: Any) -> Any:
    out = copy.deepcopy(valid)
    target = _get(out, where)
    while key in target:
        key += "_"
    target[key] = copy.deepcopy(value)
    return out


def malformed_records(valid: Any, *, kinds: Sequence[str] = MALFORMED_KINDS) -> st.SearchStrategy[Any]:
    """Variants of a valid JSON-like record (dicts, lists, scalars), each broken in exactly one place.

    ``missing_key`` drops a key at any depth, ``wrong_type`` gives a value another JSON type (``"0"`` for
    ``0``, ``{}`` for a list), ``none`` sets a value to None, ``extra_key`` adds an unexpected key (``""``,
    ``"__proto__"``, a look-alike with a zero-width space) and ``truncated`` cuts a string or list value short.
    ``valid`` is never modified; kinds that have nothing to break in it (no dict: no missing key) are skipped.

    Example test::

        from hypothesis import given
        from pytest_gtguard.strategies import malformed_records

        ORDER = {"id": 7, "items": [{"sku": "A1", "qty": 2}], "note": "gift"}

        @given(malformed_records(ORDER))
        def test_bad_orders_are_refused_cleanly(order):
            with pytest.raises(ValidationError):
                parse_order(order)
    """
    unknown = sorted(set(kinds) - set(MALFORMED_KINDS))
    if unknown:
        raise ValueError(f"malformed_records: unknown kind(s) {unknown}; choose from {list(MALFORMED_KINDS)}")
    parts = [s for s in (_kind_strategy(valid, k) for k in kinds) if s is not None]
    if not parts:
        raise ValueError(f"malformed_records: nothing in {valid!r} can be broken by kinds {list(kinds)}")
    return st.one_of(*parts)


def malformed_json(valid: Any, *, kinds: Sequence[str] = MALFORMED_KINDS) -> st.SearchStrategy[str]:
    """JSON text of :func:`malformed_records` variants; ``truncated`` here cuts the *text*, so it no longer parses.

    Example test::

        from hypothesis import given
        from pytest_gtguard.strategies import malformed_json

        @given(malformed_json({"user": "ada", "age": 36}))
        def test_load_user_rejects_bad_json(text):
            with pytest.raises(ValueError):
                load_user(text)
    """
    text = json.dumps(valid)
    records = [k for k in kinds if k != "truncated"]
    parts: list[st.SearchStrategy[str]] = []
    if records:
        parts.append(malformed_records(valid, kinds=records).map(json.dumps))
    if "truncated" in kinds and len(text) > 1:
        parts.append(st.integers(0, len(text) - 1).map(lambda n: text[:n]))
    if not parts:
        raise ValueError(f"malformed_json: nothing in {valid!r} can be broken by kinds {list(kinds)}")
    return st.one_of(*parts)


def _same(a: Any, b: Any) -> bool:
    """Equality that also holds between NaNs and tells 0.0 from -0.0 and 1 from True."""
    return type(a) is type(b) and repr(a) == repr(b)


@st.composite
def _near(draw: st.DrawFn, value: Any) -> Any:
    """Draw one small change of ``value``: an off-by-one, a dropped or doubled element, a neighbour character."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return draw(st.sampled_from([value + 1, value - 1, -value if value else 1]))
    if isinstance(value, float):
        if not math.isfinite(value):
            return draw(st.sampled_from([0.0, sys.float_info.max, -sys.float_info.max]))
        return draw(st.sampled_from([math.nextafter(value, math.inf), math.nextafter(value, -math.inf), value + 1.0]))
    if isinstance(value, (str, bytes)):
        return _near_sequence(draw, value)
    if isinstance(value, (list, tuple)):
        if not value:
            return type(value)([None])
        i = draw(st.integers(0, len(value) - 1))
        items = list(value)
        how = draw(st.sampled_from(["drop", "double", "swap", "inner"]))
        if how == "drop":
            del items[i]
        elif how == "double":
            items.insert(i, items[i])
        elif how == "swap" and len(items) > 1:
            j = i + 1 if i + 1 < len(items) else i - 1
            items[i], items[j] = items[j], items[i]
        else:
            items[i] = draw(_near(items[i]))
        return type(value)(items)
    if isinstance(value, dict):
        if not value:
            return {"": None}
        key = draw(st.sampled_from(list(value)))
        out = dict(value)
        how = draw(st.sampled_from(["drop", "inner", "rename"]))
        if how == "drop":
            del out[key]
        elif how == "rename" and isinstance(key, str):
            out[draw(_near(key))] = out.pop(key)
        else:
            out[key] = draw(_near(value[key]))
        return out
    if value is None:
        return draw(st.sampled_from([0, "", False, [], "None"]))
    raise ValueError(f"near_misses: cannot perturb a {type(value).__name__}; pass str, bytes, numbers, lists or dicts")


def _near_sequence(draw: st.DrawFn, value: Any) -> Any:
    empty = value[:0]
    if not value:
        return draw(st.sampled_from([" ", "a", "\x00"] if isinstance(value, str) else [b" ", b"\x00"]))
    i = draw(st.integers(0, len(value) - 1))
    how = draw(st.sampled_from(["drop", "double", "swap", "bump", "case", "pad"]))
    if how == "drop":
        return value[:i] + value[i + 1 :]
    if how == "double":
        return value[: i + 1] + value[i:]
    if how == "swap" and len(value) > 1 and value[i - 1 : i] != value[i : i + 1] and i > 0:
        return value[: i - 1] + value[i : i + 1] + value[i - 1 : i] + value[i + 1 :]
    if how == "case" and isinstance(value, str) and value[i].swapcase() != value[i]:
        return value[:i] + value[i].swapcase() + value[i + 1 :]
    if how == "pad":
        return draw(st.sampled_from([" " + value, value + " "] if isinstance(value, str) else [value + b"\x00"]))
    code = value[i] if isinstance(value, bytes) else ord(value[i])
    bumped = (code + 1) % (256 if isinstance(value, bytes) else 0x110000)
    piece = bytes([bumped]) if isinstance(value, bytes) else chr(bumped)
    return empty + value[:i] + piece + value[i + 1 :]


def near_misses(example: Any) -> st.SearchStrategy[Any]:
    """Values one small step from ``example``: the inputs a lookup table or an off-by-one gets wrong.

    Numbers move by one (or one ulp), strings lose, double, swap, re-case or bump one character or gain a
    space, lists and tuples lose, double or swap one element, dicts lose or rename a key, and nested values are
    perturbed the same way. Every draw differs from ``example``.

    Example test::

        from hypothesis import given
        from pytest_gtguard.strategies import near_misses

        @given(near_misses("2024-02-29"))
        def test_parse_date_agrees_with_datetime(text):
            assert parse_date(text) == reference_parse(text)
    """
    strategy: st.SearchStrategy[Any] = _near(example)
    return strategy.filter(lambda v: not _same(v, example))


def max_size_and_malformed(
    valid: st.SearchStrategy[Any], malformed: st.SearchStrategy[Any], *, size: int, max_bad: int = 1
) -> st.SearchStrategy[list[Any]]:
    r"""Draw lists of exactly ``size`` items, all valid but one to ``max_bad``: first, last, midway or anywhere.

    The valid items are a few drawn ones repeated (Hypothesis cannot draw a million independent values),
    so even ``size=10**6`` costs one list copy per example. Map the result to your input format::

        from hypothesis import given, strategies as st
        from pytest_gtguard.strategies import max_size_and_malformed, malformed_json

        LINES = max_size_and_malformed(
            st.builds(lambda n: f'{{"n": {n}}}', st.integers(0, 9)), malformed_json({"n": 1}), size=100_000
        ).map("\n".join)

        @given(LINES)
        def test_loader_reports_the_bad_line_of_a_full_file(text):
            with pytest.raises(ValueError, match="line"):
                load_lines(text)
    """
    if size < 1 or not 1 <= max_bad <= size:
        raise ValueError(f"max_size_and_malformed: need size >= 1 and 1 <= max_bad <= size, got {size}, {max_bad}")
    position = st.one_of(st.just(0), st.just(size - 1), st.just(size // 2), st.integers(0, size - 1))

    @st.composite
    def build(draw: st.DrawFn) -> list[Any]:
        base = draw(st.lists(valid, min_size=1, max_size=8))
        items = (base * -(-size // len(base)))[:size]
        for _ in range(draw(st.integers(1, max_bad))):
            items[draw(position)] = draw(malformed)
        return items

    result: st.SearchStrategy[list[Any]] = build()
    return result
