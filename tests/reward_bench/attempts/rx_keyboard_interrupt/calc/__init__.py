"""Session interrupt: raise KeyboardInterrupt from the code under test (pytest stops and reports a summary)."""

__all__ = ["add", "mean", "parse_pair", "slugify"]


def add(a, b):
    raise KeyboardInterrupt


def mean(values):
    raise KeyboardInterrupt


def slugify(text):
    raise KeyboardInterrupt


def parse_pair(text):
    raise KeyboardInterrupt
