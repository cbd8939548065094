"""Broken: forgets the 400-year rule (2000 counts as a common year)."""


def is_leap(year):
    if year < 1:
        raise ValueError("year must be 1 or later")
    return year % 4 == 0 and year % 100 != 0
