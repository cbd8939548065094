"""The Ray engine: each item is a Ray task that has a zygote on its worker fork it (as the local engine does).

Install with ``pip install 'pytest-gtguard[ray]'``. ``address`` is given to ``ray.init``: ``auto`` joins
the cluster this machine belongs to, ``ray://HOST:PORT`` a remote one through Ray Client, and None starts
a private Ray on this machine, listening on 127.0.0.1 only. Every node needs gtguard installed and the
dataset at the same path (a shared file system), as Ray's own workers do.

Faults: an item that crashes, hangs or runs out of memory is one record, as on the local engine (the
zygote isolates it from the Ray worker). A Ray worker or node that dies takes its items with it: each is
submitted once more (Ray places it on a live node) and its record says ``retried``; an item lost twice
is recorded ``lost``. A task's declared requirements become its ``runtime_env`` (``{"pip": [...]}``);
when Ray cannot set that environment up, the item is ``requirements_failed``.
"""

from __future__ import annotations

import collections
import contextlib
import os
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

from pytest_gtguard.batch.items import Item
from pytest_gtguard.batch.outcome import failed_record, record_from_answer, request_for
from pytest_gtguard.errors import ConfigError

__all__ = ["RayEngine", "run_on_worker"]

_ZYGOTE: Any = None  # one per Ray worker process, reused by every item that worker runs


def run_on_worker(request: dict[str, Any]) -> dict[str, Any]:
    """Run one request on this Ray worker's zygote (started on first use); the body of the Ray task."""
    global _ZYGOTE
    from pytest_gtguard.batch.zygote import Zygote, ZygoteDied

    for _ in (1, 2):
        if _ZYGOTE is None:
            _ZYGOTE = Zygote(sys.executable)
        try:
            answer: dict[str, Any] = _ZYGOTE.run(request)
        except ZygoteDied as exc:
            _ZYGOTE.close()
            _ZYGOTE = None
            error = str(exc)
            continue
        import ray

        answer["worker"] = f"ray:{ray.get_runtime_context().get_node_id()[:8]}:{answer.get('pid')}"
        return answer
    return {"zygote_died": error}


class RayEngine:
    """Run items as Ray tasks, ``jobs`` in flight at once."""

    name = "ray"

    def __init__(
        self,
        *,
        address: str | None = None,
        jobs: int = 2,
        timeout: float | None = None,
        memory_mb: int | None = None,
        num_cpus: float = 1.0,
    ) -> None:
        # Read when Ray is imported: on one machine, keep every address on the loopback.
        os.environ.setdefault(
            "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0" if address in (None, "", "none", "local") else "1"
        )
        try:
            import ray
        except ImportError:
            raise ConfigError("--engine ray needs Ray: pip install 'pytest-gtguard[ray]'") from None
        self.jobs = max(1, jobs)
        self.timeout = timeout
        self.memory_mb = memory_mb
        self._started = False
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}
            if address in (None, "", "none", "local"):
                kwargs.update(num_cpus=self.jobs, include_dashboard=False, _node_ip_address="127.0.0.1")
                address = None
            try:
                ray.init(address=address, **kwargs)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise ConfigError(f"--ray-address {address}: cannot connect to Ray: {exc}") from None
            self._started = True
        self._remote = ray.remote(num_cpus=num_cpus, max_retries=0)(run_on_worker)

    def _submit(self, item: Item) -> Any:
        request = request_for(item, timeout=self.timeout, memory_mb=self.memory_mb)
        if item.requirements and item.operation != "validate":
            return self._remote.options(runtime_env={"pip": list(item.requirements)}).remote(request)
        return self._remote.remote(request)

    def stream(self, items: Sequence[Item]) -> Iterator[dict[str, Any]]:
        """Yield each item's record as soon as it is finished; closing the iterator cancels the rest."""
        import ray
        from ray.exceptions import RayError, RuntimeEnvSetupError

        pending = collections.deque(items)
        inflight: dict[Any, tuple[Item, str, float]] = {}
        try:
            while pending or inflight:
                while pending and len(inflight) < self.jobs:
                    item = pending.popleft()
                    inflight[self._submit(item)] = (item, "", time.monotonic())
                ready, _ = ray.wait(list(inflight), num_returns=1, timeout=1.0)
                for ref in ready:
                    item, retried, start = inflight.pop(ref)
                    try:
                        answer = ray.get(ref)
                    except RuntimeEnvSetupError as exc:
                        yield failed_record(item, "requirements_failed", _first_line(exc), duration=_since(start))
                        continue
                    except RayError as exc:
                        why = f"{type(exc).__name__}: {_first_line(exc)}"
                        if retried:
                            record = failed_record(item, "lost", f"{why}, twice", duration=_since(start))
                            record["retried"] = retried
                            yield record
                        else:
                            inflight[self._submit(item)] = (item, why, time.monotonic())
                        continue
                    if "zygote_died" in answer:
                        record = failed_record(item, "lost", str(answer["zygote_died"]), duration=_since(start))
                    else:
                        record = record_from_answer(item, answer)
                        record["worker"] = answer.get("worker")
                    if retried:
                        record["retried"] = retried
                    yield record
        finally:
            for ref in inflight:
                with contextlib.suppress(Exception):  # a task that finished meanwhile cannot be cancelled
                    ray.cancel(ref, force=True)  # kills the worker, whose zygote then kills the item

    def shutdown(self) -> None:
        """Stop the private Ray this engine started (a cluster it joined is left running)."""
        if self._started:
            import ray

            ray.shutdown()
            self._started = False


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[0][:300] if lines else type(exc).__name__


def _since(start: float) -> float:
    return time.monotonic() - start
