"""User text is never read by Appwrite as an update operator (issue 14 item 2), and EcoTrace's own increments are.

Appwrite parses a string shaped like its operator JSON in update, upsert and bulk-update data, and in every
operation of a transaction (``create`` included): ``ports.operator_shaped`` is that test, the port refuses such a
string wherever it would be parsed, and the row codec (``tables.text``) stores user text so that it never is one.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecotrace.ports import OPERATOR_METHODS, Add, OperatorTextError, operator_shaped
from ecotrace.tables.text import MARK, read_text, stored_text
from tests.fakes.memory_store import MemoryStore

OPERATOR_STRINGS = [
    '{"method":"multiply","values":[3]}',
    '{"method":"increment"}',
    ' \n{"method":"toggle","values":[]}',  # PHP's json_decode skips JSON whitespace too
    '{"\\u006dethod":"stringConcat","values":["x"]}',  # an escaped key decodes to "method"
    '{"values":[1],"method":"dateSetNow","extra":true}',  # extra keys are ignored by Operator::parseOperator
]
PLAIN_STRINGS = ["", "fix: {method} placeholder", '{"method":"explode"}', '["method","increment"]', "{", "{}"]


@pytest.mark.parametrize("text", OPERATOR_STRINGS)
def test_strings_appwrite_parses_as_operators_are_recognised(text: str) -> None:
    assert operator_shaped(text)


@pytest.mark.parametrize("text", PLAIN_STRINGS)
def test_other_strings_are_not(text: str) -> None:
    assert not operator_shaped(text)


def test_the_method_list_is_appwrites() -> None:
    assert len(OPERATOR_METHODS) == 20
    assert {"increment", "decrement", "multiply", "stringReplace", "arrayFilter", "dateSetNow"} <= OPERATOR_METHODS


@pytest.mark.parametrize("text", OPERATOR_STRINGS)
def test_the_port_refuses_an_operator_string_wherever_appwrite_would_parse_it(text: str) -> None:
    store = MemoryStore(schema=None)
    store.seed("t", "r1", {"title": "x"})
    for stage in (
        lambda tx: tx.create("t", "r2", {"title": text}),
        lambda tx: tx.update("t", "r1", {"title": text}),
        lambda tx: tx.upsert("t", "r1", {"title": text}),
        lambda tx: tx.bulk_create("t", [{"$id": "r3", "title": text}]),
    ):
        with pytest.raises(OperatorTextError) as info, store.transaction() as tx:
            stage(tx)
        assert info.value.status == 422
    with pytest.raises(OperatorTextError):
        store.update("t", "r1", {"title": text})
    with pytest.raises(OperatorTextError):
        store.upsert("t", "r1", {"title": text})
    with pytest.raises(OperatorTextError):
        store.bulk_upsert("t", [{"$id": "r1", "title": text}])
    assert store.commits == []
    assert store.by_id("t")["r1"]["title"] == "x"


def test_a_direct_create_is_not_parsed_so_it_may_hold_any_string() -> None:
    store = MemoryStore(schema=None)
    store.create("t", "r1", {"body": OPERATOR_STRINGS[0]})  # Appwrite's create endpoint parses no operators
    assert store.by_id("t")["r1"]["body"] == OPERATOR_STRINGS[0]


def test_an_add_is_sent_as_appwrites_operator_and_applied_from_the_column_default() -> None:
    store = MemoryStore()
    with store.transaction() as tx:
        tx.upsert("user_stats", "gh_1", {"user_id": "gh_1", "github_login": "dev", "commit_count": Add(2)})
    (operations,) = store.commits
    assert json.loads(operations[0]["data"]["commit_count"]) == {"method": "increment", "values": [2]}
    with store.transaction() as tx:
        tx.upsert("user_stats", "gh_1", {"commit_count": Add(-1), "carbon_kg": Add(0.5)})
    row = store.by_id("user_stats")["gh_1"]
    assert (row["commit_count"], row["carbon_kg"]) == (1, 0.5)
    assert json.loads(store.commits[1][0]["data"]["commit_count"]) == {"method": "decrement", "values": [1]}


@given(st.text())
def test_any_text_reads_back_exactly_and_is_never_stored_operator_shaped(text: str) -> None:
    stored = stored_text(text)
    assert read_text(stored) == text
    assert not operator_shaped(stored)
    assert stored == text or stored == MARK + text


@given(st.sampled_from(OPERATOR_STRINGS) | st.text(), st.integers(min_value=2, max_value=64))
def test_marked_text_still_fits_its_column(text: str, size: int) -> None:
    text = text[:size]
    stored = stored_text(text, size)
    assert len(stored) <= size
    assert not operator_shaped(stored)
    if len(text) < size:
        assert read_text(stored) == text
