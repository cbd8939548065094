from __future__ import annotations

from argparse import Namespace
from pathlib import Path

import pytest

from pytest_gtguard.side.task import SideKind
from pytest_gtguard.side.task_options import SideOption, hand_side, side_options

FLAGS = ("--repo", "--before", "--after")


def _conftest(root: Path, body: str) -> Path:
    (root / "tests").mkdir(exist_ok=True)
    (root / "tests" / "conftest.py").write_text("def pytest_addoption(parser):\n    " + body + "\n")
    return root


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (
            "parser.addoption('--repo', default='after', choices=['before', 'after'])",
            [SideOption("--repo", "repo", False)],
        ),
        ("parser.addoption('--repo', default='after')", [SideOption("--repo", "repo", False)]),
        (
            "parser.addoption('--repo', choices=('repository_before', 'repository_after'), dest='which')",
            [SideOption("--repo", "which", True)],
        ),
        ("parser.addoption('--repo', default='repository_after')", [SideOption("--repo", "repo", True)]),
        ("parser.addoption('--repo', default='/srv/app')", []),
        ("parser.addoption('--repo', choices=['after'])", []),
        ("parser.addoption('--repo', choices=['before', 'after'], default='x')", [SideOption("--repo", "repo", False)]),
        ("parser.addoption('--side', choices=['before', 'after'])", [SideOption("--side", "side", False)]),
        ("parser.addoption('--impl', default='repository_after')", [SideOption("--impl", "impl", True)]),
        ("parser.addoption('--when', default='after')", []),
        ("parser.addoption('--before', action='store_true')", []),
    ],
    ids=[
        "choices",
        "default",
        "long-choices-dest",
        "long-default",
        "path-default",
        "one-side",
        "choices-win",
        "other-flag-choices",
        "side-word-default",
        "default-only-no-side-word",
        "flag",
    ],
)
def test_side_options_recognises_a_side_choosing_option(tmp_path: Path, body: str, found: list[SideOption]) -> None:
    assert list(side_options([_conftest(tmp_path, body)], FLAGS)) == found


def test_side_options_ignores_a_conftest_that_does_not_parse(tmp_path: Path) -> None:
    root = _conftest(tmp_path, "parser.addoption('--repo', default='after'")

    assert side_options([root], FLAGS) == ()


@pytest.mark.parametrize(
    ("kind", "tokens", "value", "lines"),
    [
        (SideKind.BEFORE, [], "before", ["gtguard: task option --repo=before"]),
        (SideKind.AFTER, ["-q"], "after", ["gtguard: task option --repo=after"]),
        (
            SideKind.BEFORE,
            ["--repo", "after"],
            "after",
            ["gtguard: task option --repo=after as given (the side under test is before)"],
        ),
        (SideKind.BEFORE, ["--repo=before"], "before", []),
        (SideKind.CANDIDATE, [], "after", []),
    ],
    ids=["before", "after", "given-differs", "given-agrees", "candidate"],
)
def test_hand_side_sets_the_option_unless_given(
    tmp_path: Path, kind: SideKind, tokens: list[str], value: str, lines: list[str]
) -> None:
    root = _conftest(tmp_path, "parser.addoption('--repo', default='after', choices=['before', 'after'])")
    current = "before" if "--repo=before" in tokens else "after"
    namespace = Namespace(repo=current)

    got = hand_side(namespace, starts=[root], flags=FLAGS, kind=kind, tokens=tokens)

    assert (namespace.repo, got) == (value, lines)


def test_hand_side_leaves_an_option_no_loaded_conftest_declared(tmp_path: Path) -> None:
    root = _conftest(tmp_path, "parser.addoption('--repo', default='after')")
    namespace = Namespace()

    assert hand_side(namespace, starts=[root], flags=FLAGS, kind=SideKind.BEFORE, tokens=[]) == []
    assert not hasattr(namespace, "repo")
