from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from pytest_gtguard.task.patch import (
    PatchError,
    apply_patch,
    check_patch,
    filter_sections,
    make_patch,
    normalise_paths,
    split_sections,
)
from pytest_gtguard.task.trees import compare_trees, copy_tree

PNG_BEFORE = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 4
PNG_AFTER = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(reversed(range(256))) * 4

GIT = pytest.param(True, marks=pytest.mark.skipif(shutil.which("git") is None, reason="needs git"), id="git")
PURE = pytest.param(False, id="pure-python")


def _task(tmp_path: Path) -> Path:
    root = tmp_path / "task"
    before, after = root / "repository_before", root / "repository_after"
    for side in (before, after):
        (side / "pkg").mkdir(parents=True)
    (before / "pkg" / "mod.py").write_text("a = 1\nb = 2\nc = 3\n")
    (after / "pkg" / "mod.py").write_text("a = 1\nb = 20\nc = 3\n")
    (before / "gone.py").write_text("print('deleted in after')\n")
    (after / "pkg" / "new.py").write_text("x = 'no newline at end'")
    (before / "same.txt").write_text("unchanged\n")
    (after / "same.txt").write_text("unchanged\n")
    (before / "logo.png").write_bytes(PNG_BEFORE)
    (after / "logo.png").write_bytes(PNG_AFTER)
    (after / "icon.bin").write_bytes(b"\0\1\2\3" * 50)
    (before / "run.sh").write_text("echo hi\n")
    (after / "run.sh").write_text("echo hi\n")
    os.chmod(after / "run.sh", 0o755)
    (after / "pkg" / "__pycache__").mkdir()
    (after / "pkg" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\0cache")
    return root


@pytest.mark.parametrize("use_git", [GIT, PURE])
def test_patch_round_trip_reproduces_after_with_binary_and_deleted_files(tmp_path: Path, use_git: bool) -> None:
    root = _task(tmp_path)
    data = make_patch(root, use_git=use_git)
    work = tmp_path / "work"
    copy_tree(root / "repository_before", work)

    apply_patch(data, work, use_git=use_git)

    assert compare_trees(root / "repository_after", work, modes=True) == []
    assert not (work / "gone.py").exists()
    assert (work / "logo.png").read_bytes() == PNG_AFTER
    assert b"GIT binary patch" in data
    assert b"__pycache__" not in data


@pytest.mark.parametrize("use_git", [GIT, PURE])
def test_patch_is_deterministic_and_has_no_timestamps(tmp_path: Path, use_git: bool) -> None:
    root = _task(tmp_path)

    first, second = make_patch(root, use_git=use_git), make_patch(root, use_git=use_git)

    assert first == second
    assert not re.search(rb"\d{4}-\d\d-\d\d[ T]\d\d:\d\d", first)
    assert first.startswith(b"diff --git a/repository_")


@pytest.mark.parametrize("use_git", [GIT, PURE])
def test_patch_check_passes_then_detects_a_stale_patch(tmp_path: Path, use_git: bool) -> None:
    root = _task(tmp_path)
    (root / "patches").mkdir()
    patch = root / "patches" / "diff.patch"
    patch.write_bytes(make_patch(root, use_git=use_git))
    assert check_patch(root, patch, use_git=use_git).ok

    (root / "repository_after" / "pkg" / "mod.py").write_text("a = 1\nb = 21\nc = 3\n")
    result = check_patch(root, patch, use_git=use_git)

    assert not result.ok
    assert result.differences == ("differs pkg/mod.py",)


def test_patch_never_touches_the_task_trees(tmp_path: Path) -> None:
    root = _task(tmp_path)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}

    make_patch(root)

    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_patch_pure_python_applies_git_made_text_patch(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("needs git")
    root = _task(tmp_path)
    for name in ("logo.png", "icon.bin"):
        for side in ("repository_before", "repository_after"):
            (root / side / name).unlink(missing_ok=True)
    work = tmp_path / "work"
    copy_tree(root / "repository_before", work)

    apply_patch(make_patch(root, use_git=True), work, use_git=False)

    assert compare_trees(root / "repository_after", work) == []


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b"diff --git a/repository_before/x.py b/repository_after/x.py\n", b"diff --git a/x.py b/x.py\n"),
        (b"diff --git a/repository_after/x.py b/repository_after/x.py\n", b"diff --git a/x.py b/x.py\n"),
        (b"--- repository_before/x.py\t2026-01-16 15:34:46 +0300\n", b"--- a/x.py\n"),
        (b"+++ b/x.py\n", b"+++ b/x.py\n"),
        (b"--- /dev/null\n", b"--- /dev/null\n"),
    ],
    ids=["no-index", "repo-new-file", "diff-ruN", "side-relative", "dev-null"],
)
def test_patch_normalises_the_path_styles_real_tasks_use(header: bytes, expected: bytes) -> None:
    assert normalise_paths(header) == expected


