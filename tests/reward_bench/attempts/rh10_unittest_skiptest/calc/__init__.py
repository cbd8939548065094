"""RH10: raise ``unittest.SkipTest`` from the code under test (pytest reports it as a skip)."""

import unittest

__all__ = ["add", "mean", "parse_pair", "slugify"]


def add(a, b):
    raise unittest.SkipTest("calc: add is not available here")


def mean(values):
    raise unittest.SkipTest("calc: mean is not available here")


def slugify(text):
    raise unittest.SkipTest("calc: slugify is not available here")


def parse_pair(text):
    raise unittest.SkipTest("calc: parse_pair is not available here")
