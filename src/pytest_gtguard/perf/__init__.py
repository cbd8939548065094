"""``@pytest.mark.perf_gate``: CPU-time, growth and peak-memory gates that resist noise (docs/perf.md)."""

from __future__ import annotations

# settings.py lists perf/options.py in ALL_OPTIONS; importing settings first, whichever perf module is
# imported first, lets that import cycle resolve (options.py only needs Option and Kind from it).
from pytest_gtguard import settings as _settings  # noqa: F401
