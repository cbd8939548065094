"""pytest_gtguard.strategies: every listed edge is reachable, deterministically, and the strategies work in a task."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from pytest_gtguard import strategies as gs

# Derandomized, no database: the same search every run, so "reaches X" can never flake.
SEARCH = settings(database=None, derandomize=True, max_examples=3000, suppress_health_check=list(HealthCheck))
PROPERTY = settings(database=None, derandomize=True, max_examples=150, deadline=None)


TEXT = gs.hostile_text(long_size=300)  # the long draws are 300+ characters: cheap to search, same pieces


def reaches(strategy: st.SearchStrategy[Any], condition: Callable[[Any], bool]) -> Any:
    return find(strategy, condition, settings=SEARCH)


def collect(strategy: st.SearchStrategy[Any], examples: int) -> list[Any]:
    """Draw ``examples`` values in one derandomized pass (the same values every run)."""
    seen: list[Any] = []

    @given(strategy)
    @settings(SEARCH, max_examples=examples, phases=[Phase.generate])
    def draw(value: Any) -> None:
        seen.append(value)

    draw()
    return seen


def test_hostile_text_reaches_every_listed_character() -> None:
    listed = {"\x00", *gs.CONTROL, *gs.ZERO_WIDTH, *gs.BIDI, *gs.COMBINING}
    drawn = set("".join(collect(TEXT, 800)))
    for char in sorted(listed - drawn, key=ord):  # the rare ones: search for each until it turns up
        drawn |= set(reaches(TEXT, lambda s, c=char: c in s))
    assert sorted(listed - drawn, key=ord) == []


def test_hostile_text_reaches_very_long_strings() -> None:
    assert len(reaches(gs.hostile_text(long_size=2000), lambda s: len(s) >= 2000)) >= 2000


def test_hostile_text_reaches_a_mix_of_normalisation_forms() -> None:
    text = reaches(TEXT, lambda s: not unicodedata.is_normalized("NFC", s))
    mixed = reaches(
        TEXT,
        lambda s: not unicodedata.is_normalized("NFC", s) and not unicodedata.is_normalized("NFD", s),
    )
    assert unicodedata.normalize("NFC", text) != text
    assert unicodedata.normalize("NFC", mixed) != mixed != unicodedata.normalize("NFD", mixed)


def test_hostile_text_reaches_combining_mark_stacks() -> None:
    text = reaches(TEXT, lambda s: sum(unicodedata.combining(c) > 0 for c in s) >= 5)
    assert sum(unicodedata.combining(c) > 0 for c in text) >= 5


def test_hostile_text_reaches_every_lone_surrogate_when_asked() -> None:
    drawn = set("".join(collect(gs.hostile_text(surrogates=True, long_size=300), 400)))
    assert set(gs.LONE_SURROGATES) <= drawn


@given(gs.hostile_text(min_size=3, max_size=50, long_size=100))
@PROPERTY
def test_hostile_text_respects_its_size_bounds_and_encodes_without_surrogates(text: str) -> None:
    assert 3 <= len(text) <= 50
    text.encode("utf-8")  # no lone surrogate unless surrogates=True


@pytest.mark.parametrize("edge", gs.integer_edges())
def test_extreme_integers_reach_every_word_size_edge(edge: int) -> None:
    assert reaches(gs.extreme_integers(), lambda n: n == edge) == edge


def test_integer_edges_list_the_64_bit_limits() -> None:
    assert {0, 1, -1, 2**63 - 1, -(2**63), 2**64, 2**64 - 1, 2**32 - 1} <= set(gs.integer_edges())


@given(gs.extreme_integers(min_value=-5, max_value=300))
@PROPERTY
def test_extreme_integers_stay_in_range(n: int) -> None:
    assert -5 <= n <= 300


FLOAT_EDGES: dict[str, Callable[[float], bool]] = {
    "zero": lambda x: x == 0.0 and math.copysign(1, x) > 0,
    "negative_zero": lambda x: x == 0.0 and math.copysign(1, x) < 0,
    "one": lambda x: x == 1.0,
    "minus_one": lambda x: x == -1.0,
    "nan": math.isnan,
    "inf": lambda x: x == math.inf,
    "minus_inf": lambda x: x == -math.inf,
    "subnormal": lambda x: 0 < abs(x) < sys.float_info.min,
    "max": lambda x: x == sys.float_info.max,
    "beyond_2_53": lambda x: math.isfinite(x) and abs(x) > 2**53 and x == int(x),
}


@pytest.mark.parametrize("edge", FLOAT_EDGES)
def test_extreme_floats_reach_every_edge(edge: str) -> None:
    assert FLOAT_EDGES[edge](reaches(gs.extreme_floats(), FLOAT_EDGES[edge]))


@given(gs.extreme_floats(allow_nan=False, allow_infinity=False))
@PROPERTY
def test_extreme_floats_honour_allow_nan_and_infinity(x: float) -> None:
    assert math.isfinite(x)


ORDER = {"id": 7, "items": [{"sku": "A1", "qty": 2}], "note": "gift"}


def _values(doc: Any) -> list[Any]:
    if isinstance(doc, dict):
        return [doc, *(v for x in doc.values() for v in _values(x))]
    if isinstance(doc, list):
        return [doc, *(v for x in doc for v in _values(x))]
    return [doc]


MALFORMED: dict[str, Callable[[Any], bool]] = {
    "missing_key": lambda d: d.get("items") and isinstance(d["items"][0], dict) and "qty" not in d["items"][0],
    "wrong_type": lambda d: isinstance(d.get("id"), str),
    "none": lambda d: d.get("note", "") is None,
    "extra_key": lambda d: len(d) == 4 and all(k in d for k in ORDER),
    "truncated": lambda d: d.get("note") == "gi",
}


@pytest.mark.parametrize("kind", gs.MALFORMED_KINDS)
def test_malformed_records_reach_every_kind(kind: str) -> None:
    assert MALFORMED[kind](reaches(gs.malformed_records(ORDER), MALFORMED[kind]))


def test_malformed_records_reach_a_missing_key_at_the_top() -> None:
    assert "id" not in reaches(gs.malformed_records(ORDER, kinds=["missing_key"]), lambda d: "id" not in d)


@given(gs.malformed_records(ORDER))
@PROPERTY
def test_malformed_records_always_differ_from_the_valid_record_and_leave_it_alone(doc: Any) -> None:
    assert doc != ORDER
    assert ORDER == {"id": 7, "items": [{"sku": "A1", "qty": 2}], "note": "gift"}


def test_malformed_json_reaches_text_that_does_not_parse_and_text_that_does() -> None:
    def broken(text: str) -> bool:
        try:
            json.loads(text)
        except ValueError:
            return True
        return False

    assert broken(reaches(gs.malformed_json(ORDER), broken))
    assert json.loads(reaches(gs.malformed_json(ORDER), lambda t: not broken(t))) != ORDER


def test_malformed_records_refuse_unknown_kinds_and_unbreakable_values() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        gs.malformed_records(ORDER, kinds=["mangled"])
    with pytest.raises(ValueError, match="nothing in 5 can be broken"):
        gs.malformed_records(5)


@pytest.mark.parametrize(
    ("example", "target"),
    [
        (41, 40),
        (41, 42),
        (0, 1),
        (True, False),
        (1.0, math.nextafter(1.0, 2.0)),
        ("hello", "hell"),
        ("hello", "helllo"),
        ("hello", "hlelo"),
        ("hello", "hellO"),
        ("hello", " hello"),
        ("hello", "hellp"),
        (b"ab", b"b"),
        ([1, 2, 3], [1, 3]),
        ([1, 2, 3], [1, 2, 2, 3]),
        ([1, 2, 3], [2, 1, 3]),
        ([1, 2, 3], [1, 2, 4]),
        ((1, 2), (1,)),
        ({"a": 1, "b": 2}, {"b": 2}),
        ({"a": 1, "b": 2}, {"a": 2, "b": 2}),
        ({"a": 1}, {"A": 1}),
        (None, 0),
    ],
    ids=repr,
)
def test_near_misses_reach_each_small_change(example: Any, target: Any) -> None:
    assert reaches(gs.near_misses(example), lambda v: v == target and type(v) is type(target)) == target


@given(st.data())
@PROPERTY
def test_near_misses_always_differ_from_the_example(data: st.DataObject) -> None:
    example = data.draw(st.one_of(st.integers(), st.floats(), st.text(), st.lists(st.integers(), max_size=4)))
    miss = data.draw(gs.near_misses(example))
    assert type(miss) is not type(example) or repr(miss) != repr(example)


def test_near_misses_refuse_values_they_cannot_perturb() -> None:
    with pytest.raises(ValueError, match="cannot perturb a object"):
        find(gs.near_misses(object()), lambda v: True, settings=SEARCH)


SIZE = 1000
BIG = gs.max_size_and_malformed(st.integers(0, 9), st.just("BAD"), size=SIZE, max_bad=3)


@pytest.mark.parametrize("where", [0, SIZE - 1, SIZE // 2])
def test_max_size_and_malformed_reaches_a_bad_item_first_last_and_midway(where: int) -> None:
    assert reaches(BIG, lambda xs: xs[where] == "BAD")[where] == "BAD"


def test_max_size_and_malformed_reaches_several_bad_items() -> None:
    assert reaches(BIG, lambda xs: xs.count("BAD") == 3).count("BAD") == 3


@given(BIG)
@PROPERTY
def test_max_size_and_malformed_is_always_full_size_with_one_to_max_bad_bad_items(items: list[Any]) -> None:
    assert len(items) == SIZE
    assert 1 <= items.count("BAD") <= 3


def test_max_size_and_malformed_refuses_bad_sizes() -> None:
    with pytest.raises(ValueError, match="size >= 1"):
        gs.max_size_and_malformed(st.integers(), st.none(), size=0)


def test_importing_the_plugin_does_not_import_hypothesis() -> None:
    code = "import pytest, pytest_gtguard.plugin, sys; print('hypothesis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


TASK_TEST = """
    import json
    import pytest
    from hypothesis import given, settings
    from pytest_gtguard import strategies as gs
    from orders import parse_order

    VALID = {"id": 7, "qty": 2, "sku": "A1"}
    SETTINGS = settings(database=None, derandomize=True, max_examples=60, deadline=None)

    @given(gs.malformed_json(VALID))
    @SETTINGS
    def test_malformed_orders_are_refused_with_value_error(text):
        with pytest.raises(ValueError):
            parse_order(text)

    @given(gs.extreme_integers(min_value=1, max_value=2**31 - 1))
    @SETTINGS
    def test_any_valid_quantity_is_accepted(qty):
        assert parse_order(json.dumps({"id": 1, "qty": qty, "sku": "B"}))["qty"] == qty
