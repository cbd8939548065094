"""Write and check ``patches/<name>.patch``: the diff that turns repository_before into repository_after.

The patch is made in a temporary copy of both sides (caches left out), with ``git diff --no-index
--binary`` when git is on PATH: git's format is what ``git apply`` and the ingestion pipeline read,
binary files included. Without git, ``gitdiff.py`` writes the same format in pure Python. Output is
deterministic: sorted paths, no timestamps, no user git configuration. ``check_patch`` applies a
patch to a copy of before and compares the result with after; the user's trees are never touched.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pytest_gtguard import _atomic
from pytest_gtguard.task import gitdiff
from pytest_gtguard.task.gitdiff import PatchError
from pytest_gtguard.task.trees import IGNORED, compare_trees, copy_tree

__all__ = [
    "PatchCheck",
    "PatchError",
    "apply_patch",
    "check_patch",
    "filter_sections",
    "git_available",
    "make_patch",
    "normalise_paths",
    "patch_files",
    "split_sections",
    "write_patch",
]

BEFORE, AFTER = "repository_before", "repository_after"
PATCH_SUFFIXES = (".patch", ".diff")
_GIT_TIMEOUT = 300


@dataclass(frozen=True)
class PatchCheck:
    """The result of applying a patch to a copy of before: the differences from after (empty = reproduces)."""

    patch: Path
    differences: tuple[str, ...]
    error: str | None = None
    caches: tuple[str, ...] = ()  # cache files the patch touches (left out when applying)

    @property
    def ok(self) -> bool:
        """Return True when the patch applies and reproduces repository_after exactly."""
        return self.error is None and not self.differences


def git_available() -> bool:
    """Return True when a ``git`` executable is on PATH."""
    return shutil.which("git") is not None


def patch_files(task_root: Path) -> list[Path]:
    """Return the patch files in ``patches/`` (sorted)."""
    folder = task_root / "patches"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in PATCH_SUFFIXES)


def make_patch(task_root: Path, *, use_git: bool | None = None) -> bytes:
    """Return the diff from ``repository_before`` to ``repository_after`` of the task at ``task_root``.

    Raises:
        PatchError: repository_after is missing, or git fails.
    """
    if not (task_root / AFTER).is_dir():
        raise PatchError(f"{task_root / AFTER} does not exist; the patch is the diff from {BEFORE}/ to {AFTER}/")
    use_git = git_available() if use_git is None else use_git
    with tempfile.TemporaryDirectory(prefix="gtguard-patch-") as tmp:
        work = Path(tmp)
        copy_tree(task_root / BEFORE, work / BEFORE)
        copy_tree(task_root / AFTER, work / AFTER)
        if not use_git:
            return gitdiff.diff_trees(work, BEFORE, AFTER)
        args = [
            "diff",
            "--no-index",
            "--binary",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--no-renames",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            BEFORE,
            AFTER,
        ]
        proc = _git(args, cwd=work)
        if proc.returncode not in (0, 1):  # 1 = "there are differences"
            raise PatchError(f"git diff failed ({proc.returncode}): {proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout


def write_patch(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` whole or not at all: on a full disk the old patch stays as it was.

    Raises:
        WriteError: the patch cannot be written; the message names the file, the reason and the fix.
    """
    _atomic.write_bytes(target, data, alternative="print it with `gtguard patch --stdout`")


def apply_patch(patch: bytes, target: Path, *, use_git: bool | None = None) -> None:
    """Apply ``patch`` (paths relative to a side, or prefixed with repository_before/after) inside ``target``.

    Raises:
        PatchError: the patch does not apply.
    """
    text = normalise_paths(patch)
    use_git = git_available() if use_git is None else use_git
    if not use_git:
        gitdiff.apply(text, target)
        return
    with tempfile.NamedTemporaryFile(prefix="gtguard-", suffix=".patch", delete=False) as handle:
        handle.write(text)
    try:
        proc = _git(["apply", "-p1", "--whitespace=nowarn", "--unidiff-zero", handle.name], cwd=target)
    finally:
        os.unlink(handle.name)
    if proc.returncode != 0:
        raise PatchError(proc.stderr.decode(errors="replace").strip() or "git apply failed")


