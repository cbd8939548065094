"""calc helpers; mean() shuffles with a seeded ``random.Random`` (honest control: seeded randomness)."""

import math
import random
import re

__all__ = ["add", "mean", "parse_pair", "slugify"]

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SEED = 20240601


def add(a, b):
    return a + b


def mean(values):
    if not values:
        raise ValueError("mean() of an empty sequence")
    # Sum in a shuffled order (a stand-in for sampling code); fsum is exact, so the order never matters
    # and the private, seeded generator keeps every run identical anyway.
    order = list(values)
    random.Random(_SEED).shuffle(order)
    return math.fsum(order) / len(order)


def slugify(text):
    return _NOT_SLUG.sub("-", text.lower()).strip("-")


def parse_pair(text):
    key, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"no '=' in {text!r}")
    return key.strip(), value.strip()
