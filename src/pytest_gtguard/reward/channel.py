"""The judge's end of the result channel: a pipe it creates, and the parse of what came through it.

The write end goes to the sandboxed run as an inherited fd; the judge keeps the read end and reads it
while the run goes on (a full pipe would block the run). Nothing on disk carries results, so there is
no result file that the candidate could write first or overwrite after (catalogue RH27), and stdout
text never counts (RH05). The parse is strict: a record with the wrong nonce, a second start record
(a re-exec of the runner) or anything after the end record is reported as forged.
"""

from __future__ import annotations

import json
import os
import select
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Channel", "Observed", "parse_records"]

_MAX_BYTES = 64 * 1024 * 1024  # a run that sends more than this is flooding the judge


@dataclass
class Observed:
    """What the run reported, phase by phase, and what looked forged."""

    phases: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> {when: outcome}
    xfail: set[str] = field(default_factory=set)
    messages: dict[str, str] = field(default_factory=dict)
    collect_errors: dict[str, str] = field(default_factory=dict)
    deselected: set[str] = field(default_factory=set)
    integrity: list[str] = field(default_factory=list)
    testdata: list[str] = field(default_factory=list)
    probes: dict[str, str] = field(default_factory=dict)  # probe test id -> repr of the changed call's value
    plugins: list[str] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    alive: int = 0
    interrupted: str = ""  # pytest.exit or KeyboardInterrupt ended the session
    starts: int = 0
    ended: bool = False
    exitstatus: int | None = None
    forged: list[str] = field(default_factory=list)

    def outcome(self, nodeid: str) -> str:
        """Return the strict outcome of ``nodeid``: passed only for a clean setup, call and teardown."""
        if nodeid in self.deselected and nodeid not in self.phases:
            return "deselected"
        phases = self.phases.get(nodeid)
        if not phases:
            return "missing"
        setup, call, teardown = phases.get("setup"), phases.get("call"), phases.get("teardown")
        if setup == "failed" or teardown == "failed":
            return "error"
        if setup == "skipped" or call == "skipped":
            return "xfailed" if nodeid in self.xfail else "skipped"
        if call == "failed":
            return "failed"
        if call == "passed" and setup == "passed" and teardown == "passed":
            return "xpassed" if nodeid in self.xfail else "passed"
        return "error" if call is None and setup == "passed" else "missing"


def parse_records(data: bytes, nonce: str) -> Observed:
    """Parse the channel's bytes into an ``Observed``."""
    seen = Observed()
    for raw in data.splitlines():
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            seen.forged.append(f"an unreadable record: {raw[:80]!r}")
            continue
        if not isinstance(record, dict) or record.get("n") != nonce:
            seen.forged.append("a record without the run's nonce")
            continue
        if seen.ended:
            seen.forged.append(f"a {record.get('k')!r} record after the end record")
            continue
        _apply(seen, record)
    return seen


def _apply(seen: Observed, record: dict[str, Any]) -> None:
    kind = record.get("k")
    if kind == "start":
        seen.starts += 1
        if seen.starts > 1:
            seen.forged.append("a second start record: the runner was started again inside the run")
    elif kind == "report":
        nodeid, when, outcome = str(record.get("id")), str(record.get("when")), str(record.get("outcome"))
        phases = seen.phases.setdefault(nodeid, {})
        if when in phases and when != "teardown":
            seen.forged.append(f"two {when} reports for {nodeid}")
        phases[when] = outcome if when not in phases else _worse(phases[when], outcome)
        if record.get("xfail"):
            seen.xfail.add(nodeid)
        if record.get("msg"):
            seen.messages.setdefault(nodeid, str(record["msg"]))
    elif kind == "collect":
        seen.collect_errors[str(record.get("id"))] = str(record.get("msg", ""))
    elif kind == "deselected":
        seen.deselected.update(str(i) for i in record.get("ids", ()))
    elif kind == "integrity":
        seen.integrity.append(f"{record.get('what')} ({record.get('when')})")
    elif kind == "probe":
        seen.probes[str(record.get("id"))] = str(record.get("value"))
    elif kind == "testdata":
        seen.testdata.append(str(record.get("what")))
    elif kind == "plugin":
        seen.plugins.append(f"{record.get('hook')} from {record.get('file')}")
    elif kind == "audit":
        seen.audit.append(record)
    elif kind == "interrupted":
        seen.interrupted = str(record.get("what"))
    elif kind == "alive":
        seen.alive = max(seen.alive, int(record.get("count", 0)))
    elif kind == "end":
        seen.ended = True
        status = record.get("exitstatus")
        seen.exitstatus = status if isinstance(status, int) else None
    else:
        seen.forged.append(f"an unknown record kind {kind!r}")


def _worse(a: str, b: str) -> str:
    order = ("passed", "skipped", "failed")
    return max(a, b, key=lambda o: order.index(o) if o in order else len(order))


class Channel:
    """A pipe whose write end the run inherits; the judge drains the read end in a thread."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        os.set_inheritable(self.write_fd, True)
        self._chunks: list[bytes] = []
        self._size = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, name="gtguard-grade-channel", daemon=True)
        self._thread.start()

    def close_write_end(self) -> None:
        """Close the judge's copy of the write end once the run has started (so EOF can arrive)."""
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def _drain(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.read_fd], [], [], 0.1)
            if not ready:
                continue
            chunk = os.read(self.read_fd, 65536)
            if not chunk:
                return
            if self._size < _MAX_BYTES:
                self._chunks.append(chunk)
                self._size += len(chunk)

    def collect(self, *, grace: float = 2.0) -> bytes:
        """Stop reading (after the run and its process tree are gone) and return every byte read."""
        self.close_write_end()
        self._thread.join(grace)  # EOF arrives once no process holds the write end
        self._stop.set()
        self._thread.join()
        os.close(self.read_fd)
        return b"".join(self._chunks)