"""

CORRECT = """
    import json

    def parse_order(text):
        doc = json.loads(text)
        if not isinstance(doc, dict) or set(doc) != {"id", "qty", "sku"}:
            raise ValueError("bad keys")
        if type(doc["id"]) is not int or type(doc["qty"]) is not int or type(doc["sku"]) is not str:
            raise ValueError("bad types")
        if not doc["sku"] or not 1 <= doc["qty"] < 2**31:
            raise ValueError("bad values")
        return doc
"""

# Checks keys but trusts types: a wrong type or None crashes with TypeError, qty 2**31-1 is refused.
BUGGY = """
    import json

    def parse_order(text):
        doc = json.loads(text)
        if set(doc) != {"id", "qty", "sku"}:
            raise ValueError("bad keys")
        if doc["qty"] < 1 or doc["qty"] > 1000 or len(doc["sku"]) == 0:
            raise ValueError("bad values")
        return doc
"""


@pytest.mark.parametrize(("source", "outcome"), [(CORRECT, {"passed": 2}), (BUGGY, {"failed": 2})])
def test_strategies_in_a_task_style_suite_pass_good_code_and_catch_bad_code(
    pytester: pytest.Pytester, source: str, outcome: dict[str, int]
) -> None:
    pytester.makepyfile(orders=source, test_orders=TASK_TEST)
    pytester.makeini("[pytest]\npythonpath = .\n")
    for _ in range(2):  # same outcome every run: derandomized, no example database
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly")
        result.assert_outcomes(**outcome)
