"""Shared test data for the calc tests."""

import pytest

SLUG_CASES = {
    "Hello World": "hello-world",
    "  Rock & Roll!  ": "rock-roll",
    "Already-Slugged": "already-slugged",
    "Numbers 2 Go": "numbers-2-go",
}


@pytest.fixture
def slug_cases():
    return dict(SLUG_CASES)
