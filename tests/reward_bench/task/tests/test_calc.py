import pytest
from calc import add, mean, parse_pair, slugify


def test_add():
    assert add(2, 3) == 5


def test_mean():
    assert mean([0.1, 0.2, 0.3]) == pytest.approx(0.2)


def test_mean_rejects_empty_input():
    with pytest.raises(ValueError):
        mean([])


def test_slugify():
    assert slugify("Hello World") == "hello-world"


def test_slugify_cases(slug_cases):
    for text, expected in slug_cases.items():
        assert slugify(text) == expected


class TestParsePair:
    def test_parse_pair(self):
        assert parse_pair(" key = value ") == ("key", "value")

    def test_parse_pair_rejects_missing_equals(self):
        with pytest.raises(ValueError):
            parse_pair("novalue")