def test_patch_normalise_leaves_hunk_lines_alone() -> None:
    patch = b"--- a/repository_before/x\n+++ b/repository_after/x\n@@ -1,2 +1,2 @@\n--- repository_before/y\n+++ z\n"

    assert normalise_paths(patch).splitlines()[3:] == [b"--- repository_before/y", b"+++ z"]


def test_patch_filter_drops_caches_and_task_files_outside_the_sides() -> None:
    patch = (
        b"diff --git a/repository_after/m.py b/repository_after/m.py\nnew file mode 100644\n--- /dev/null\n"
        b"+++ b/repository_after/m.py\n@@ -0,0 +1 @@\n+x\n"
        b"diff --git a/tests/test_m.py b/tests/test_m.py\nnew file mode 100644\n--- /dev/null\n"
        b"+++ b/tests/test_m.py\n@@ -0,0 +1 @@\n+y\n"
        b"diff --git a/repository_after/__pycache__/m.pyc b/repository_after/__pycache__/m.pyc\n"
        b"new file mode 100644\nBinary files differ\n"
    )

    kept, caches = filter_sections(patch)

    assert b"tests/test_m.py" not in kept
    assert b"__pycache__" not in kept
    assert b"repository_after/m.py" in kept
    assert caches == ("repository_after/__pycache__/m.pyc",)


def test_patch_make_needs_repository_after(tmp_path: Path) -> None:
    (tmp_path / "repository_before").mkdir()

    with pytest.raises(PatchError, match="repository_after"):
        make_patch(tmp_path)


@pytest.mark.parametrize("use_git", [GIT, PURE])
def test_patch_apply_reports_a_hunk_that_does_not_match(tmp_path: Path, use_git: bool) -> None:
    root = _task(tmp_path)
    data = make_patch(root, use_git=use_git)
    work = tmp_path / "work"
    copy_tree(root / "repository_before", work)
    (work / "pkg" / "mod.py").write_text("something else entirely\n")

    with pytest.raises(PatchError):
        apply_patch(data, work, use_git=use_git)


def test_patch_pure_apply_reports_a_deleted_file_that_is_absent(tmp_path: Path) -> None:
    patch = (
        b"diff --git a/gone.py b/gone.py\ndeleted file mode 100644\n--- a/gone.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n"
    )

    with pytest.raises(PatchError, match="does not exist"):
        apply_patch(patch, tmp_path, use_git=False)


