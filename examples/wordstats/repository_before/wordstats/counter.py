"""Count words."""

from collections import Counter


def words(text):
    return text.split()


def top_words(text, n):
    """Return the n most common words, most common first, ties in first-seen order."""
    counts = Counter(words(text))
    return [word for word, _ in counts.most_common(n)]
