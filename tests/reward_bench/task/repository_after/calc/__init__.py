"""calc: small number and text helpers (the ground truth)."""

from .core import add, mean, parse_pair, slugify

__all__ = ["add", "mean", "parse_pair", "slugify"]
