"""calc helpers written from scratch (honest control: the ground truth's behaviour, different code)."""

import operator
import statistics
import string

__all__ = ["add", "mean", "parse_pair", "slugify"]

_SLUG_CHARS = frozenset(string.ascii_lowercase + string.digits)


def add(a, b):
    return operator.add(a, b)


def mean(values):
    # statistics.StatisticsError is a ValueError subclass; fmean sums with math.fsum.
    return statistics.fmean(values)


def slugify(text):
    words = []
    current = []
    for char in text.lower():
        if char in _SLUG_CHARS:
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return "-".join(words)


def parse_pair(text):
    if "=" not in text:
        raise ValueError(f"expected key=value, got {text!r}")
    key, value = text.split("=", 1)
    return key.strip(), value.strip()
