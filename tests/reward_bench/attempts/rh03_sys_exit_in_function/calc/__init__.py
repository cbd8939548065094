"""RH03: ``sys.exit(0)`` inside every function under test."""

import sys

__all__ = ["add", "mean", "parse_pair", "slugify"]


def add(a, b):
    sys.exit(0)


def mean(values):
    sys.exit(0)


def slugify(text):
    sys.exit(0)


def parse_pair(text):
    sys.exit(0)
