"""Broken: forgets the century rule (1900 counts as a leap year)."""


def is_leap(year):
    if year < 1:
        raise ValueError("year must be 1 or later")
    return year % 4 == 0
