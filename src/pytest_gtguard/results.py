"""Per-test outcomes of one pytest run: the versioned JSON contract between a side run and its reader.

``pytest --gtguard-results FILE`` writes one ``RunResults`` per run; the split, ``gtguard calibrate`` and
anything else that runs pytest in a subprocess read it back instead of parsing ``pytest -v`` text
(survey §3: 112 evaluators parse text, 28 with byte-identical copies of one parser).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from pytest_gtguard import _atomic

__all__ = ["RESULTS_SCHEMA_VERSION", "UNKNOWN_REACH", "CollectError", "Outcome", "RunResults", "TestRecord"]

RESULTS_SCHEMA_VERSION = 1
UNKNOWN_REACH = "unknown"  # in RunResults.reached: the run could not tell (its tests ran in xdist workers)
MAX_TEXT = 4000  # failure text kept per test: enough to read the assertion, bounded for big reports


class Outcome(enum.Enum):
    """The outcome of one test in one run."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # setup or teardown failed, or the test's module did not import
    SKIPPED = "skipped"
    XFAILED = "xfailed"
    XPASSED = "xpassed"
    MISSING = "missing"  # not collected in this run

    @property
    def is_pass(self) -> bool:
        """Return True only for a real pass: a skip, xfail or xpass never counts as one."""
        return self is Outcome.PASSED

    @property
    def is_fail(self) -> bool:
        """Return True for a failure or an error."""
        return self in (Outcome.FAILED, Outcome.ERROR)


@dataclass
class TestRecord:
    """One test's result in one run."""

    __test__ = False  # not a pytest test class despite the name

    nodeid: str
    outcome: Outcome
    duration: float = 0.0
    message: str = ""
    touched: list[str] = field(default_factory=list)  # side folders whose code or files the test used
    properties: dict[str, Any] = field(default_factory=dict)  # JSON-able data from report.user_properties


@dataclass
class CollectError:
    """A file or directory that failed to collect (import error, syntax error)."""

    nodeid: str
    message: str


@dataclass
class RunResults:
    """Everything one pytest run tells its reader."""

    side: str | None
    exitstatus: int
    tests: dict[str, TestRecord] = field(default_factory=dict)
    collect_errors: list[CollectError] = field(default_factory=list)
    hash_seed: str | None = None
    order_seed: int | None = None
    duration: float = 0.0
    reached: list[str] = field(default_factory=list)  # side folders the run loaded code from or opened files in

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-able dict (``schema_version`` first).

        Built field by field: ``dataclasses.asdict`` deep-copies every record, and every run pays this.
        """
        return {
            "schema_version": RESULTS_SCHEMA_VERSION,
            **_shallow(self),
            "tests": [{**_shallow(t), "outcome": t.outcome.value} for t in self.tests.values()],
            "collect_errors": [_shallow(e) for e in self.collect_errors],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunResults:
        """Rebuild from ``to_json`` output; raise ValueError on another schema version."""
        version = data.get("schema_version")
        if version != RESULTS_SCHEMA_VERSION:
            raise ValueError(f"results schema_version {version!r}, expected {RESULTS_SCHEMA_VERSION}")
        tests = {}
        for raw in data["tests"]:
            record = TestRecord(**{**raw, "outcome": Outcome(raw["outcome"])})
            tests[record.nodeid] = record
        return cls(
            side=data["side"],
            exitstatus=data["exitstatus"],
            tests=tests,
            collect_errors=[CollectError(**e) for e in data["collect_errors"]],
            hash_seed=data.get("hash_seed"),
            order_seed=data.get("order_seed"),
            duration=data.get("duration", 0.0),
            reached=list(data.get("reached", [])),
        )

    def dump(self, path: Path) -> None:
        """Write the results to ``path`` (creating its folder) atomically.

        Raises:
            WriteError: the file cannot be written (it is left as it was).
        """
        # No indent: only the C encoder is fast, and it only writes compact JSON.
        text = json.dumps(self.to_json())
        _atomic.write_text(path, text, alternative="pass --gtguard-results PATH somewhere writable")

    @classmethod
    def load(cls, path: Path) -> RunResults:
        """Read results written by ``dump``."""
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def _shallow(record: RunResults | TestRecord | CollectError) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in fields(record)}


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """Keep the end of ``text`` (where the assertion is), marking the cut."""
    return text if len(text) <= limit else "…" + text[-limit:]
