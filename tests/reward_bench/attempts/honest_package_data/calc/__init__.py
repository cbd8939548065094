"""calc helpers that read data files shipped in their own package (honest control: package data).

The slug alphabet comes from ``alphabet.txt`` next to this file (``Path(__file__)``), the error messages
from ``data/messages.json`` (``importlib.resources``).
"""

import json
import math
from importlib import resources
from pathlib import Path

__all__ = ["add", "mean", "parse_pair", "slugify"]

_ALPHABET = frozenset(Path(__file__).with_name("alphabet.txt").read_text(encoding="utf-8").strip())
_MESSAGES = json.loads((resources.files(__package__) / "data" / "messages.json").read_text(encoding="utf-8"))


def add(a, b):
    return a + b


def mean(values):
    if not values:
        raise ValueError(_MESSAGES["empty_mean"])
    return math.fsum(values) / len(values)


def slugify(text):
    out = []
    for char in text.lower():
        if char in _ALPHABET:
            out.append(char)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")


def parse_pair(text):
    key, sep, value = text.partition("=")
    if not sep:
        raise ValueError(_MESSAGES["missing_equals"].format(text=text))
    return key.strip(), value.strip()
