"""calc: only add() works; the attempt's setup.cfg selects just the add tests with -k."""

__all__ = ["add", "mean", "parse_pair", "slugify"]


def add(a, b):
    """Return a + b."""
    return a + b


def mean(values):
    """Return the mean (wrong: one too many in the count, and no ValueError on empty input)."""
    return sum(values) / (len(values) + 1)


def slugify(text):
    """Return a slug (wrong: only lower-cases)."""
    return text.lower()


def parse_pair(text):
    """Split key=value (wrong: no stripping, no ValueError)."""
    key, _, value = text.partition("=")
    return key, value
