"""Drive a batch: skip what the results file already holds, run the rest on an engine, record and report."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from pytest_gtguard.batch.items import Item
from pytest_gtguard.batch.store import ResultStore

__all__ = ["Engine", "Progress", "Summary", "run_batch"]


class Engine(Protocol):
    """What a batch needs of an engine (``LocalEngine``, ``RayEngine``)."""

    name: str

    def stream(self, items: Sequence[Item]) -> Iterator[dict[str, Any]]:
        """Yield one record per item, as each finishes."""
        ...  # pragma: no cover


@dataclass
class Summary:
    """What a batch did."""

    total: int = 0
    skipped: int = 0
    ran: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_verdict: Counter[str] = field(default_factory=Counter)
    retried: int = 0
    seconds: float = 0.0
    interrupted: bool = False

    def lines(self) -> list[str]:
        """Return the end-of-batch summary."""
        rate = f", {self.ran / self.seconds:.2f} items/s" if self.seconds > 0 and self.ran else ""
        head = f"{self.ran} run, {self.skipped} already in the results file, in {self.seconds:.1f}s{rate}"
        out = [("interrupted: " if self.interrupted else "") + head]
        if self.by_status:
            out.append("status: " + ", ".join(f"{n} {s}" for s, n in self.by_status.most_common()))
        if self.by_verdict:
            out.append("verdict: " + ", ".join(f"{n} {v}" for v, n in self.by_verdict.most_common()))
        if self.retried:
            out.append(f"{self.retried} item(s) retried after their worker or node died")
        return out


class Progress:
    """A progress bar with counts and ETA on a terminal; one plain line per item otherwise."""

    def __init__(self, total: int, stream: IO[str] | None = None, *, tty: bool | None = None) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.start = time.monotonic()
        self.done = 0
        self.failed = 0

    def update(self, record: dict[str, Any]) -> None:
        """Count one finished item and show it."""
        self.done += 1
        self.failed += record.get("status") != "ok"
        elapsed = time.monotonic() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        if self.tty:
            width = 30
            filled = int(width * self.done / max(1, self.total))
            self.stream.write(
                f"\rgtguard batch [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                f"failed {self.failed} ETA {_clock(eta)}\033[K"
            )
            if self.done == self.total:
                self.stream.write("\n")
        else:
            what = record.get("verdict") or record.get("status")
            name = record.get("task", "")
            if record.get("candidate"):
                name = f"{name} {record['candidate']}"
            self.stream.write(
                f"[{self.done}/{self.total}] {record.get('status')} {what} {name} ({record.get('duration', 0):.1f}s)\n"
            )
        self.stream.flush()

    def finish(self) -> None:
        """End the bar's line (an interrupted bar stops mid-line)."""
        if self.tty and self.done != self.total:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def run_batch(
    items: Sequence[Item],
    engine: Engine,
    store: ResultStore,
    *,
    force: bool = False,
    progress: Progress | None = None,
    summary: Summary | None = None,
) -> Iterator[dict[str, Any]]:
    """Run the items whose fingerprint has no record yet (every item with ``force``), recording each.

    Yields each record once it is on disk. ``store`` must be open. ``summary`` is filled as records come.
    """
    summary = summary if summary is not None else Summary()
    items = [i if i.fingerprint else i.with_fingerprint() for i in items]
    todo = [i for i in items if force or i.fingerprint not in store.done]
    todo = list({i.fingerprint: i for i in todo}.values())  # a manifest that lists an item twice runs it once
    summary.total, summary.skipped = len(items), len(items) - len(todo)
    if progress is not None:
        progress.total = len(todo)
    start = time.monotonic()
    stream = engine.stream(todo)
    try:
        for record in stream:
            record["engine"] = engine.name
            store.append(record)
            summary.ran += 1
            summary.by_status[str(record.get("status"))] += 1
            if record.get("verdict") is not None:
                summary.by_verdict[str(record["verdict"])] += 1
            summary.retried += bool(record.get("retried"))
            if progress is not None:
                progress.update(record)
            yield record
    except KeyboardInterrupt:
        summary.interrupted = True
        raise
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()  # stops the engine: every running item is killed, every process ends
        summary.seconds = time.monotonic() - start
        if progress is not None:
            progress.finish()
