"""``@pytest.mark.perf_gate``: CPU-time, growth and peak-memory gates that resist noise (docs/perf.md)."""

from __future__ import annotations
