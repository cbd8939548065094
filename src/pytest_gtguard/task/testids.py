"""Resolve FAIL_TO_PASS / PASS_TO_PASS ids to test functions statically (no import, no pytest run).

Real lists mix five id styles (survey §4): ``tests/x.py::Class::test``, bare ``test_name``,
``Class::test``, dotted ``tests.test_x.Class.test`` and file names. ``TestIndex`` parses every
Python file under the test folders with ``ast`` and answers whether an id names a test. For
tasks whose tests are not Python (Go, Jest, JUnit ...) it falls back to a text search of the test
files for the id's last part, so ids in other languages are not reported by mistake.
"""

from __future__ import annotations

import ast
import enum
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Resolution", "TestIndex", "TestRef"]

_PARAMS = re.compile(r"\[.*\]\Z", re.DOTALL)
_SKIP_DIRS = frozenset({"__pycache__", "node_modules", ".git", ".venv", "venv", ".pytest_cache", "dist", "build"})
_TEXT_SUFFIXES = frozenset(
    {
        ".py",
        ".js",
        ".jsx",
        ".ts",
        ".tsx",
        ".mjs",
        ".cjs",
        ".go",
        ".java",
        ".kt",
        ".rs",
        ".cs",
        ".cpp",
        ".cc",
        ".c",
        ".h",
        ".hpp",
        ".rb",
        ".php",
        ".swift",
        ".sql",
        ".scala",
    }
)
_MAX_TEXT = 2_000_000
# Titles of Jest/Mocha/Vitest tests: it("..."), test.each(...)("..."), describe('...').
_TITLE = re.compile(r"""\b(?:it|test|describe|context|specify)(?:\.\w+)*\(\s*(['"`])((?:\\.|(?!\1).){3,}?)\1""")
_TEST_FOLDERS = ("tests", "repository_after", "repository_before")


class Resolution(enum.Enum):
    """What an id turned out to name."""

    TEST = "test"  # one or more test functions
    FILE = "file"  # an existing test file, not a test
    MISSING = "missing"


@dataclass(frozen=True)
class TestRef:
    """One test function: its file (relative, posix), enclosing classes and name."""

    __test__ = False  # not a pytest test class, despite the name

    path: str
    classes: tuple[str, ...]
    name: str

    def nodeid(self) -> str:
        """Return the pytest node id, e.g. ``tests/test_x.py::TestC::test_y``."""
        return "::".join((self.path, *self.classes, self.name))


class TestIndex:
    """Every test function defined under a task's test folders."""

    __test__ = False

    def __init__(self, root: Path, refs: Iterable[TestRef], files: Iterable[str], texts: Iterable[str]) -> None:
        self.root = root
        self.refs = tuple(refs)
        self.files = frozenset(files)
        self._texts = tuple(texts)  # non-Python test files, for the text fallback
        self._titles = frozenset(
            m.group(2) for text in self._texts for m in _TITLE.finditer(text) if "${" not in m.group(2)
        )

    @classmethod
    def build(cls, root: Path, folders: Iterable[str] = _TEST_FOLDERS) -> TestIndex:
        """Index test functions in ``folders`` of the task at ``root``."""
        refs: list[TestRef] = []
        files: list[str] = []
        texts: list[str] = []
        for folder in folders:
            for path in _walk(root / folder):
                relpath = path.relative_to(root).as_posix()
                files.append(relpath)
                try:
                    text = path.read_text(encoding="utf-8", errors="replace")[:_MAX_TEXT]
                except OSError:
                    continue
                if path.suffix == ".py":
                    refs.extend(_python_tests(text, relpath))
                elif folder == "tests" or _looks_like_test_file(path.name):
                    texts.append(text)
        return cls(root, refs, files, texts)

    def resolve(self, test_id: str) -> Resolution:
        """Return what ``test_id`` names: a test, an existing file, or nothing."""
        raw = _PARAMS.sub("", test_id.strip())
        if not raw:
            return Resolution.MISSING
        if "::" in raw:
            head, *rest = raw.split("::")
            if _is_file_like(head):
                return self._by_path(head, tuple(rest))
            return self._by_parts((head, *rest))
        if _is_file_like(raw):
            return Resolution.FILE if self._find_file(raw) else Resolution.MISSING
        if "." in raw and " " not in raw:
            return self._dotted(raw)
        if any(ref.name == raw for ref in self.refs):
            return Resolution.TEST
        return self._text_fallback(raw)

    def _by_path(self, path: str, parts: tuple[str, ...]) -> Resolution:
        file = self._find_file(path)
        if file is None:
            return Resolution.MISSING
        if not parts:
            return Resolution.FILE
        if not file.endswith(".py"):
            return self._text_fallback(parts[-1])
        for ref in self.refs:
            if ref.path == file and (*ref.classes, ref.name) == parts:
                return Resolution.TEST
        return Resolution.MISSING

    def _by_parts(self, parts: tuple[str, ...]) -> Resolution:
        for ref in self.refs:
            chain = (*ref.classes, ref.name)
            if chain[-len(parts) :] == parts:
                return Resolution.TEST
        return self._text_fallback(parts[-1])

    def _dotted(self, raw: str) -> Resolution:
        parts = raw.split(".")
        for ref in self.refs:
            module = ref.path[:-3].split("/")
            full = (*module, *ref.classes, ref.name)
            if full[-len(parts) :] == tuple(parts):
                return Resolution.TEST
        return self._text_fallback(parts[-1])

    def _find_file(self, path: str) -> str | None:
        path = path.lstrip("./").replace("\\", "/")
        if path in self.files:
            return path
        # Ids written relative to tests/ or with an absolute container prefix (/app/tests/x.py).
        matches = sorted(f for f in self.files if f.endswith("/" + path) or path.endswith("/" + f))
        return matches[0] if matches else None

    def _text_fallback(self, name: str) -> Resolution:
        # Python files were parsed, so only non-Python test files are searched: a JUnit method
        # (Class#method), a Go func, or a Jest title, whose full name is "describe title + it title".
        name = name.strip()
        if not name:
            return Resolution.MISSING
        short = name.split("#")[-1]
        if any(short in text for text in self._texts) or any(name.endswith(t) for t in self._titles):
            return Resolution.TEST
        return Resolution.MISSING


def _walk(folder: Path) -> Iterator[Path]:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if any(part in _SKIP_DIRS for part in path.relative_to(folder).parts):
            continue
        if path.is_file() and path.suffix in _TEXT_SUFFIXES:
            yield path


def _looks_like_test_file(name: str) -> bool:
    stem = name.split(".")[0].lower()
    return (
        stem.startswith("test") or stem.endswith(("test", "tests", "_spec")) or ".test." in name or (".spec." in name)
    )


_FILE_SUFFIXES = ("py", "js", "ts", "tsx", "jsx", "go", "java", "rs", "cs", "rb", "kt", "php")


def _is_file_like(text: str) -> bool:
    return "/" in text or "\\" in text or (text.rsplit(".", 1)[-1] in _FILE_SUFFIXES and "." in text)


def _python_tests(text: str, relpath: str) -> Iterator[TestRef]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return
    yield from _scan(tree.body, relpath, ())


def _scan(body: list[ast.stmt], relpath: str, classes: tuple[str, ...]) -> Iterator[TestRef]:
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            yield TestRef(relpath, classes, node.name)
        elif isinstance(node, ast.ClassDef):
            yield from _scan(node.body, relpath, (*classes, node.name))
        elif isinstance(node, (ast.If, ast.Try)):
            # Tests defined under `if sys.version_info ...:` or `try:` still exist.
            yield from _scan(node.body, relpath, classes)
