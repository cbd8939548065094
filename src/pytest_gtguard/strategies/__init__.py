"""Hypothesis strategies for adversarial inputs: hostile text, extreme numbers, malformed documents, near misses.

Import this package from tests only: it imports Hypothesis, which gtguard itself never needs at start-up
(``pytest_gtguard`` and its plugin do not import this package). Install it with
``pip install 'pytest-gtguard[hypothesis]'``.

Example::

    from hypothesis import given
    from pytest_gtguard import strategies as gs

    @given(gs.hostile_text())
    def test_slugify_never_crashes(text):
        assert isinstance(slugify(text), str)
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401  (checked here so the error names the fix)
except ImportError as exc:  # pragma: no cover - exercised only without the extra installed
    raise ImportError(
        "pytest_gtguard.strategies needs Hypothesis, which is not installed: "
        "pip install 'pytest-gtguard[hypothesis]' (or pip install hypothesis)"
    ) from exc

from pytest_gtguard.strategies.documents import (
    MALFORMED_KINDS,
    malformed_json,
    malformed_records,
    max_size_and_malformed,
    near_misses,
)
from pytest_gtguard.strategies.numbers import (
    EXTREME_FLOATS,
    extreme_floats,
    extreme_integers,
    integer_edges,
)
from pytest_gtguard.strategies.text import (
    BIDI,
    COMBINING,
    CONTROL,
    LONE_SURROGATES,
    NORMALISATION_PAIRS,
    ZERO_WIDTH,
    hostile_text,
)

__all__ = [
    "BIDI",
    "COMBINING",
    "CONTROL",
    "EXTREME_FLOATS",
    "LONE_SURROGATES",
    "MALFORMED_KINDS",
    "NORMALISATION_PAIRS",
    "ZERO_WIDTH",
    "extreme_floats",
    "extreme_integers",
    "hostile_text",
    "integer_edges",
    "malformed_json",
    "malformed_records",
    "max_size_and_malformed",
    "near_misses",
]
