"""Count words."""

import re
from collections import Counter

_WORD = re.compile(r"[a-z0-9']+")


def words(text):
    return _WORD.findall(text.lower())


def top_words(text, n):
    """Return the n most common words, most common first, ties in first-seen order."""
    if n < 0:
        raise ValueError("n must be >= 0")
    counts = Counter(words(text))
    return [word for word, _ in counts.most_common(n)]
