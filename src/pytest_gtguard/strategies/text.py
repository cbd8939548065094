"""Hostile text: control and invisible characters, bidi overrides, combining marks, mixed normalisation forms.

Every string :func:`hostile_text` draws is built from pieces, so a short run of examples already meets each
kind of trouble (plain ``st.text()`` rarely draws a bidi override or a zero-width joiner), and shrinking
still reaches the smallest piece that breaks the code.
"""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = [
    "BIDI",
    "COMBINING",
    "CONTROL",
    "LONE_SURROGATES",
    "NORMALISATION_PAIRS",
    "ZERO_WIDTH",
    "hostile_text",
]

# C0 controls (NUL, TAB, LF, CR, ESC ...), DEL and C1 controls (NEL at U+0085).
CONTROL: tuple[str, ...] = (
    *(chr(c) for c in range(0x00, 0x20)),
    "\x7f",
    *(chr(c) for c in range(0x80, 0xA0)),
)
# Characters that print as nothing: zero width space / non-joiner / joiner, word joiner, BOM, soft hyphen.
ZERO_WIDTH: tuple[str, ...] = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e")
# Explicit direction marks, embeddings, overrides and isolates (the "Trojan Source" characters).
BIDI: tuple[str, ...] = (
    "\u200e",
    "\u200f",
    "\u061c",
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
)
# Combining marks: acute, grave, diaeresis, cedilla, enclosing circle, and a Hebrew point.
COMBINING: tuple[str, ...] = ("\u0301", "\u0300", "\u0308", "\u0327", "\u20dd", "\u05b0")
# Unpaired UTF-16 halves: legal in a Python ``str``, refused by ``str.encode("utf-8")``.
LONE_SURROGATES: tuple[str, ...] = ("\ud800", "\udbff", "\udc00", "\udfff")
# The same text in different normalisation forms: composed (NFC), decomposed (NFD), compatibility (NFKC).
NORMALISATION_PAIRS: tuple[tuple[str, str], ...] = (
    ("\u00e9", "e\u0301"),  # é
    ("\u00c5", "\u212b"),  # Å and ANGSTROM SIGN
    ("\u1e9b\u0323", "\u017f\u0323\u0307"),  # long s with dots
    ("fi", "\ufb01"),  # ligature
    ("A", "\uff21"),  # fullwidth
    ("\ud55c", "\u1112\u1161\u11ab"),  # Hangul syllable and its jamo
)

_PLAIN = st.text(st.characters(codec="utf-8"), max_size=8)


def _mixed_normalisation() -> st.SearchStrategy[str]:
    """Draw a string holding one text in two normalisation forms, so NFC(s) != s != NFD(s)."""
    return st.sampled_from(NORMALISATION_PAIRS).map(lambda pair: pair[0] + " " + pair[1])


def _zalgo() -> st.SearchStrategy[str]:
    """Draw a letter carrying a stack of combining marks (up to 40)."""
    return st.builds(
        lambda base, marks: base + "".join(marks),
        st.sampled_from("aeoZ\u05d0"),
        st.lists(st.sampled_from(COMBINING), min_size=1, max_size=40),
    )


def hostile_text(
    *,
    min_size: int = 0,
    max_size: int | None = None,
    surrogates: bool = False,
    long_size: int = 65_536,
) -> st.SearchStrategy[str]:
    r"""Draw strings made to break text handling.

    Mixes plain text with NUL and other control characters, zero-width characters, bidi controls, stacks of
    combining marks and one text in two normalisation forms; one draw in a few is *very long* (``long_size``
    characters or more, a hostile piece repeated). ``surrogates=True`` adds lone surrogates, for APIs that take
    any ``str`` (they cannot be encoded to UTF-8, so leave it off for text that goes to a file or a socket).
    ``max_size`` caps the length (the long draws are cut to it); ``min_size`` pads with ``"\x00"``.

    Example test::

        from hypothesis import given
        from pytest_gtguard.strategies import hostile_text

        @given(hostile_text())
        def test_escape_round_trips(text):
            assert unescape(escape(text)) == text
    """
    if min_size < 0 or (max_size is not None and max_size < min_size):
        raise ValueError(f"hostile_text: need 0 <= min_size <= max_size, got min_size={min_size}, max_size={max_size}")
    if long_size < 1:
        raise ValueError(f"hostile_text: long_size must be >= 1, got {long_size}")
    hostile = [
        st.just("\x00"),
        st.sampled_from(CONTROL),
        st.sampled_from(ZERO_WIDTH),
        st.sampled_from(BIDI),
        _zalgo(),
        _mixed_normalisation(),
    ]
    if surrogates:
        hostile.append(st.sampled_from(LONE_SURROGATES))
    piece = st.one_of(*hostile, _PLAIN)
    short = st.lists(piece, max_size=12).map("".join)
    long = st.builds(
        lambda unit, extra: unit * -(-(long_size + extra) // len(unit)),
        st.lists(st.one_of(*hostile), min_size=1, max_size=3).map("".join),
        st.integers(0, 64),
    )
    text = st.one_of(short, short, short, long)

    def fit(value: str) -> str:
        if max_size is not None and len(value) > max_size:
            value = value[:max_size]
        return value + "\x00" * (min_size - len(value)) if len(value) < min_size else value

    return text.map(fit)
