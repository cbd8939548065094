"""The reference suite: what a good answer to this task looks like."""

import calendar
import random

import pytest

from leapyear import is_leap


@pytest.mark.parametrize("year", [4, 2024])
def test_every_fourth_year_is_leap(year):
    assert is_leap(year) is True


@pytest.mark.parametrize("year", [1, 2023])
def test_other_years_are_common(year):
    assert is_leap(year) is False


@pytest.mark.parametrize("year", [1900, 2100])
def test_centuries_are_common(year):
    assert is_leap(year) is False


@pytest.mark.parametrize("year", [400, 2000])
def test_every_fourth_century_is_leap(year):
    assert is_leap(year) is True


@pytest.mark.parametrize("year", [0, -4])
def test_years_before_1_are_rejected(year):
    with pytest.raises(ValueError, match="^year must be 1 or later$"):
        is_leap(year)


def test_agrees_with_the_calendar_module_on_fresh_random_years():
    # New years on every run: a version that only knows the years above cannot pass this test.
    for year in random.sample(range(1, 100_000), 300):
        assert is_leap(year) is calendar.isleap(year), year
