"""Git's diff format in pure Python: write it for two trees and apply it to one (text and binary literals).

Used when git is not installed. Written here rather than taken from a library because the
candidates (unidiff, patch-ng, whatthepatch) parse or apply text hunks only; none writes git's
``GIT binary patch`` literals, which tasks with images or fixtures need. Python's ``base64.b85encode``
uses git's base85 alphabet, so the binary format is a few lines.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from pytest_gtguard.errors import GtguardError
from pytest_gtguard.task.trees import list_files

__all__ = ["PatchError", "apply", "diff_trees", "split_lines"]

_ZERO = "0" * 40
_CONTEXT = 3
_LINE_BYTES = 52


class PatchError(GtguardError):
    """The patch cannot be made or applied; the message says why and what to do."""


def _blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _mode(path: Path) -> str:
    return "100755" if os.access(path, os.X_OK) else "100644"


def _is_binary(data: bytes) -> bool:
    return b"\0" in data[:8000]  # git's own heuristic (buffer_is_binary)


def split_lines(data: bytes) -> list[bytes]:
    r"""Split ``data`` after each ``\n`` as git does; a ``\r`` is part of its line's content.

    ``bytes.splitlines`` also splits on a lone ``\r``, so a patch that ``git apply`` takes (a line
    holding ``\r`` before its end) failed to match here, and the writer made patches git rejects.
    """
    lines = data.split(b"\n")
    tail = lines.pop()
    return [line + b"\n" for line in lines] + ([tail] if tail else [])


def diff_trees(work: Path, before: str, after: str) -> bytes:
    """Return the git diff from ``work/before`` to ``work/after``, with paths as ``git diff --no-index``."""
    old_files, new_files = list_files(work / before), list_files(work / after)
    out: list[bytes] = []
    for relpath in sorted(old_files.keys() | new_files.keys()):
        old, new = old_files.get(relpath), new_files.get(relpath)
        for path in (old, new):
            if path is not None and path.is_symlink():
                raise PatchError(f"{relpath} is a symbolic link; install git to include links in the patch")
        old_data = old.read_bytes() if old else b""
        new_data = new.read_bytes() if new else b""
        if old and new and old_data == new_data and _mode(old) == _mode(new):
            continue
        a = f"a/{before}/{relpath}" if old else f"a/{after}/{relpath}"
        b = f"b/{after}/{relpath}" if new else f"b/{before}/{relpath}"
        head = [f"diff --git {a} {b}"]
        old_id = _blob_id(old_data) if old else _ZERO
        new_id = _blob_id(new_data) if new else _ZERO
        if old is None and new is not None:
            head += [f"new file mode {_mode(new)}", f"index {old_id}..{new_id}"]
        elif new is None and old is not None:
            head += [f"deleted file mode {_mode(old)}", f"index {old_id}..{new_id}"]
        elif old is not None and new is not None and _mode(old) != _mode(new):
            head += [f"old mode {_mode(old)}", f"new mode {_mode(new)}"]
            if old_data != new_data:
                head.append(f"index {old_id}..{new_id}")
        else:
            head.append(f"index {old_id}..{new_id} {_mode(new) if new else ''}".rstrip())
        out.append(("\n".join(head) + "\n").encode())
        if old_data == new_data:
            continue
        if _is_binary(old_data) or _is_binary(new_data):
            out.append(b"GIT binary patch\n" + _literal(new_data) + b"\n" + _literal(old_data) + b"\n")
        else:
            out.append(f"--- {a if old else '/dev/null'}\n+++ {b if new else '/dev/null'}\n".encode())
            out.append(_hunks(old_data, new_data))
    return b"".join(out)


def _literal(data: bytes) -> bytes:
    packed = zlib.compress(data, 9)
    lines = [f"literal {len(data)}\n".encode()]
    for start in range(0, len(packed), _LINE_BYTES):
        chunk = packed[start : start + _LINE_BYTES]
        size = len(chunk)
        tag = chr(ord("A") + size - 1) if size <= 26 else chr(ord("a") + size - 27)
        lines.append(tag.encode() + base64.b85encode(chunk, pad=True) + b"\n")
    return b"".join(lines)


def _range(start: int, length: int) -> str:
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


def _hunks(old_data: bytes, new_data: bytes) -> bytes:
    a, b = split_lines(old_data), split_lines(new_data)
    out: list[bytes] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(_CONTEXT):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(f"@@ -{_range(i1, i2 - i1)} +{_range(j1, j2 - j1)} @@\n".encode())
        for tag, x1, x2, y1, y2 in group:
            if tag == "equal":
                out.extend(_line(b" ", line) for line in a[x1:x2])
                continue
            out.extend(_line(b"-", line) for line in a[x1:x2])
            out.extend(_line(b"+", line) for line in b[y1:y2])
    return b"".join(out)


def _line(tag: bytes, line: bytes) -> bytes:
    if line.endswith(b"\n"):
        return tag + line
    return tag + line + b"\n\\ No newline at end of file\n"


@dataclass
class _FilePatch:
    old: str | None = None
    new: str | None = None
    new_mode: str | None = None
    deleted: bool = False
    literal: bytes | None = None
    hunks: list[tuple[int, list[bytes]]] = field(default_factory=list)


_HUNK = re.compile(rb"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def _parse(text: bytes) -> list[_FilePatch]:
    patches: list[_FilePatch] = []
    lines = split_lines(text)
    i = 0
    current: _FilePatch | None = None
    while i < len(lines):
        line = lines[i]
        if line.startswith(b"diff --git ") or (line.startswith(b"--- ") and (current is None or current.hunks)):
            current = _FilePatch()
            patches.append(current)
            if line.startswith(b"diff --git "):
                parts = line.split()
                current.old = current.new = parts[2].decode()[2:] if len(parts) >= 4 else None
                i += 1
                continue
        if current is None:
            i += 1
            continue
        if line.startswith(b"--- "):
            name = line[4:].strip().decode()
            current.old = None if name == "/dev/null" else name[2:]
        elif line.startswith(b"+++ "):
            name = line[4:].strip().decode()
            current.new = None if name == "/dev/null" else name[2:]
        elif line.startswith((b"new file mode ", b"new mode ")):
            current.new_mode = line.split()[-1].decode()
        elif line.startswith(b"deleted file mode"):
            current.deleted = True
        elif line.startswith(b"literal ") and current.literal is None:
            i, current.literal = _read_literal(lines, i)
            while i < len(lines) and not lines[i].startswith(b"diff --git "):
                i += 1  # skip the reverse literal
            continue
        elif line.startswith(b"delta "):
            raise PatchError("binary delta hunks need git; install git or regenerate with gtguard patch")
        elif _HUNK.match(line):
            i = _read_hunk(lines, i, current)
            continue
        i += 1
    return patches


def _read_literal(lines: list[bytes], i: int) -> tuple[int, bytes]:
    size = int(lines[i].split()[1])
    packed = b""
    i += 1
    while i < len(lines) and lines[i].strip():
        row = lines[i].rstrip(b"\r\n")
        tag = row[0]
        count = tag - ord("A") + 1 if tag <= ord("Z") else tag - ord("a") + 27
        packed += base64.b85decode(row[1:])[:count]
        i += 1
    data = zlib.decompress(packed)
    if len(data) != size:
        raise PatchError("corrupt binary literal in the patch")
    return i, data


def _read_hunk(lines: list[bytes], i: int, current: _FilePatch) -> int:
    match = _HUNK.match(lines[i])
    if match is None:
        raise PatchError(f"malformed hunk header: {lines[i]!r}")
    start = int(match.group(1))
    old_left = int(match.group(2)) if match.group(2) is not None else 1
    new_left = int(match.group(4)) if match.group(4) is not None else 1
    body: list[bytes] = []
    i += 1
    while i < len(lines) and (old_left > 0 or new_left > 0 or lines[i].startswith(b"\\")):
        line = lines[i]
        tag = line[:1]
        if tag in (b" ", b"\n"):
            old_left, new_left = old_left - 1, new_left - 1
        elif tag == b"-":
            old_left -= 1
        elif tag == b"+":
            new_left -= 1
        elif tag != b"\\":
            break
        body.append(line if tag != b"\n" else b" \n")
        i += 1
    current.hunks.append((start, body))
    return i


def apply(text: bytes, target: Path) -> None:
    """Apply a git-format ``text`` (side-relative ``a/`` ``b/`` paths) to the tree at ``target``."""
    for fp in _parse(text):
        name = fp.new or fp.old
        if name is None:
            continue
        path = target / name
        if fp.deleted or fp.new is None:
            if not path.is_file():
                raise PatchError(f"{name}: the patch deletes it, but it does not exist in repository_before")
            path.unlink()
            continue
        source = target / fp.old if fp.old else None
        old = source.read_bytes() if source is not None and source.is_file() else b""
        data = fp.literal if fp.literal is not None else _apply_hunks(old, fp.hunks, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if fp.new_mode:
            path.chmod(0o755 if fp.new_mode.endswith("755") else 0o644)


def _apply_hunks(old: bytes, hunks: list[tuple[int, list[bytes]]], name: str) -> bytes:
    lines = split_lines(old)
    offset = 0
    for start, body in hunks:
        want, repl = _sides(body)
        at = max(start - 1, 0) + offset if want else start + offset
        if lines[at : at + len(want)] != want:
            found = [k for k in range(len(lines) - len(want) + 1) if lines[k : k + len(want)] == want]
            if not found:
                raise PatchError(f"{name}: the hunk at line {start} does not match repository_before/{name}")
            at = min(found, key=lambda k: abs(k - at))
        lines[at : at + len(want)] = repl
        offset += len(repl) - len(want)
    return b"".join(lines)


def _sides(body: list[bytes]) -> tuple[list[bytes], list[bytes]]:
    old: list[bytes] = []
    new: list[bytes] = []
    last = b" "
    for line in body:
        tag, rest = line[:1], line[1:]
        if tag == b"\\":  # "\ No newline at end of file" applies to the line before it
            if last in (b" ", b"-") and old:
                old[-1] = old[-1].removesuffix(b"\n")
            if last in (b" ", b"+") and new:
                new[-1] = new[-1].removesuffix(b"\n")
            continue
        last = tag
        if tag in (b" ", b"-"):
            old.append(rest)
        if tag in (b" ", b"+"):
            new.append(rest)
    return old, new
