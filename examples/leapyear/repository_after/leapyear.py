"""Leap years of the Gregorian calendar."""


def is_leap(year):
    """Return True if ``year`` (1 or later) is a leap year; raise ValueError for year < 1."""
    if year < 1:
        raise ValueError("year must be 1 or later")
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