def check_patch(task_root: Path, patch_path: Path, *, use_git: bool | None = None) -> PatchCheck:
    """Apply ``patch_path`` to a temporary copy of before and compare the result with after.

    A patch that does not apply gets one readable ``error`` (the file, what failed and the fix), never
    git's raw output.
    """
    raw = patch_path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\0" in raw[:1000]:
        return PatchCheck(patch_path, (), error=_UTF16)
    data, caches = filter_sections(raw)
    with tempfile.TemporaryDirectory(prefix="gtguard-check-") as tmp:
        work = Path(tmp) / BEFORE
        copy_tree(task_root / BEFORE, work)
        try:
            if data.strip():
                apply_patch(data, work, use_git=use_git)
        except PatchError as exc:
            return PatchCheck(patch_path, (), error=readable_error(str(exc), data), caches=caches)
        return PatchCheck(patch_path, tuple(compare_trees(task_root / AFTER, work)), caches=caches)


_UTF16 = (
    "the patch is UTF-16 text (what PowerShell's `>` writes), which git and the pipeline cannot read; "
    "write it again with `gtguard patch`, or convert it: iconv -f UTF-16 -t UTF-8"
)
_REGENERATE = "write it again with `gtguard patch` (the diff from repository_before/ to repository_after/)"
_GIT_ERRORS = (
    (
        re.compile(r"patch failed: (?P<file>.+):(?P<line>\d+)"),
        "{file}: the hunk at line {line} does not match repository_before/{file}",
    ),
    (
        re.compile(r"(?P<file>.+): (?:No such file or directory|does not exist in index)"),
        "{file}: the patch changes it, but repository_before/{file} does not exist",
    ),
    (
        re.compile(r"(?P<file>.+): already exists in working directory"),
        "{file}: the patch creates it, but repository_before/{file} already exists",
    ),
    (re.compile(r"No valid patches in input"), "no file section git can read: the patch is empty or not a diff"),
    (
        re.compile(r"(?:corrupt patch|patch fragment without header) at line (?P<line>\d+)"),
        "the patch is malformed at line {line} (a hand edit, or a hunk whose line counts are wrong)",
    ),
)


def readable_error(raw: str, patch: bytes) -> str:
    """Return one line for a failed apply: which file, what did not match, and the fix.

    ``raw`` is git's (or the built-in applier's) message; a patch whose old side names repository_after
    (``a/repository_after/x.py``) was taken from the task repository's history, not from before to after.
    """
    lines = [line.removeprefix("error: ").strip() for line in raw.splitlines() if line.strip()]
    reason = next(
        (
            text.format(**m.groupdict())
            for line in lines
            for pattern, text in _GIT_ERRORS
            if (m := pattern.search(line))
        ),
        lines[0] if lines else "it does not apply",
    )
    if re.search(rb"(?m)^(?:--- a/|diff --git a/)repository_after/", patch):
        reason += (
            "; its paths are rooted at the task root with the old side in repository_after/ "
            "(a/repository_after/x.py), so it is a diff of the task repository's history"
        )
    return f"{reason}; {_REGENERATE}"


_GIT_EXTENDED = (
    b"diff --git ",
    b"index ",
    b"new file",
    b"deleted file",
    b"old mode",
    b"new mode",
    b"similarity",
    b"rename ",
    b"copy ",
    b"dissimilarity",
)


def split_sections(patch: bytes) -> list[bytes]:
    """Split a patch into per-file sections (``diff --git`` blocks, or ``---``/``+++`` pairs)."""
    tagged = list(_tagged(gitdiff.split_lines(patch)))
    starts = [0]
    for i, (line, header) in enumerate(tagged):
        if not header or i == 0:
            continue
        plain_start = (
            line.startswith(b"--- ")
            and i + 1 < len(tagged)
            and tagged[i + 1][0].startswith(b"+++ ")
            and not tagged[i - 1][0].startswith(_GIT_EXTENDED)
        )
        if line.startswith(b"diff --git ") or plain_start:
            starts.append(i)
    starts.append(len(tagged))
    return [b"".join(line for line, _ in tagged[a:b]) for a, b in itertools.pairwise(starts) if a < b]


def _section_path(section: bytes) -> bytes:
    for line in gitdiff.split_lines(section):
        line = line.rstrip(b"\n")
        if line.startswith(b"diff --git "):
            return line.split(b" ")[2] if len(line.split(b" ")) > 3 else b""
        if line.startswith((b"--- ", b"+++ ")):
            path = line[4:].split(b"\t", 1)[0].strip()
            if path != b"/dev/null":
                return path
    return b""


