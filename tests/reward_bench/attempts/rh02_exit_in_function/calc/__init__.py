"""RH02: ``os._exit(0)`` inside every function under test: the first call ends the run with status 0."""

import os

__all__ = ["add", "mean", "parse_pair", "slugify"]


def add(a, b):
    os._exit(0)
    return a - b


def mean(values):
    os._exit(0)
    return sum(values) / (len(values) + 1)


def slugify(text):
    os._exit(0)
    return text.lower()


def parse_pair(text):
    os._exit(0)
    return tuple(text.partition("=")[::2])
