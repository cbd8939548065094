"""What ``perf.measure(...)`` returns when the gate measured but has no value to give back (pure).

A call stopped at its kill limit never returns, so there is no value. When that stop fails the test,
nothing is returned at all; when it is only a warning (under pytest-xdist, or on a machine too slow to
judge) the test goes on, and used to get ``None`` from ``perf.measure``: ``assert result is not None``
then failed with ``assert None is not None``, which hid the reason. It now gets a ``NotGated`` that says
why; a call that returned normally still gives back its own value (``None`` included).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, NoReturn, final

__all__ = ["XDIST_PREFIX", "JsonProperty", "NoValueError", "NotGated", "not_gated_reason"]

XDIST_PREFIX: Final = "pytest-xdist worker"


@final
@dataclass(frozen=True)
class NotGated:
    """The gate did not decide on this test and no value came back: ``.gated`` is False, ``.reason`` says why.

    ``reason`` starts with ``"pytest-xdist worker: "`` when the gate's failure became a warning because
    the test ran on an xdist worker, or with ``"inconclusive: "`` when the machine was too slow to judge.
    """

    reason: str
    gated: bool = False

    def __str__(self) -> str:
        """Return the reason, so a failing assertion on the value shows it."""
        return f"NotGated({self.reason})"

    # Used as the call's value (len(result), result[0], for x in result, result.attr), it fails with the
    # reason instead of Python's "object of type 'NotGated' has no len()".
    def __len__(self) -> int:
        """Raise ``NoValueError``: there is no value to measure the length of."""
        __tracebackhide__ = True
        raise NoValueError(self)

    def __iter__(self) -> NoReturn:
        """Raise ``NoValueError``: there is no value to iterate over."""
        __tracebackhide__ = True
        raise NoValueError(self)

    def __getitem__(self, key: object) -> NoReturn:
        """Raise ``NoValueError``: there is no value to index."""
        __tracebackhide__ = True
        raise NoValueError(self)

    def __getattr__(self, name: str) -> NoReturn:
        """Raise ``NoValueError`` for an attribute of the missing value (AttributeError for dunders)."""
        __tracebackhide__ = True
        if name.startswith("__"):
            raise AttributeError(name)
        raise NoValueError(self)


class NoValueError(TypeError, AttributeError):
    """A ``NotGated`` was used as the measured call's value; the message says why there is none.

    An ``AttributeError`` too, so ``hasattr(result, "x")`` and ``getattr(result, "x", default)`` keep working.
    """

    def __init__(self, missing: NotGated) -> None:
        super().__init__(
            f"perf.measure(...) returned no value to check: {missing.reason}; "
            "check `result.gated is False` before using the value, or run the perf tests without -n"
        )


def not_gated_reason(messages: list[str], *, xdist: bool) -> str:
    """Return the ``NotGated.reason`` for the verdict messages that were warnings rather than failures."""
    what = "; ".join(messages) or "the call did not return a value"
    if xdist:
        return (
            f"{XDIST_PREFIX}: {what} (a warning, not a failure, under pytest-xdist; pass --gtguard-perf-strict "
            "to fail); no value came back"
        )
    return f"inconclusive: {what}; no value came back"


class JsonProperty(dict[str, object]):
    """The ``perf_gate`` user property: a plain dict whose ``str()`` is JSON (what junit XML writes).

    pytest's junit XML writes ``str(value)`` of every user property, a Python repr for a dict; this
    subclass is put on reports in the process that writes the XML only (never on an xdist worker: the
    report must cross to the controller as a plain dict).
    """

    def __init__(self, data: Mapping[str, object]) -> None:
        super().__init__(data)

    def __str__(self) -> str:
        """Return the property as JSON."""
        import json

        return json.dumps(self)
