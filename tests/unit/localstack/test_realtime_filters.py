"""Realtime helpers: subscription query filters, channel conversion, who may receive an event."""

from __future__ import annotations

import json

import pytest
from appwrite.query import Query
from hypothesis import given
from hypothesis import strategies as st

from ecotrace_local.runtime.realtime import convert_channels, may_receive, payload_filter

numbers = st.integers(min_value=-1000, max_value=1000)


@given(numbers, numbers)
def test_comparison_filters_agree_with_python(value: int, bound: int) -> None:
    row = {"score": value}
    assert payload_filter(Query.greater_than("score", bound))(row) is (value > bound)
    assert payload_filter(Query.greater_than_equal("score", bound))(row) is (value >= bound)
    assert payload_filter(Query.less_than("score", bound))(row) is (value < bound)
    assert payload_filter(Query.less_than_equal("score", bound))(row) is (value <= bound)


@given(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3), st.sampled_from(["a", "b", "c", None]))
def test_equal_matches_any_listed_value_and_not_equal_none_of_them(values: list[str], value: str | None) -> None:
    row = {"status": value}
    assert payload_filter(Query.equal("status", values))(row) is (value in values)
    assert payload_filter(Query.not_equal("status", values))(row) is (value not in values)


def test_null_filters_and_missing_attributes() -> None:
    assert payload_filter(Query.is_null("x"))({}) is True
    assert payload_filter(Query.is_not_null("x"))({"x": 0}) is True
    assert payload_filter(Query.greater_than("x", 1))({}) is False  # a missing value matches no comparison
    assert payload_filter(Query.greater_than("x", 1))({"x": "text"}) is False  # nor a value of another type


@pytest.mark.parametrize(
    "query",
    [
        "not json",
        json.dumps({"method": "search", "attribute": "t", "values": ["x"]}),
        json.dumps([1]),
        json.dumps({"method": "equal", "values": ["x"]}),
        json.dumps({"method": "equal", "attribute": "a", "values": []}),
    ],
)
def test_unsupported_or_malformed_queries_are_refused(query: str) -> None:
    with pytest.raises(ValueError):
        payload_filter(query)


def test_account_channel_adds_the_users_own_channel() -> None:
    assert convert_channels(["account", "rows", "rows"], "u1") == ["account", "account.u1", "rows"]
    assert convert_channels(["account"], None) == ["account"]


@pytest.mark.parametrize(
    ("connection", "event", "expected"),
    [
        ({"any", "guests"}, {"any"}, True),
        ({"any", "guests"}, {"users"}, False),
        ({"any", "users", "user:u1"}, {"user:u1"}, True),
        ({"any", "users", "user:u1"}, {"user:u2"}, False),
        ({"any", "users", "user:u1"}, set(), False),  # no read roles at all: nobody
    ],
)
def test_who_may_receive(connection: set[str], event: set[str], expected: bool) -> None:
    assert may_receive(frozenset(connection), frozenset(event)) is expected
