"""Hand-written broken variants: declared replacements of ground-truth modules that the suite must kill.

Two ways to declare one (both may be used; duplicates are dropped):

* an entry ``TARGET=VARIANT`` in the ini key ``gtguard_meta_variants`` (or ``--gtguard-meta-variants``),
  where TARGET is a ground-truth file (path relative to the ini file, or a dotted module name such as
  ``calc.core``) and VARIANT is a full replacement ``.py`` file or a unified diff (``.patch``/``.diff``)
  against TARGET; a diff may stand alone when its ``+++`` header names the target;
* the layout real tasks use: ``<tests dir>/resources/<module>/broken_*.py`` (or ``*.patch``), where
  ``<module>`` is the file stem or dotted name of one ground-truth module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_gtguard.errors import ConfigError

__all__ = ["Variant", "apply_patch", "declared", "discovered"]

_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_PATCH_SUFFIXES = (".patch", ".diff")


@dataclass(frozen=True)
class Variant:
    """One hand-written broken version of a ground-truth file."""

    name: str
    target: Path
    text: str
    origin: str


def declared(entries: Sequence[str], *, base: Path, sources: Sequence[Path], where: str) -> list[Variant]:
    """Parse ``TARGET=VARIANT`` (or a stand-alone diff) entries.

    Raises:
        ConfigError: an entry is malformed, a file is missing, or a diff does not apply.
    """
    variants: list[Variant] = []
    for entry in entries:
        target_text, sep, variant_text = entry.partition("=")
        if not sep:
            target_text, variant_text = "", entry
        variant_path = _existing(base / variant_text.strip(), where=f"{where} entry {entry!r}")
        if target_text:
            target = _target(target_text.strip(), base=base, sources=sources, where=f"{where} entry {entry!r}")
        elif variant_path.suffix in _PATCH_SUFFIXES:
            target = _patch_target(variant_path, base=base, sources=sources, where=f"{where} entry {entry!r}")
        else:
            raise ConfigError(
                f"{where}: {entry!r} names no target; write TARGET=VARIANT, "
                "e.g. calc.py=tests/resources/calc/broken_sign.py"
            )
        variants.append(_load(target, variant_path, origin=f"{where}: {entry}"))
    return variants


def discovered(test_dirs: Iterable[Path], *, sources: Sequence[Path], notes: list[str] | None = None) -> list[Variant]:
    """Find ``resources/<module>/broken_*`` files under ``test_dirs`` naming a source module.

    A file whose ``<module>`` names no source file, or several, is skipped with a line in ``notes``.
    """
    variants: list[Variant] = []
    for folder in test_dirs:
        for candidate in sorted(folder.glob("**/resources/*/broken_*")):
            if candidate.suffix not in (".py", *_PATCH_SUFFIXES) or not candidate.is_file():
                continue
            matches = _by_module(candidate.parent.name, sources)
            if len(matches) == 1:
                variants.append(_load(matches[0], candidate, origin=f"discovered {candidate}"))
            elif notes is not None:
                which = "no ground-truth file" if not matches else f"{len(matches)} ground-truth files"
                notes.append(
                    f"variant {candidate} skipped: {candidate.parent.name!r} names {which}; declare it "
                    "as TARGET=VARIANT in gtguard_meta_variants"
                )
    return variants


def apply_patch(text: str, patch: str, *, where: str) -> str:
    """Apply a unified diff to ``text`` (context must match exactly).

    Raises:
        ConfigError: the diff has no hunks or a hunk's context does not match.
    """
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    cursor = 0
    hunks = 0
    patch_lines = patch.splitlines(keepends=True)
    i = 0
    while i < len(patch_lines):
        match = _HUNK.match(patch_lines[i])
        i += 1
        if not match:
            continue
        hunks += 1
        start = int(match.group(1)) - (0 if match.group(2) == "0" else 1)
        out.extend(lines[cursor:start])
        cursor = start
        while i < len(patch_lines) and not patch_lines[i].startswith("@@"):
            line = patch_lines[i]
            i += 1
            tag, body = line[:1], line[1:]
            if tag == "\\":
                continue
            if tag in (" ", "-"):
                if cursor >= len(lines) or lines[cursor].rstrip("\r\n") != body.rstrip("\r\n"):
                    raise ConfigError(
                        f"{where}: hunk {hunks} does not apply at line {cursor + 1}; "
                        "regenerate the diff against the current ground truth"
                    )
                if tag == " ":
                    out.append(lines[cursor])
                cursor += 1
            elif tag == "+":
                out.append(body if body.endswith("\n") else body + "\n")
            elif line.startswith(("---", "+++", "diff ")):
                break
    if not hunks:
        raise ConfigError(f"{where}: no @@ hunks found; give a unified diff (diff -u / git diff)")
    out.extend(lines[cursor:])
    return "".join(out)


def _load(target: Path, variant: Path, *, origin: str) -> Variant:
    raw = variant.read_text(encoding="utf-8")
    text = (
        apply_patch(target.read_text(encoding="utf-8"), raw, where=str(variant))
        if variant.suffix in _PATCH_SUFFIXES
        else raw
    )
    return Variant(variant.stem, target, text, origin)


def _existing(path: Path, *, where: str) -> Path:
    if not path.is_file():
        raise ConfigError(f"{where}: variant file {path} does not exist; give a path relative to the ini file")
    return path


def _target(text: str, *, base: Path, sources: Sequence[Path], where: str) -> Path:
    path = (base / text).resolve()
    if path.is_file():
        return path
    matches = _by_module(text, sources)
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(str(s) for s in sources[:5]) or "none"
    raise ConfigError(f"{where}: target {text!r} is not a ground-truth file or module (known: {names})")


def _patch_target(patch: Path, *, base: Path, sources: Sequence[Path], where: str) -> Path:
    for line in patch.read_text(encoding="utf-8").splitlines():
        if line.startswith("+++ "):
            name = line[4:].split("\t")[0].strip()
            name = name[2:] if name.startswith(("a/", "b/")) else name
            for candidate in sources:
                if candidate.as_posix().endswith(name) or candidate.name == Path(name).name:
                    return candidate
    raise ConfigError(f"{where}: cannot tell which file {patch.name} patches; write TARGET={patch.name}")


def _by_module(name: str, sources: Sequence[Path]) -> list[Path]:
    dotted = name.replace(".", "/")
    return [
        s
        for s in sources
        if s.stem == name
        or s.with_suffix("").as_posix().endswith(dotted)
        or (s.name == "__init__.py" and s.parent.name == name)
    ]