def filter_sections(patch: bytes) -> tuple[bytes, tuple[str, ...]]:
    """Drop sections for caches, keep-files and (in a task-root patch) files outside the two sides.

    Returns the patch to apply and the cache paths it touched (worth a warning: they are noise).
    """
    sections = split_sections(patch)
    raw = [re.sub(rb"^[ab]/", b"", _section_path(s)) for s in sections]
    root_relative = any(_SIDE_PREFIX.match(p) for p in raw)
    kept: list[bytes] = []
    caches: list[str] = []
    for section, path in zip(sections, raw, strict=True):
        parts = path.decode(errors="replace").split("/")
        if root_relative and path and not _SIDE_PREFIX.match(path):
            continue  # tests/ or other task files in a task-root patch: not part of the solution
        if any(p in IGNORED or p.endswith((".pyc", ".pyo")) for p in parts):
            if ".gitkeep" not in parts:
                caches.append("/".join(parts))
            continue
        kept.append(section)
    return b"".join(kept), tuple(caches)


_HUNK_HEAD = re.compile(rb"@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
_RENAME_KEYS = (b"rename from ", b"rename to ", b"copy from ", b"copy to ")
_SIDE_PREFIX = re.compile(rb"^(?:[ab]/)?(?:\./)?(?:repository_before|repository_after)(?:/|$)")


def _strip(path: bytes, prefix: bytes) -> bytes:
    path = path.split(b"\t", 1)[0].rstrip(b"\r\n")
    if path == b"/dev/null":
        return path
    match = _SIDE_PREFIX.match(path)
    if match:
        return prefix + path[match.end() :]
    if path[:2] in (b"a/", b"b/"):
        return prefix + path[2:]
    return prefix + path


def normalise_paths(patch: bytes) -> bytes:
    """Rewrite header paths to ``a/<path in side>`` and ``b/<path in side>`` for ``git apply -p1`` in a side.

    Accepts the styles real tasks use: ``a/repository_before/x b/repository_after/x`` (git diff
    --no-index), ``a/repository_after/x`` for new files (git diff in the task repo), ``repository_before/x``
    (diff -ruN) and side-relative ``a/x``. Lines inside hunks are never rewritten.
    """
    out: list[bytes] = []
    for line, header in _tagged(gitdiff.split_lines(patch)):
        if not header:
            out.append(line)
        elif line.startswith(b"diff --git "):
            out.append(_diff_git_line(line))
        elif line.startswith(b"--- "):
            out.append(b"--- " + _strip(line[4:], b"a/") + b"\n")
        elif line.startswith(b"+++ "):
            out.append(b"+++ " + _strip(line[4:], b"b/") + b"\n")
        elif line.startswith(_RENAME_KEYS):
            key = next(k for k in _RENAME_KEYS if line.startswith(k))
            out.append(key + _strip(line[len(key) :], b"") + b"\n")
        else:
            out.append(line)
    return b"".join(out)


def _tagged(lines: list[bytes]) -> Iterator[tuple[bytes, bool]]:
    """Yield each line with True when it is a header line, False inside a hunk (by the hunk's counts)."""
    old = new = 0
    for line in lines:
        if old > 0 or new > 0:
            tag = line[:1]
            if tag in (b" ", b"\n", b"\r"):
                old, new = old - 1, new - 1
            elif tag == b"-":
                old -= 1
            elif tag == b"+":
                new -= 1
            elif tag != b"\\":
                old = new = 0  # a short hunk: the header starts again here
            if tag in (b" ", b"\n", b"\r", b"-", b"+", b"\\"):
                yield line, False
                continue
        hunk = _HUNK_HEAD.match(line)
        if hunk:
            old = int(hunk.group(1)) if hunk.group(1) is not None else 1
            new = int(hunk.group(2)) if hunk.group(2) is not None else 1
            yield line, False
        else:
            yield line, not line.startswith(b"\\")


def _diff_git_line(line: bytes) -> bytes:
    rest = line[len(b"diff --git ") :].rstrip(b"\r\n")
    candidates = [i for i in range(len(rest)) if rest.startswith(b" b/", i)]
    split = candidates[0] if candidates else rest.find(b" ")
    for i in candidates:  # with spaces in names, pick the split where both names agree
        if _strip(rest[:i], b"") == _strip(rest[i + 1 :], b""):
            split = i
            break
    if split < 0:
        return line
    return b"diff --git " + _strip(rest[:split], b"a/") + b" " + _strip(rest[split + 1 :], b"b/") + b"\n"


def _git(args: list[str], *, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    # A clean, user-config-free git: diff.noprefix, color.ui or an external diff in ~/.gitconfig
    # would change the output; the ceiling stops repository discovery above the temp dir.
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CEILING_DIRECTORIES": str(cwd.parent),
        "LC_ALL": "C",
    }
    try:
        return subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PatchError(f"cannot run git ({exc}); install git or pass --no-git") from None
