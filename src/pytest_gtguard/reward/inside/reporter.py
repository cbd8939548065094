"""The pytest plugin that reports a graded run to the judge: outcomes, integrity, audit events, end.

Loaded first through ``PYTEST_PLUGINS``, before any conftest, so it is imported before the
candidate's code: it takes its baseline (the identity of the functions that decide outcomes) and
adds its audit hook then. The judge passes its settings in ``GTGUARD_GRADE`` (JSON: channel fd,
nonce, candidate folder, folders to protect, hashes of folders the candidate must not read, whether
the run has its own pid namespace).

Records are JSON lines written with ``os.write`` to the channel fd, each under ``PIPE_BUF`` so a
record from a forked child cannot interleave with one of ours. The candidate can forge records (it
shares this process); the judge's canaries, hashes and exit checks are what make forging visible.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import json
import operator
import os
import sys
import time
import unittest
from collections.abc import Callable
from typing import Any

import pytest

from pytest_gtguard.reward.inside import watch

__all__: list[str] = []

_MAX_RECORD = 3800  # under PIPE_BUF (4096): one os.write of a record is atomic on a pipe
_MAX_AUDIT = 20  # audit observations kept per kind: enough evidence, bounded traffic
_GRACE = 1.0  # seconds a process that is already dying gets before it counts as left behind

_WRITES = frozenset(
    {"os.remove", "os.rmdir", "os.rename", "os.replace", "shutil.rmtree", "os.truncate", "os.mkdir"}
    | {"os.chmod", "os.chown", "os.utime", "os.link", "os.symlink"}
)
_EVENTS = _WRITES | {"open", "os.exec", "socket.connect"}


class _Reporter:
    """Send records; watch integrity; list leftover processes. One instance per process."""

    def __init__(self, conf: dict[str, Any]) -> None:
        self._fd: int = int(conf["fd"])
        self._nonce: str = str(conf["nonce"])
        self._candidate = os.path.realpath(str(conf["candidate"])) + os.sep
        self._protect = tuple(os.path.realpath(p) + os.sep for p in conf.get("protect", ()))
        self._forbidden = frozenset(str(h) for h in conf.get("forbidden", ()))
        self._pidns = bool(conf.get("pidns"))
        self._tests = os.path.realpath(str(conf.get("tests", ""))) + os.sep
        self._data: dict[str, tuple[str, dict[str, str]]] = {}  # module -> (file, {global: digest})
        self._pid = os.getpid()
        self._audit_counts: dict[str, int] = {}
        self._reported: set[str] = set()
        self._session: pytest.Session | None = None
        # Names missing at start (a module another pytest version does not have) are not watched.
        self._baseline = {
            spec: v for spec in watch.WATCHED if (v := watch.resolve(spec, load=True)) is not watch.MISSING
        }
        self._baseline.update(watch.unittest_asserts())
        # Bound now: a candidate that replaces os.write or json.dumps later cannot silence us.
        self._write: Callable[[int, bytes], int] = os.write
        self._dumps: Callable[..., str] = json.dumps
        self._send("start", pid=self._pid, python=sys.version.split()[0])

    def _send(self, kind: str, **fields: object) -> None:
        data = self._dumps({"n": self._nonce, "k": kind, **fields}, default=str)
        if len(data) > _MAX_RECORD:
            fields = {k: (v[:200] if isinstance(v, str) else v) for k, v in fields.items()}
            data = self._dumps({"n": self._nonce, "k": kind, **fields, "cut": True}, default=str)[:_MAX_RECORD]
        # OSError: the channel was closed by code in this process; the judge sees the missing end record.
        with contextlib.suppress(OSError):
            self._write(self._fd, data.encode("utf-8", "replace") + b"\n")

    # -- audit -----------------------------------------------------------------------------------
    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        """Record exec, writes to protected folders, reads of forbidden folders and remote connects."""
        if event not in _EVENTS:  # the hook sees every audit event of the process: leave fast
            return
        if event == "open":
            self._on_open(args)
        elif event in _WRITES:
            self._on_write(event, args[0] if args else None)
            if event in ("os.rename", "os.replace", "os.link", "os.symlink") and len(args) > 1:
                self._on_write(event, args[1])
        elif event == "os.exec":
            self._note("exec", f"{args[0]!r}" if args else "", main=os.getpid() == self._pid)
        elif event == "socket.connect" and len(args) > 1:
            address = args[1]
            host = address[0] if isinstance(address, tuple) and address else address
            if not (isinstance(host, str) and (host.startswith("127.") or host in ("::1", "localhost"))):
                self._note("network", repr(address)[:200])

    def _on_open(self, args: tuple[Any, ...]) -> None:
        path, mode = ((*args, None, None))[:2]
        if not isinstance(path, (str, bytes, os.PathLike)):
            return
        mode = mode if isinstance(mode, str) else "r"
        flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
        writing = any(c in mode for c in "wax+") or flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC)
        if writing:
            self._on_write("open", path)
        if self._forbidden:
            full = os.path.abspath(os.fsdecode(path))
            while True:
                if hashlib.sha256(full.encode()).hexdigest() in self._forbidden:
                    self._note("forbidden-read", full[-200:])
                    return
                parent = os.path.dirname(full)
                if parent == full:
                    return
                full = parent

    def _on_write(self, event: str, path: object) -> None:
        if not isinstance(path, (str, bytes, os.PathLike)):
            return
        full = os.path.abspath(os.fsdecode(path))
        for root in self._protect:
            if (full + os.sep).startswith(root):
                self._note("protected-write", f"{event} {full[-200:]}")
                return

    def _note(self, kind: str, detail: str, **extra: object) -> None:
        count = self._audit_counts.get(kind, 0)
        if count < _MAX_AUDIT:
            self._audit_counts[kind] = count + 1
            self._send("audit", what=kind, detail=detail, pid=os.getpid(), **extra)

    # -- integrity -------------------------------------------------------------------------------
    def check_integrity(self, when: str) -> None:
        """Report every watched callable that is no longer the object it was at start."""
        for spec, value in self._baseline.items():
            if spec in self._reported:
                continue
            current = (
                watch.resolve(spec)
                if not spec.startswith("unittest:")
                else vars(unittest.TestCase).get(spec.rsplit(".", 1)[-1], watch.MISSING)
            )
            if current is not value:
                self._reported.add(spec)
                self._send("integrity", what=spec, when=when)

    def check_plugins(self, config: pytest.Config) -> None:
        """Report hook implementations whose code lives in the candidate's folder."""
        real: dict[str, str] = {}
        for name, caller in sorted(vars(config.pluginmanager.hook).items()):
            get = getattr(caller, "get_hookimpls", None)
            if get is None:
                continue
            for impl in get():
                code = getattr(impl.function, "__code__", None)
                where = getattr(code, "co_filename", "") or getattr(
                    sys.modules.get(type(impl.function).__module__), "__file__", ""
                )
                if where and where not in real:
                    real[where] = os.path.realpath(where)
                if where and real[where].startswith(self._candidate):
                    self._send("plugin", hook=name, file=real[where][len(self._candidate) :])

    def list_processes(self) -> None:
        """In a pid namespace, report processes other than this one and its ancestors.

        A process killed a moment ago (a perf gate's child, a test's server) may still be freeing its
        memory: only what is still alive after a short grace counts.
        """
        if not self._pidns:
            return
        mine = {os.getpid(), 1}
        pid = os.getppid()
        while pid > 1 and pid not in mine:
            mine.add(pid)
            pid = watch.ppid(pid)
        deadline = time.monotonic() + _GRACE
        while True:
            alive = [
                int(e)
                for e in os.listdir("/proc")
                if e.isdigit() and int(e) not in mine and watch.state(int(e)) not in ("Z", "X", "")
            ]
            if not alive or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if alive:
            self._send("alive", pids=alive[:50], count=len(alive))

    # -- the tests' own data ----------------------------------------------------------------------
    def watch_module(self, module: object) -> None:
        """Remember digests of the plain-data globals of a module from the trusted test folder."""
        name, file = getattr(module, "__name__", None), getattr(module, "__file__", None)
        if not isinstance(name, str) or not isinstance(file, str) or name in self._data:
            return
        if os.path.realpath(file).startswith(self._tests):
            self._data[name] = (os.path.realpath(file)[len(self._tests) :], watch.data_digests(module))

    def check_data(self) -> None:
        """Report test data (tables of cases, expected values) changed in memory since it was loaded."""
        for name, (file, before) in self._data.items():
            module = sys.modules.get(name)
            after = watch.data_digests(module) if module is not None else {}
            for key in sorted(k for k in before if after.get(k) != before[k]):
                self._send("testdata", what=f"{file}:{key}")

    def pytest_plugin_registered(self, plugin: object) -> None:
        """Watch each conftest module's data as soon as it is registered."""
        self.watch_module(plugin)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Watch each test module's data once collection is done."""
        for item in session.items:
            self.watch_module(getattr(item, "module", None))

    # -- pytest hooks ----------------------------------------------------------------------------
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Keep the session, to read its final exit status at unconfigure."""
        self._session = session

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """Report a module that failed to collect."""
        if report.failed:
            self._send("collect", id=report.nodeid, msg=str(report.longrepr)[-400:])

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        """Report deselected tests."""
        ids = [item.nodeid for item in items]
        while ids:
            chunk, size = [], 0
            while ids and size < 2500:
                size += len(ids[0]) + 4
                chunk.append(ids.pop(0))
            self._send("deselected", ids=chunk)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Report one phase of one test; check integrity after teardown."""
        record: dict[str, object] = {"id": report.nodeid, "when": report.when, "outcome": report.outcome}
        if hasattr(report, "wasxfail"):
            record["xfail"] = True
        if report.failed:
            record["msg"] = report.longreprtext[-400:]
        self._send("report", **record)
        for key, value in report.user_properties if report.when == "call" else ():
            if key == "gtguard_faked_clock":  # set by the perf gate: its parent saw the call's real CPU time
                self._send(
                    "integrity", what=f"a clock in the perf gate's measuring process: {value}", when=report.nodeid
                )
        probes = [v for k, v in report.user_properties if k == "gtguard_probe"] if report.when == "call" else []
        if probes:
            self._send("probe", id=report.nodeid, value=str(probes[0])[:3000])
        if report.when == "teardown":
            self.check_integrity(f"after {report.nodeid}")

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """Report ``pytest.exit`` and ``KeyboardInterrupt``: whatever exit status they set, the run was cut."""
        self._send("interrupted", what=type(excinfo.value).__name__)

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """Send the last checks and the end record."""
        self.check_integrity("at the end")
        self.check_data()
        self.check_plugins(config)
        self.list_processes()
        status = getattr(self._session, "exitstatus", None)
        self._send("end", exitstatus=int(status) if status is not None else None)


def _start() -> _Reporter | None:
    raw = os.environ.pop("GTGUARD_GRADE", None)
    if raw is None:
        return None
    reporter = _Reporter(json.loads(raw))
    sys.addaudithook(reporter.audit)
    return reporter


_REPORTER = _start()
_ = (builtins, operator)  # imported before candidate code so the baseline sees the originals


def pytest_configure(config: pytest.Config) -> None:
    """Register the reporter under a fixed name (a no-op outside a graded run)."""
    if _REPORTER is not None and not config.pluginmanager.has_plugin("gtguard-grade-reporter"):
        config.pluginmanager.register(_REPORTER, "gtguard-grade-reporter")
