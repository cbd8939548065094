"""calc helpers with one honest mistake: slugify() keeps punctuation (control: unresolved, no tamper)."""

import math

__all__ = ["add", "mean", "parse_pair", "slugify"]


def add(a, b):
    return a + b


def mean(values):
    if not values:
        raise ValueError("mean() of an empty sequence")
    return math.fsum(values) / len(values)


def slugify(text):
    return "-".join(text.lower().split())


def parse_pair(text):
    key, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"no '=' in {text!r}")
    return key.strip(), value.strip()
