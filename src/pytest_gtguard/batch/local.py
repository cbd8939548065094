"""The local engine: ``jobs`` worker threads on this machine, each driving its own zygote processes.

A thread takes the next item, finds (or builds) the environment of its requirements, and has its zygote
for that interpreter fork the item. Items run in processes, so ``jobs`` of them use ``jobs`` cores; the
threads only wait on pipes. A zygote that dies (out of memory, killed) is replaced and its item retried
once; the record says so.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from pytest_gtguard.batch.envs import EnvCache, RequirementsFailed
from pytest_gtguard.batch.items import Item
from pytest_gtguard.batch.outcome import failed_record, record_from_answer, request_for
from pytest_gtguard.batch.zygote import Zygote, ZygoteDied

__all__ = ["LocalEngine"]

_DONE = object()


class LocalEngine:
    """Run items in a pool of ``jobs`` processes on this machine."""

    name = "local"

    def __init__(
        self,
        *,
        jobs: int = 2,
        timeout: float | None = None,
        memory_mb: int | None = None,
        envs: EnvCache | None = None,
    ) -> None:
        self.jobs = max(1, jobs)
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.envs = envs or EnvCache()
        self._zygotes: list[Zygote] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def _zygote(self, mine: dict[str, Zygote], python: str) -> Zygote:
        if python not in mine:
            zygote = Zygote(python)
            with self._lock:
                if self._stop.is_set():
                    zygote.close()
                    raise ZygoteDied("stopping")
                self._zygotes.append(zygote)
            mine[python] = zygote
        return mine[python]

    def _drop(self, mine: dict[str, Zygote], python: str) -> None:
        zygote = mine.pop(python)
        with self._lock:
            if zygote in self._zygotes:
                self._zygotes.remove(zygote)
        zygote.close()

    def run_one(self, item: Item, mine: dict[str, Zygote]) -> dict[str, Any] | None:
        """Run ``item`` on this thread's zygotes; None when the engine was stopped meanwhile."""
        try:  # validate reads files and runs nothing of the task's: it needs no environment
            python = self.envs.python_for(item.requirements if item.operation != "validate" else ())
        except RequirementsFailed as exc:
            return failed_record(item, "requirements_failed", str(exc))
        request = request_for(item, timeout=self.timeout, memory_mb=self.memory_mb)
        retried = ""
        for attempt in (1, 2):
            try:
                answer = self._zygote(mine, python).run(request)
            except ZygoteDied as exc:
                if self._stop.is_set():
                    return None
                if python in mine:
                    self._drop(mine, python)
                if attempt == 2:
                    record = failed_record(item, "lost", f"{exc}, twice")
                    record["retried"] = retried
                    return record
                retried = str(exc)
                continue
            record = record_from_answer(item, answer)
            if retried:
                record["retried"] = retried
            record["worker"] = f"local:{answer.get('pid')}"
            return record
        return None  # pragma: no cover - the loop returns

    def stream(self, items: Sequence[Item]) -> Iterator[dict[str, Any]]:
        """Yield each item's record as soon as it is finished (in finishing order).

        Closing the iterator early (Ctrl-C, ``break``) kills the running items and ends every process.
        """
        todo: queue.SimpleQueue[Item | None] = queue.SimpleQueue()
        for item in items:
            todo.put(item)
        results: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._stop.clear()

        def worker() -> None:
            mine: dict[str, Zygote] = {}
            try:
                while not self._stop.is_set():
                    try:
                        item = todo.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        break
                    record = self.run_one(item, mine)
                    if record is not None:
                        results.put(record)
            except BaseException as exc:  # pragma: no cover - a bug: surface it in the main thread
                results.put(exc)
            finally:
                for python in list(mine):
                    self._drop(mine, python)
                results.put(_DONE)

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(self.jobs, len(items)))]
        for thread in threads:
            thread.start()
        running = len(threads)
        try:
            while running:
                try:
                    got = results.get(timeout=1.0)  # a timeout keeps the wait interruptible by Ctrl-C
                except queue.Empty:
                    continue
                if got is _DONE:
                    running -= 1
                elif isinstance(got, BaseException):  # pragma: no cover
                    raise got
                else:
                    yield got  # type: ignore[misc]
        finally:
            self.stop()
            for thread in threads:
                thread.join()

    def stop(self) -> None:
        """Stop: close every zygote (each kills its running item) and take no new item."""
        self._stop.set()
        with self._lock:
            zygotes = list(self._zygotes)
            self._zygotes.clear()
        for zygote in zygotes:
            zygote.close()
