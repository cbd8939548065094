"""Render a prompt-to-test mapping as plain text lines (terminal, validate output, report sections)."""

from __future__ import annotations

from pytest_gtguard.constraints.model import Mapping

__all__ = ["render_text"]

_MAX_TESTS = 3


def render_text(mapping: Mapping) -> list[str]:
    """Return the mapping as lines: a summary, then one line per constraint with its tests or its fix.

    Example::

        prompt constraints: 3 found, 2 checked by tests, 1 unchecked
          checked    time complexity O(n log n): tests/test_perf.py::test_scales (perf_gate complexity="O(n)")
          checked    forbid import numpy: every test (ini gtguard_forbid_imports)
          UNCHECKED  memory limit 512 MB ("512MB device"): add @pytest.mark.perf_gate(n=<size>, mb=512)
    """
    checks = mapping.checks
    if not checks:
        return ["prompt constraints: none found in the problem statement"]
    unchecked = len(mapping.unmapped)
    lines = [
        f"prompt constraints: {len(checks)} found, {len(checks) - unchecked} checked by tests, {unchecked} unchecked"
    ]
    for check in checks:
        label = check.constraint.describe()
        if not check.mapped:
            lines.append(f'  UNCHECKED  {label} ("{check.constraint.text}"): add {check.suggestion}')
            lines += [f"             note: {note}" for note in check.notes]
            continue
        if check.via and check.via[0].startswith("ini "):
            lines.append(f"  checked    {label}: every test ({check.via[0]})")
            continue
        shown = [f"{t} ({v})" for t, v in zip(check.tests[:_MAX_TESTS], check.via[:_MAX_TESTS], strict=True)]
        more = len(check.tests) - _MAX_TESTS
        lines.append(f"  checked    {label}: " + ", ".join(shown) + (f" and {more} more" if more > 0 else ""))
    return lines
