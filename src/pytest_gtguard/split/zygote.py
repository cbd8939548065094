"""Fork pytest runs from one interpreter per hash seed: ``python -m pytest_gtguard.split.zygote``.

The hash seed is fixed when an interpreter starts, so each seed needs its own process; but importing
pytest is most of a small suite's run time (0.16 s of 0.3 s here). The zygote starts with the run's
PYTHONHASHSEED, imports pytest, its plugins and gtguard's per-run modules and nothing of the user's,
freezes that heap (``gc.freeze``: the children's collections skip it; none runs while it loads),
then forks one child per run it is sent. Each child is a clean interpreter as far as the task is
concerned: no task module, conftest or sys.path entry of it is loaded before the fork.

The plugins are loaded by one ``pytest.main`` that stops once configured (an ini of its own, no
conftest, no session): that is how every run loads them, through pytest's assertion-rewriting hook,
so a run finds them already imported and warns about nothing (a "Module already imported so cannot
be rewritten" warning is an error under ``filterwarnings = error``). It also imports what plugins
only load at the end of a session (``LATE_IMPORTS``: hypothesis's summary imports hypothesis, 0.2 s).

Each run has a *keeper* between it and the zygote: the zygote forks the keeper, which starts a new
session (its own process group, led by it) and forks the run in it. Why: a test that signals its parent
(``os.kill(os.getppid(), SIGKILL)``, a daemon's "kill the parent" path) or its group hits the keeper, never
the zygote, so one run cannot lose the runs of other tests or of the other side forked from the same
zygote. The keeper waits for the run and exits with its code; a run that dies of a signal is noted in
its ``status`` file. When the keeper ends (the run ended, or a test killed it), the zygote kills the
keeper's whole group *before* reaping the keeper (``_procs.kill_group``): the background processes a
test started end with the run, and the group id cannot have been reused. A zygote that still dies (a
test that hunts it down) is restarted by the parent, which reruns its lost runs once (``split.pool``).

Lifetimes: the zygote dies with the parent (``PR_SET_PDEATHSIG`` on Linux, and the end of its input);
a keeper whose zygote dies kills its group (SIGTERM as its parent-death signal).

Command line: ``--parent=PID`` (the parent's pid), then entry point names of plugins not to load (the
runs' ``-p no:NAME``), or ``*``.
Protocol (one JSON object per line, both ways):

- out ``{"ready": true}`` once the preload is done;
- in ``{"id", "argv", "stdout", "stderr", "status"}``: fork a keeper running ``pytest.main(argv)`` in
  a child with its output in those files; out ``{"started": id, "pid": pid}`` (the keeper's pid);
- in ``{"kill": id}``: kill that run's group (a timeout); the parent never signals a run itself, as
  only the zygote knows whether the keeper was reaped;
- out ``{"done": id, "code": keeper's exit code, "duration": seconds}`` when that keeper ends; a
  negative code means the keeper itself was killed (by a test of its run);
- end of input: exit; children still running then mean the parent died (it ends the input only
  once every run it started has ended or been killed), so they are killed.

The parent (``split.pool``) decides when each run starts, so only as many children as it allows run at
once. Linux and macOS only (os.fork).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import select
import signal
import sys
import tempfile
import time
from collections.abc import Container, Sequence
from typing import TYPE_CHECKING, Any

from pytest_gtguard import _procs

if TYPE_CHECKING:
    import pytest

__all__ = ["LATE_IMPORTS", "main"]

# Modules every run imports after the fork, paid once per hash seed instead of once per run: gtguard's
# per-run modules, and pdb, which pytest's debugging plugin imports when it is configured (10 ms).
_PRELOAD = (
    "pdb",
    "pytest_gtguard.plugin",
    "pytest_gtguard.checks.plugin",
    "pytest_gtguard.hypothesis_policy.plugin",
    "pytest_gtguard.perf.plugin",
    "pytest_gtguard.side.conventions",
    "pytest_gtguard.side.imports",
    "pytest_gtguard.side.plan",
    "pytest_gtguard.split.channel",
    "pytest_gtguard.checks.session",
)
# Modules a plugin imports at the end of every session whatever it ran (hypothesis's terminal summary
# imports hypothesis: 0.2 s), keyed by the plugin's registered name.
LATE_IMPORTS = {"hypothesispytest": ("hypothesis.internal.observability",)}
_POLL = 1.0  # seconds between checks for ended children, should a SIGCHLD wake-up ever be missed


def _import_late(plugins: pytest.PytestPluginManager) -> None:
    """Import what the registered plugins would import at the end of a session (``LATE_IMPORTS``)."""
    for plugin, modules in LATE_IMPORTS.items():
        if plugins.has_plugin(plugin):
            for name in modules:
                with contextlib.suppress(Exception):  # a plugin that breaks does so in the run itself
                    importlib.import_module(name)


def _preload(blocked: frozenset[str]) -> None:
    # No collection while the preload imports: the heap only grows, and collections walking it took 12%
    # of the preload (20 ms a zygote). This is the pattern the gc docs give for a process that forks
    # without exec: disable early, freeze before forking, enable for the children.
    gc.disable()
    for name in _PRELOAD:
        importlib.import_module(name)
    if "*" not in blocked and not os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        _load_plugins(blocked)
    # The children's collections (pytest runs several at exit) skip the preloaded heap. No collection
    # first (13 ms a zygote): the preload's garbage is a few cycles of configuration objects, frozen too.
    gc.freeze()
    gc.enable()  # the runs collect as any interpreter does


def _load_plugins(blocked: frozenset[str]) -> None:
    """Configure pytest once (no session, no conftest, an ini of its own) so the plugins load as in a run."""
    import pytest

    class _StopAfterConfig:
        @pytest.hookimpl(tryfirst=True)
        def pytest_cmdline_main(self, config: pytest.Config) -> int:
            _import_late(config.pluginmanager)  # the rewrite hook is still installed: they go through it
            return 0  # no session

    addopts = os.environ.pop("PYTEST_ADDOPTS", None)  # the runs' options are not this configuration's
    try:
        with tempfile.TemporaryDirectory(prefix=f"gtguard-zygote-{os.getpid()}-") as tmp:
            ini = os.path.join(tmp, "pytest.ini")
            with open(ini, "w", encoding="utf-8") as handle:
                handle.write("[pytest]\n")
            args = [tmp, "-c", ini, "--rootdir", tmp, "--noconftest", "-p", "no:cacheprovider"]
            for name in sorted(blocked):
                args += ["-p", f"no:{name}"]
            with contextlib.suppress(Exception):  # a broken plugin fails in the runs, where it is reported
                pytest.main(args, plugins=[_StopAfterConfig()])
    finally:
        if addopts is not None:
            os.environ["PYTEST_ADDOPTS"] = addopts


class _Server:
    """Fork a child per command and report on the message channel until input ends."""

    def __init__(self, channel: int) -> None:
        self.channel = channel  # a private fd: what preloaded code prints cannot garble the messages
        self.pid = os.getpid()
        self.running: dict[int, tuple[int, float]] = {}  # pid -> (run id, start)
        # A child's end wakes the loop at once (SIGCHLD through a wake-up pipe) rather than at the next
        # poll: each run's end is on the critical path of the next run's start.
        self.wake_read, self.wake_write = os.pipe()
        for fd in (self.wake_read, self.wake_write):
            os.set_blocking(fd, False)
        signal.signal(signal.SIGCHLD, _ignore_signal)
        signal.set_wakeup_fd(self.wake_write)

    def say(self, message: dict[str, Any]) -> None:
        """Send one message line."""
        os.write(self.channel, (json.dumps(message) + "\n").encode())

    def serve(self) -> None:
        """Fork a keeper per run command; kill runs on request; report each run's end; stop at end of input."""
        pending = b""
        while True:
            readable = select.select([0, self.wake_read], [], [], _POLL if self.running else None)[0]
            if self.wake_read in readable:
                with contextlib.suppress(BlockingIOError):
                    while os.read(self.wake_read, 512):
                        pass
            if 0 in readable:
                chunk = os.read(0, 65536)
                if not chunk:
                    # The parent ends the input only when every run it started has ended, or after it
                    # killed them; a run still going means the parent died: no one wants its result.
                    self.abandon()
                    return
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    if line.strip():
                        self.command(json.loads(line))
            self.reap()

    def command(self, message: dict[str, Any]) -> None:
        """Start a run, or kill one (the parent's timeout)."""
        if "kill" in message:
            for pid, (run_id, _) in self.running.items():
                if run_id == message["kill"]:
                    _procs.kill_group(pid)  # not reaped yet: it is in ``running``
            return
        pid = self.fork(message)
        self.running[pid] = (message["id"], time.perf_counter())
        self.say({"started": message["id"], "pid": pid})

    def reap(self) -> None:
        """Report every keeper that ended, after killing what is left of its group."""
        while self.running:
            ended = _reap_one(self.running)
            if ended is None:
                return
            pid, status = ended
            if pid in self.running:
                run_id, start = self.running.pop(pid)
                duration = time.perf_counter() - start
                self.say({"done": run_id, "code": os.waitstatus_to_exitcode(status), "duration": duration})
            # A killed keeper's adopted daemons come to the zygote (a subreaper too): any child that is not a
            # keeper is one, and goes (the loop reaps it).
            _procs.kill_children(spare=self.running)

    def fork(self, run: dict[str, Any]) -> int:
        """Start one run's keeper in a child; return its pid."""
        pid = os.fork()
        if pid == 0:  # the child: never return into the zygote's loop
            code = 3  # pytest's "internal error", if pytest.main itself raises
            try:
                # A run must not write on the channel nor keep it open, nor inherit the wake-up.
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                for fd in (self.channel, self.wake_read, self.wake_write):
                    os.close(fd)
                code = _keep(run, self.pid)
            except BaseException:
                import traceback

                traceback.print_exc()  # into the run's stderr file: the parent reports it
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        return pid

    def abandon(self) -> None:
        """Kill the running keepers' groups (the runs and what they started) and reap them."""
        for pid in self.running:
            _procs.kill_group(pid)
        for pid in self.running:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self.running.clear()
        _procs.kill_children(reap=True)  # daemons the killed keepers left to the zygote


