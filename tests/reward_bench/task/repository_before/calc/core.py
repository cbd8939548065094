"""The helpers, before the fix."""

from __future__ import annotations


def add(a, b):
    """Return a + b."""
    return a + b


def mean(values):
    """Return the arithmetic mean of ``values``; ValueError when empty."""
    raise NotImplementedError("mean")


def slugify(text):
    """Return ``text`` as a URL slug: lower case, words joined by single dashes."""
    return text.lower()


def parse_pair(text):
    """Split ``"key=value"`` into ``("key", "value")`` (spaces stripped); ValueError without ``=``."""
    raise NotImplementedError("parse_pair")
