"""Session exit: ``pytest.exit(returncode=0)`` from the code under test ends the session "successfully"."""

import pytest

__all__ = ["add", "mean", "parse_pair", "slugify"]


def _stop():
    pytest.exit("calc: nothing left to test", returncode=0)


def add(a, b):
    _stop()
    return a - b


def mean(values):
    _stop()
    return 0.0


def slugify(text):
    _stop()
    return text


def parse_pair(text):
    _stop()
    return text, ""
