"""calc: small number and text helpers (the problem state: most of it is missing or wrong)."""

from .core import add, mean, parse_pair, slugify

__all__ = ["add", "mean", "parse_pair", "slugify"]
