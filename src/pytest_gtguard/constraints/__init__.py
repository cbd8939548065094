"""Prompt-to-test mapping: the constraints a problem statement sets, and the tests of a task that check them.

Pure: rules over text and a static read of the task's tests (no pytest import, no network).

>>> from pytest_gtguard.constraints import extract
>>> [c.describe() for c in extract("Must run in O(n log n) and must not use numpy.")]
['time complexity O(n log n)', 'forbid import numpy']
"""

from __future__ import annotations

from pytest_gtguard.constraints.extract import extract
from pytest_gtguard.constraints.mapping import for_instance, map_constraints
from pytest_gtguard.constraints.model import KINDS, Constraint, ConstraintCheck, Kind, Mapping
from pytest_gtguard.constraints.render import render_text

__all__ = [
    "KINDS",
    "Constraint",
    "ConstraintCheck",
    "Kind",
    "Mapping",
    "extract",
    "for_instance",
    "map_constraints",
    "render_text",
]