def _reap_one(keepers: Container[int]) -> tuple[int, int] | None:
    """Reap one ended child, killing its group first when it is a keeper; None when none has ended."""
    reaped = _procs.reap_ended(keepers)
    return None if reaped is None else (reaped[0], reaped[1])


def _ignore_signal(signum: int, frame: object) -> None:
    """Let SIGCHLD interrupt the wait: the wake-up pipe, not this handler, carries the news."""


def _keep(run: dict[str, Any], zygote: int) -> int:
    """Be the run's keeper: lead a new session, fork the run in it, wait for it; return its exit code."""
    os.setsid()  # the run's group and session: a test's killpg(0) cannot reach the zygote
    signal.signal(signal.SIGTERM, _end_group)
    # A test that interrupts its group (os.killpg(0, SIGINT)) interrupts its run, not the keeper.
    handlers = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGHUP)}
    _procs.die_with_parent(signal.SIGTERM, zygote)  # the zygote died: end the run and what it started
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # the zygote's stdin carries commands; a test reading stdin must not eat them
    os.close(null)
    for fd, path in ((1, run["stdout"]), (2, run["stderr"])):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    keeper = os.getpid()
    # A test's daemon in a session of its own escapes the group kill; when its parent ends, the keeper
    # adopts it, and kills it once the run is over (below).
    _procs.become_subreaper()
    child = os.fork()
    if child == 0:
        code = 3
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a run starts with default handling
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
            _procs.die_with_parent(signal.SIGKILL, keeper)  # a test killed the keeper: the run ends at once
            code = _run(run)
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    while True:  # reaps the orphans the keeper adopts as they end, so none lingers as a zombie
        pid, status = os.waitpid(-1, 0)
        if pid == child:
            break
    _procs.kill_children(reap=True)  # what the run left behind, its own sessions included
    if os.WIFSIGNALED(status):
        with open(run["status"], "w", encoding="utf-8") as handle:
            handle.write(_procs.signal_name(os.WTERMSIG(status)))
        return 128 + os.WTERMSIG(status)
    return os.waitstatus_to_exitcode(status)


