"""One Python environment per distinct requirement set, built once and reused by every item that needs it.

The environment is a venv of the running interpreter with the task's requirements installed (by ``uv``
when it is on PATH, else ``pip``), and a ``.pth`` file that appends the running environment's own paths:
the task's pins come first, gtguard and pytest are found after them. Environments live under
``$GTGUARD_CACHE_DIR/batch-envs/<hash>`` (default ``~/.cache/gtguard``); a finished one is marked with a
``ready`` file, so a build killed halfway is redone. A set that fails to install is remembered for the
rest of the batch (its items are reported ``requirements_failed``) but not across batches.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from pytest_gtguard.errors import GtguardError

__all__ = ["EnvCache", "RequirementsFailed", "default_cache_dir"]

_LOG_TAIL = 600


class RequirementsFailed(GtguardError):
    """The requirements could not be installed; ``str()`` ends with the installer's last lines."""


def default_cache_dir() -> Path:
    """Return where environments are kept: ``$GTGUARD_CACHE_DIR``, else ``$XDG_CACHE_HOME/gtguard``."""
    base = os.environ.get("GTGUARD_CACHE_DIR") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "gtguard"
    )
    return Path(base) / "batch-envs"


def env_key(requirements: Sequence[str]) -> str:
    """Return the cache key of a requirement set on this interpreter."""
    text = "\n".join(sorted(requirements)) + f"\n{sys.version_info[:2]}\n{sys.executable}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class EnvCache:
    """Build and hand out environments; safe to call from many threads and many batches at once."""

    def __init__(self, root: Path | None = None, *, installer_timeout: float = 1800.0) -> None:
        self.root = root or default_cache_dir()
        self.timeout = installer_timeout
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._failed: dict[str, str] = {}
        self.built: list[str] = []  # keys built by this cache (not found ready)

    def python_for(self, requirements: Sequence[str]) -> str:
        """Return the interpreter of the environment for ``requirements`` (the running one for none).

        Raises:
            RequirementsFailed: the set could not be installed.
        """
        if not requirements:
            return sys.executable
        key = env_key(requirements)
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key in self._failed:
                raise RequirementsFailed(self._failed[key])
            folder = self.root / key
            python = folder / "bin" / "python"
            if (folder / "ready").is_file() and python.exists():
                return str(python)
            try:
                self._build(folder, requirements)
            except RequirementsFailed as exc:
                self._failed[key] = str(exc)
                raise
            self.built.append(key)
            return str(python)

    def _build(self, folder: Path, requirements: Sequence[str]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / f"{folder.name}.lock", "w") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)  # another batch may build the same set right now
            if (folder / "ready").is_file():
                return
            shutil.rmtree(folder, ignore_errors=True)
            reqs = folder.with_name(folder.name + ".requirements.txt")
            reqs.write_text("\n".join(requirements) + "\n", encoding="utf-8")
            uv = shutil.which("uv")
            base = getattr(sys, "_base_executable", sys.executable)
            if uv:
                steps = [
                    [uv, "venv", "--quiet", "--python", base, str(folder)],
                    [uv, "pip", "install", "--quiet", "--python", str(folder / "bin" / "python"), "-r", str(reqs)],
                ]
            elif importlib.util.find_spec("pip") is not None:  # this environment's pip: no ensurepip per venv
                steps = [
                    [base, "-m", "venv", "--without-pip", str(folder)],
                    [sys.executable, "-m", "pip", "--python", str(folder / "bin/python"), "install", "-r", str(reqs)],
                ]
            else:
                steps = [
                    [base, "-m", "venv", str(folder)],
                    [str(folder / "bin" / "python"), "-m", "pip", "install", "-q", "-r", str(reqs)],
                ]
            for step in steps:
                self._step(step, requirements)
            _link_parent(folder)
            (folder / "ready").write_text("\n".join(requirements) + "\n", encoding="utf-8")

    def _step(self, command: list[str], requirements: Sequence[str]) -> None:
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired:
            raise RequirementsFailed(f"installing {', '.join(requirements)} took over {self.timeout:g}s") from None
        except OSError as exc:
            raise RequirementsFailed(f"cannot run {command[0]}: {exc}") from None
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip()[-_LOG_TAIL:].replace("\n", " | ")
            raise RequirementsFailed(f"installing {', '.join(requirements)} failed: {tail}")


def _link_parent(folder: Path) -> None:
    """Append the running environment's site folders after the venv's own (their .pth files included)."""
    lib = next((folder / "lib").glob("python3*/site-packages"))
    dirs = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir() and not p.startswith(str(folder))]
    lines = [f"import site; site.addsitedir({p!r})" for p in dict.fromkeys(dirs)]
    (lib / "_gtguard_batch_parent.pth").write_text("\n".join(lines) + "\n", encoding="utf-8")
