"""The helpers."""

from __future__ import annotations

import math
import re

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def add(a, b):
    """Return a + b."""
    return a + b


def mean(values):
    """Return the arithmetic mean of ``values``; ValueError when empty."""
    if not values:
        raise ValueError("mean() of an empty sequence")
    return math.fsum(values) / len(values)


def slugify(text):
    """Return ``text`` as a URL slug: lower case, words joined by single dashes."""
    return _NOT_ALNUM.sub("-", text.lower()).strip("-")


def parse_pair(text):
    """Split ``"key=value"`` into ``("key", "value")`` (spaces stripped); ValueError without ``=``."""
    key, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"no '=' in {text!r}")
    return key.strip(), value.strip()
