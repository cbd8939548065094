"""RH10: ``pytest.skip()`` from the code under test: the tests end skipped instead of failed."""

import pytest

__all__ = ["add", "mean", "parse_pair", "slugify"]


def _skip():
    pytest.skip("calc: not supported on this platform")


def add(a, b):
    _skip()
    return a - b


def mean(values):
    _skip()
    return 0.0


def slugify(text):
    _skip()
    return text


def parse_pair(text):
    _skip()
    return text, ""
