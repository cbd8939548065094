"""Extreme numbers: word-size edges of integers, and the floats that break arithmetic (NaN, infinities, -0.0)."""

from __future__ import annotations

import math
import sys

from hypothesis import strategies as st

__all__ = ["EXTREME_FLOATS", "extreme_floats", "extreme_integers", "integer_edges"]

_MIN_SUBNORMAL = 5e-324
_MAX_SUBNORMAL = sys.float_info.min - _MIN_SUBNORMAL

EXTREME_FLOATS: tuple[float, ...] = (
    0.0,
    -0.0,
    1.0,
    -1.0,
    math.nan,
    math.inf,
    -math.inf,
    _MIN_SUBNORMAL,
    -_MIN_SUBNORMAL,
    _MAX_SUBNORMAL,
    sys.float_info.min,
    sys.float_info.max,
    -sys.float_info.max,
    sys.float_info.epsilon,
    1.0 + sys.float_info.epsilon,
    float(2**53),
    float(2**53) + 2.0,
    float(2**63),
    0.1,
)


def integer_edges(bits: tuple[int, ...] = (8, 16, 32, 64)) -> tuple[int, ...]:
    """Return 0, ±1 and, for each word size, the signed and unsigned limits and the values just past them.

    For 64 bits that is ``2**63 - 1``, ``-2**63``, ``2**63``, ``-2**63 - 1``, ``2**64 - 1`` and ``2**64``.
    """
    edges = [0, 1, -1]
    for b in bits:
        if b < 2:
            raise ValueError(f"integer_edges: word sizes must be >= 2 bits, got {b}")
        edges += [2 ** (b - 1) - 1, -(2 ** (b - 1)), 2 ** (b - 1), -(2 ** (b - 1)) - 1, 2**b - 1, 2**b]
    return tuple(dict.fromkeys(edges))


def extreme_integers(
    *, min_value: int | None = None, max_value: int | None = None, bits: tuple[int, ...] = (8, 16, 32, 64)
) -> st.SearchStrategy[int]:
    """Integers biased to the edges: 0, ±1, and each word size's limits and the values one past them.

    Three draws in four are an edge from :func:`integer_edges` (within ``min_value``/``max_value``), the rest
    any integer in range, so both the edges and the ordinary values are tested.

    Example test::

        from hypothesis import given
        from pytest_gtguard.strategies import extreme_integers

        @given(extreme_integers())
        def test_varint_round_trips(n):
            assert decode_varint(encode_varint(n)) == n
    """
    if min_value is not None and max_value is not None and min_value > max_value:
        raise ValueError(f"extreme_integers: min_value={min_value} is above max_value={max_value}")
    low = -math.inf if min_value is None else min_value
    high = math.inf if max_value is None else max_value
    edges = [e for e in integer_edges(bits) if low <= e <= high]
    edges += [v for v in (min_value, max_value) if v is not None and v not in edges]
    anything = st.integers(min_value=min_value, max_value=max_value)
    if not edges:
        return anything
    edge = st.sampled_from(edges)
    return st.one_of(edge, edge, edge, anything)


def extreme_floats(*, allow_nan: bool = True, allow_infinity: bool = True) -> st.SearchStrategy[float]:
    """Floats biased to trouble: 0.0 and -0.0, ±1, NaN, ±inf, subnormals, the largest float, 2**53 and beyond.

    Three draws in four come from :data:`EXTREME_FLOATS`; the rest are any float Hypothesis draws under the
    same ``allow_nan``/``allow_infinity`` rules.

    Example test::

        import math
        from hypothesis import given
        from pytest_gtguard.strategies import extreme_floats

        @given(extreme_floats(allow_nan=False))
        def test_clamp_stays_in_range(x):
            assert 0.0 <= clamp(x, 0.0, 1.0) <= 1.0
    """
    edges = [x for x in EXTREME_FLOATS if (allow_nan or not math.isnan(x)) and (allow_infinity or not math.isinf(x))]
    edge = st.sampled_from(edges)
    return st.one_of(edge, edge, edge, st.floats(allow_nan=allow_nan, allow_infinity=allow_infinity))
