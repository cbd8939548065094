"""The command surface: one naming rule for every option, hidden plumbing, deprecated spellings."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from pytest_gtguard._option import old_dest
from pytest_gtguard.settings import ALL_OPTIONS, Option, deprecated_uses, resolve

ROOT = Path(__file__).resolve().parents[1]
SHORT_FORMS = {"--before", "--after", "--repo", "--meta"}
HIDDEN = {"--gtguard-shuffle", "--gtguard-reach-sides", "--gtguard-trace-sides"}

# Every old spelling, the option it stands for, a value and what the option then reads.
OLD_SPELLINGS = [
    ("--meta-seed", "gtguard_meta_seed", "7", "7"),
    ("--meta-max-mutants", "gtguard_meta_max_mutants", "4", "4"),
    ("--meta-min-score", "gtguard_meta_min_score", "50", "50.0"),
    ("--gtguard-meta-variant", "gtguard_meta_variants", "calc.py=broken.py", "('calc.py=broken.py',)"),
]


def _name(opt: Option) -> str:
    return opt.dest.removeprefix("gtguard_")


@pytest.mark.parametrize("opt", ALL_OPTIONS, ids=lambda o: o.dest)
def test_option_follows_the_naming_rule(opt: Option) -> None:
    assert opt.dest.startswith("gtguard_")
    if opt.flags:
        assert set(opt.flags) - SHORT_FORMS == {opt.flags[-1]}, "one --gtguard- spelling, last, beside a short form"
        assert opt.flags[-1] == "--gtguard-" + _name(opt).replace("_", "-")
    if opt.ini:
        assert opt.ini == opt.dest
    if opt.env:
        assert opt.env == opt.dest.upper()


def test_option_old_spellings_are_exactly_the_documented_ones() -> None:
    declared = {(flag, opt.dest) for opt in ALL_OPTIONS for flag in opt.deprecated}

    assert declared == {(flag, dest) for flag, dest, _, _ in OLD_SPELLINGS}


def test_option_plumbing_is_hidden_but_declared() -> None:
    assert {opt.flags[-1] for opt in ALL_OPTIONS if opt.hidden} == HIDDEN


def test_help_lists_new_spellings_only(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")

    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*--gtguard-meta-seed=N*", "*--gtguard-meta-variants=TARGET=VARIANT*"])
    out = result.stdout.str()
    for flag in [*HIDDEN, *(old for old, *_ in OLD_SPELLINGS)]:
        assert f"{flag}=" not in out and f"{flag} " not in out, f"{flag} is listed in --help"


def test_hidden_plumbing_is_still_accepted(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="def test_one():\n    pass\n\ndef test_two():\n    pass\n")

    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--gtguard-shuffle", "3", "--gtguard-reach-sides", "--gtguard-results", "out.json"
    )

    result.assert_outcomes(passed=2)
    assert (pytester.path / "out.json").is_file()


@pytest.mark.parametrize(("old", "dest", "value", "expected"), OLD_SPELLINGS, ids=[o[0] for o in OLD_SPELLINGS])
def test_old_spelling_warns_once_and_still_works(
    pytester: pytest.Pytester, old: str, dest: str, value: str, expected: str
) -> None:
    new = next(opt.flags[-1] for opt in ALL_OPTIONS if opt.dest == dest)
    pytester.makepyfile(
        test_value=f"""
        from pytest_gtguard._config import option

        def test_value(pytestconfig):
            got = option(pytestconfig, {dest!r})
            assert (repr(got.value) if isinstance(got.value, tuple) else str(got.value)) == {expected!r}
            assert got.source == "command-line option {old}"
        """
    )

    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "always", f"{old}={value}")

    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines([f"*GtguardDeprecationWarning: {old} is deprecated*: use {new}"])
    assert result.stdout.str().count("is deprecated") == 1


def test_old_spelling_is_an_error_under_filterwarnings_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(test_a="def test_a():\n    pass\n")

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--meta-seed", "1")

    assert result.ret != pytest.ExitCode.OK
    assert "use --gtguard-meta-seed" in result.stdout.str() + result.stderr.str()


def test_old_spelling_bad_value_names_the_spelling_given(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider", "--meta-min-score", "101")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*command-line option --meta-min-score: got '101'*at most 100*"])


def test_new_spelling_wins_over_the_old_one() -> None:
    opt = next(o for o in ALL_OPTIONS if o.dest == "gtguard_meta_seed")
    ns = argparse.Namespace(**{opt.dest: "2", old_dest(opt): "9"})

    got = resolve(opt, cli=ns, environ={}, getini=lambda name: None, base=ROOT)

    assert (got.value, got.source) == (2, "command-line option --gtguard-meta-seed")
    assert deprecated_uses(ns, [opt]) == [
        "--meta-seed is deprecated and will be removed in the next release: use --gtguard-meta-seed"
    ]


def test_configuration_page_shows_old_spellings_and_omits_plumbing() -> None:
    table = (ROOT / "docs" / "configuration.md").read_text().split("<!-- options:start -->")[1]

    for old, *_ in OLD_SPELLINGS:
        assert f"(deprecated: `{old}`)" in table
    for flag in HIDDEN:
        assert f"`{flag}`" not in table
