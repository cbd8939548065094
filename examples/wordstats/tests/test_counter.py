import pytest

from wordstats.counter import top_words, words


def test_splits_plain_words():
    assert words("a b c") == ["a", "b", "c"]


def test_top_word_of_repeated_text():
    assert top_words("x y x", 1) == ["x"]


def test_counts_ignore_case():
    assert top_words("The cat saw the dog", 1) == ["the"]


def test_punctuation_is_not_part_of_a_word():
    assert words("Hello, world!") == ["hello", "world"]


def test_negative_n_is_rejected():
    with pytest.raises(ValueError):
        top_words("a b", -1)