def _end_group(signum: int, frame: object) -> None:
    """Kill the keeper's group: the run and whatever it started, own sessions included (the keeper goes too)."""
    _procs.kill_children()
    os.killpg(0, signal.SIGKILL)


def _run(run: dict[str, Any]) -> int:
    """Run pytest in the child (its output and stdin already set by the keeper)."""
    import pytest

    return int(pytest.main(list(run["argv"])))


def main(argv: Sequence[str] | None = None) -> None:
    """Preload, then fork a child per line of input until input ends.

    ``argv``: ``--parent=PID``, then entry point names of plugins the runs block (``-p no:NAME``), not to
    load; ``*`` (the runs disable plugin autoloading) loads none.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0].startswith("--parent="):
        # Die with the parent, even while still preloading (the end of input is read only once serving).
        _procs.die_with_parent(signal.SIGKILL, int(args.pop(0).partition("=")[2]))
    _procs.become_subreaper()  # daemons of keepers killed for a timeout come here (see _Server.reap)
    blocked = frozenset(args)
    # Messages get a private fd; what preloaded code prints goes where stderr goes, not into them.
    server = _Server(os.dup(1))
    os.dup2(2, 1)
    _preload(blocked)
    try:
        server.say({"ready": True})
        server.serve()
    except BrokenPipeError:  # the parent is gone mid-split: its runs are of no use to anyone
        server.abandon()


if __name__ == "__main__":
    main()
    # Nothing is left to flush (messages go out with os.write): skip the interpreter's teardown, which
    # the parent would otherwise wait for.
    os._exit(0)
