"""Record which side folders a test executed code from or opened files in.

Used to find side-independent tests: a test that passes on the before side only because it imports
or reads the after side (survey §4: 351e96, mechanical_refactor_score, o8tnbe). Listing imports is
not enough, since modules are imported once at collection; what counts is the code the test ran.
Written here rather than with coverage.py: we need one bit per (test, folder), at the cost of one
callback per code object per test (``sys.monitoring`` on 3.12+, ``sys.setprofile`` before), not
line data for every file.
"""

from __future__ import annotations

import builtins
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

__all__ = ["ReachWatcher", "SideTracer"]

_TOOL_IDS = (3, 4)  # sys.monitoring ids 0-2 and 5 are reserved for debuggers, coverage, profilers


class _FolderRecorder:
    """Collect the labels of the folders whose files are opened while active (and, by subclasses, run).

    File names map to labels through a cache (one lookup per file); opened files are seen by one audit
    hook per recorder, added on first use: audit hooks cannot be removed, and these recorders live only
    in split child runs.
    """

    def __init__(self, folders: Mapping[str, Path]) -> None:
        self._folders = [(label, os.path.normcase(str(path.resolve())) + os.sep) for label, path in folders.items()]
        self._labels: dict[str, str | None] = {}
        self._hits: set[str] = set()
        self._active = False
        self._audit_installed = False

    def _listen(self) -> None:
        """Become active, adding the audit hook the first time."""
        if not self._audit_installed:
            sys.addaudithook(self._audit)
            self._audit_installed = True
        self._active = True

    def _audit(self, event: str, args: tuple[Any, ...]) -> None:
        if not self._active or not args:
            return
        if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            label = self._label(os.fsdecode(args[0]))
        elif event == "exec" and isinstance(args[0], CodeType):
            # A module loaded by file path (``spec_from_file_location``) from cached bytecode opens no
            # source file and need not stay in sys.modules; executing its code is the one trace it leaves.
            label = self._label(args[0].co_filename)
        else:
            return
        if label is not None:
            self._hits.add(label)

    def _label(self, filename: str) -> str | None:
        try:
            return self._labels[filename]
        except KeyError:
            pass
        norm = os.path.normcase(os.path.abspath(filename))
        found = next((label for label, prefix in self._folders if norm.startswith(prefix)), None)
        self._labels[filename] = found
        return found


class ReachWatcher(_FolderRecorder):
    """Tell, for a whole run, which of ``folders`` it loaded modules from or opened files in.

    The cheap check the split makes in every run of a task whose tests name a side folder: one audit
    callback per event and a look at ``sys.modules`` at the end, no per-call hook. Only a run that
    reached the other side needs the per-test ``SideTracer``.
    """

    def start(self) -> None:
        """Begin watching (from before collection: module-level imports count)."""
        self._listen()

    def stop(self) -> frozenset[str]:
        """Stop watching and return the labels reached, modules still loaded included."""
        self._active = False
        for module in list(sys.modules.values()):
            for path in (getattr(module, "__file__", None), *(getattr(module, "__path__", None) or ())):
                label = self._label(path) if isinstance(path, str) else None
                if label is not None:
                    self._hits.add(label)
        return frozenset(self._hits)


class SideTracer(_FolderRecorder):
    """Collect the labels of ``folders`` touched between ``start()`` and ``stop()``."""

    def __init__(self, folders: Mapping[str, Path], *, packages: Mapping[str, str] | None = None) -> None:
        super().__init__(folders)
        self._tool: int | None = None
        # Package names that reach a side explicitly (``repository_after``); an ``import`` of one counts
        # even when sys.modules already holds it and none of its code runs (a test that only inspects it).
        self._packages = dict(packages or {})
        self._saved_import: Any = None

    def start(self) -> None:
        """Begin recording for one test."""
        self._hits = set()
        self._listen()
        if self._packages and self._saved_import is None:
            self._saved_import = builtins.__import__
            builtins.__import__ = self._import
        monitoring = getattr(sys, "monitoring", None)
        if monitoring is not None:
            if self._tool is None:
                self._tool = self._claim_tool(monitoring)
            if self._tool is not None:
                monitoring.restart_events()
                return
        sys.setprofile(self._profile)
        threading.setprofile(self._profile)

    def stop(self) -> frozenset[str]:
        """Stop recording and return the labels touched since ``start()``."""
        self._active = False
        if self._saved_import is not None:
            builtins.__import__ = self._saved_import
            self._saved_import = None
        if self._tool is None:
            sys.setprofile(None)
            threading.setprofile(None)
        return frozenset(self._hits)

    def close(self) -> None:
        """Release the monitoring tool id."""
        monitoring = getattr(sys, "monitoring", None)
        if monitoring is not None and self._tool is not None:
            monitoring.set_events(self._tool, 0)
            monitoring.register_callback(self._tool, monitoring.events.PY_START, None)
            monitoring.free_tool_id(self._tool)
            self._tool = None

    def _claim_tool(self, monitoring: Any) -> int | None:
        for tool in _TOOL_IDS:
            if monitoring.get_tool(tool) is None:
                monitoring.use_tool_id(tool, "gtguard-split")
                monitoring.register_callback(tool, monitoring.events.PY_START, self._on_start)
                monitoring.set_events(tool, monitoring.events.PY_START)
                return tool
        return None

    def _import(self, name: str, *args: Any, **kwargs: Any) -> Any:
        label = self._packages.get(name.partition(".")[0])
        if label is not None and self._active:
            self._hits.add(label)
        return self._saved_import(name, *args, **kwargs)

    def _on_start(self, code: CodeType, offset: int) -> Any:
        if self._active:
            label = self._label(code.co_filename)
            if label is not None:
                self._hits.add(label)
        return sys.monitoring.DISABLE  # type: ignore[attr-defined]  # once per code object per test

    def _profile(self, frame: FrameType, event: str, arg: object) -> None:
        if event == "call":
            label = self._label(frame.f_code.co_filename)
            if label is not None:
                self._hits.add(label)
