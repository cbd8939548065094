"""``pytest --meta``: judge a test suite by the broken versions of the ground truth it catches."""

from __future__ import annotations
