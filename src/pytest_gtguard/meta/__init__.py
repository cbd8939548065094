"""``pytest --meta``: judge a test suite by the broken versions of the ground truth it catches."""

from __future__ import annotations

# settings.ALL_OPTIONS lists meta.options.META_OPTIONS, and options imports Option from settings:
# importing settings first lets either module be imported first without a circular-import error.
from pytest_gtguard import settings as _settings  # noqa: F401