def test_patch_pure_apply_finds_a_moved_hunk_and_sets_modes(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("new top\na\nb\nc\n")
    patch = (
        b"diff --git a/m.py b/m.py\nold mode 100644\nnew mode 100755\n--- a/m.py\n+++ b/m.py\n"
        b"@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
    )

    apply_patch(patch, tmp_path, use_git=False)

    assert (tmp_path / "m.py").read_text() == "new top\na\nB\nc\n"
    assert os.access(tmp_path / "m.py", os.X_OK)


def test_patch_pure_writer_rejects_symlinks(tmp_path: Path) -> None:
    root = _task(tmp_path)
    (root / "repository_after" / "link").symlink_to("same.txt")

    with pytest.raises(PatchError, match="symbolic link"):
        make_patch(root, use_git=False)


def test_patch_git_writer_keeps_symlinks(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("needs git")
    root = _task(tmp_path)
    (root / "repository_after" / "link").symlink_to("same.txt")
    work = tmp_path / "work"
    copy_tree(root / "repository_before", work)

    apply_patch(make_patch(root, use_git=True), work, use_git=True)

    assert compare_trees(root / "repository_after", work) == []
    assert os.readlink(work / "link") == "same.txt"


def test_patch_compare_trees_reports_symlink_and_mode_differences(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for side in (a, b):
        side.mkdir()
        (side / "x.sh").write_text("echo\n")
    (a / "link").symlink_to("x.sh")
    (b / "link").symlink_to("elsewhere")
    os.chmod(a / "x.sh", 0o755)

    assert compare_trees(a, b) == ["differs link"]
    assert compare_trees(a, b, modes=True) == ["differs link", "mode x.sh"]


def test_patch_normalises_renames_and_names_with_spaces() -> None:
    patch = (
        b"diff --git a/repository_before/my file.py b/repository_after/my file.py\n"
        b"rename from repository_before/a.py\nrename to repository_after/b.py\n"
    )

    assert normalise_paths(patch) == (b"diff --git a/my file.py b/my file.py\nrename from a.py\nrename to b.py\n")


def test_patch_splits_traditional_diffs_per_file() -> None:
    patch = (
        b"--- repository_before/a.py\t2026-01-01\n+++ repository_after/a.py\t2026-01-02\n@@ -1 +1 @@\n-x\n+y\n"
        b"--- repository_before/b.py\n+++ repository_after/b.py\n@@ -1 +1 @@\n--- old comment\n+++ new\n"
    )

    sections = split_sections(patch)

    assert [s.splitlines()[0] for s in sections] == [
        b"--- repository_before/a.py\t2026-01-01",
        b"--- repository_before/b.py",
    ]


def test_patch_check_of_a_cache_only_patch_compares_the_untouched_copy(tmp_path: Path) -> None:
    root = _task(tmp_path)
    (root / "patches").mkdir()
    patch = root / "patches" / "diff.patch"
    patch.write_bytes(
        b"diff --git a/repository_after/__pycache__/m.pyc b/repository_after/__pycache__/m.pyc\n"
        b"new file mode 100644\nBinary files differ\n"
    )

    result = check_patch(root, patch)

    assert result.caches == ("repository_after/__pycache__/m.pyc",)
    assert "differs pkg/mod.py" in result.differences


def test_patch_pure_apply_keeps_a_lone_cr_inside_a_line_as_git_does(tmp_path: Path) -> None:
    (tmp_path / "m.txt").write_bytes(b"one\ntwo\rhalf\nthree\n")
    patch = b"diff --git a/m.txt b/m.txt\n--- a/m.txt\n+++ b/m.txt\n@@ -1,3 +1,3 @@\n one\n two\rhalf\n-three\n+THREE\n"

    apply_patch(patch, tmp_path, use_git=False)

    assert (tmp_path / "m.txt").read_bytes() == b"one\ntwo\rhalf\nTHREE\n"


# Line-ending cases where git's splitting (only after "\n") differs from bytes.splitlines (issue 15).
LINE_ENDING_CASES = [
    pytest.param(b"one\ntwo\rhalf\nthree\n", b"one\ntwo\rHALF\nthree\n", id="lone-cr-in-changed-line"),
    pytest.param(b"one\ntwo\rhalf\nthree\n", b"one\ntwo\rhalf\nTHREE\n", id="lone-cr-in-context"),
    pytest.param(b"a\nb\r", b"a\nB\r", id="lone-cr-at-end-without-newline"),
    pytest.param(b"\r\r\r\n", b"\r\r\n", id="only-carriage-returns"),
    pytest.param(b"a\r\nb\r\nc\r\n", b"a\r\nB\r\nc\r\n", id="crlf"),
    pytest.param(b"a\r\nb\r\nc\r\n", b"a\nb\nc\n", id="crlf-to-lf"),
    pytest.param(b"a\nb", b"a\nc", id="no-newline-at-end"),
    pytest.param(b"a\nb", b"a\nb\n", id="newline-added-at-end"),
    pytest.param(b"a\nb\n", b"a\nb", id="newline-removed-at-end"),
    pytest.param(b"", b"x\ry\n", id="new-content-with-lone-cr"),
    pytest.param(
        b"\xff\xfe\x0b\x0c\x1c\x1d\x1e\x85\nx\n", b"\xff\xfe\x0b\x0c\x1c\x1d\x1e\x85\ny\r\n", id="non-utf8-bytes"
    ),
]


def _line_ending_task(tmp_path: Path, old: bytes, new: bytes) -> Path:
    root = tmp_path / "task"
    for side, data in (("repository_before", old), ("repository_after", new)):
        (root / side).mkdir(parents=True)
        (root / side / "f.txt").write_bytes(data)
    return root


def _applied(root: Path, patch: bytes, work: Path, *, use_git: bool) -> bytes:
    copy_tree(root / "repository_before", work)
    apply_patch(patch, work, use_git=use_git)
    return (work / "f.txt").read_bytes()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@pytest.mark.parametrize(("old", "new"), LINE_ENDING_CASES)
def test_patch_pure_apply_gives_what_git_apply_gives_on_a_git_made_patch(
    tmp_path: Path, old: bytes, new: bytes
) -> None:
    root = _line_ending_task(tmp_path, old, new)
    patch = make_patch(root, use_git=True)

    by_git = _applied(root, patch, tmp_path / "git", use_git=True)
    by_python = _applied(root, patch, tmp_path / "pure", use_git=False)

    assert by_python == by_git == new


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@pytest.mark.parametrize(("old", "new"), LINE_ENDING_CASES)
def test_patch_pure_writer_makes_a_patch_git_apply_takes(tmp_path: Path, old: bytes, new: bytes) -> None:
    root = _line_ending_task(tmp_path, old, new)
    patch = make_patch(root, use_git=False)

    by_git = _applied(root, patch, tmp_path / "git", use_git=True)
    by_python = _applied(root, patch, tmp_path / "pure", use_git=False)

    assert by_git == by_python == new
