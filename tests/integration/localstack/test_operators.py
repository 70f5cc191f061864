"""Atomic update operators (the SDK's ``Operator`` strings) in update, upsert and bulk update."""

from __future__ import annotations

from typing import Any

import pytest
from appwrite.exception import AppwriteException
from appwrite.operator import Operator
from appwrite.query import Query
from appwrite.services.tables_db import TablesDB

from tests.integration.localstack.ls_support import DB, note


@pytest.mark.parametrize(
    ("start", "change", "expected"),
    [
        ({"count": 5}, {"count": Operator.increment(3)}, {"count": 8}),
        ({"count": 5}, {"count": Operator.increment(10, max=12)}, {"count": 12}),
        ({"count": 5}, {"count": Operator.decrement(9, min=0)}, {"count": 0}),
        ({"count": 5}, {"count": Operator.multiply(3)}, {"count": 15}),
        ({"score": 9.0}, {"score": Operator.divide(2)}, {"score": 4.5}),
        ({"count": 7}, {"count": Operator.modulo(4)}, {"count": 3}),
        ({"tags": ["a"]}, {"tags": Operator.array_append(["b", "c"])}, {"tags": ["a", "b", "c"]}),
        ({"tags": ["a"]}, {"tags": Operator.array_prepend(["z"])}, {"tags": ["z", "a"]}),
        ({"tags": ["a", "b", "a"]}, {"tags": Operator.array_remove("a")}, {"tags": ["b"]}),
        ({"tags": ["a", "b", "a"]}, {"tags": Operator.array_unique()}, {"tags": ["a", "b"]}),
        ({"tags": ["a", "c"]}, {"tags": Operator.array_insert(1, "b")}, {"tags": ["a", "b", "c"]}),
        ({"body": "ab"}, {"body": Operator.string_concat("cd")}, {"body": "abcd"}),
        ({"body": "a-b-c"}, {"body": Operator.string_replace("-", "+")}, {"body": "a+b+c"}),
        ({"done": False}, {"done": Operator.toggle()}, {"done": True}),
        (
            {"due": "2025-01-30T10:00:00.000+00:00"},
            {"due": Operator.date_add_days(3)},
            {"due": "2025-02-02T10:00:00.000+00:00"},
        ),
    ],
)
def test_update_applies_operators(
    tables: TablesDB, start: dict[str, Any], change: dict[str, Any], expected: dict[str, Any]
) -> None:
    tables.create_row(DB, "notes", "n1", note(**start))
    updated = tables.update_row(DB, "notes", "n1", change)
    assert {k: updated.data[k] for k in expected} == expected
    assert {k: tables.get_row(DB, "notes", "n1").data[k] for k in expected} == expected


def test_operators_in_upsert_and_bulk_update(tables: TablesDB) -> None:
    tables.create_rows(DB, "notes", [{"$id": f"r{i}", "title": "t", "count": i} for i in range(3)])
    tables.upsert_row(DB, "notes", "r0", {"count": Operator.increment(5)})
    tables.update_rows(DB, "notes", {"count": Operator.increment(1)}, [Query.greater_than("count", 0)])
    counts = {r.id: r.data["count"] for r in tables.list_rows(DB, "notes").rows}
    assert counts == {"r0": 6, "r1": 2, "r2": 3}


def test_operator_results_are_still_validated(tables: TablesDB) -> None:
    tables.create_row(DB, "notes", "n1", note(count=99))
    with pytest.raises(AppwriteException) as err:
        tables.update_row(DB, "notes", "n1", {"count": Operator.increment(5)})  # column max is 100
    assert err.value.type == "row_invalid_structure"
    with pytest.raises(AppwriteException) as err:
        tables.update_row(DB, "notes", "n1", {"count": '{"method":"divide","values":[0]}'})  # SDK refuses 0
    assert (err.value.code, err.value.type) == (400, "general_argument_invalid")
    assert tables.get_row(DB, "notes", "n1").data["count"] == 99


def test_ordinary_json_text_is_not_taken_for_an_operator(tables: TablesDB) -> None:
    tables.create_row(DB, "notes", "n1", note())
    text = '{"method": "increment", "values": [1], "note": "just data"}'
    assert tables.update_row(DB, "notes", "n1", {"body": text}).data["body"] == text


def test_an_upsert_that_creates_the_row_applies_its_operators_to_the_column_defaults(tables: TablesDB) -> None:
    # utopia-php/database Adapter/SQL.php upsertDocuments: "For new documents, apply operators to attribute
    # defaults" (applyOperatorToValue: increment of null is 0 + value)
    tables.upsert_row(DB, "notes", "fresh", {"title": "t", "count": Operator.increment(4)})
    with_tx = tables.create_transaction(ttl=60)
    tables.create_operations(
        with_tx.id,
        operations=[
            {
                "action": "upsert",
                "databaseId": DB,
                "tableId": "notes",
                "rowId": "staged",
                "data": {"title": "t", "count": Operator.increment(2), "score": Operator.increment(1.5)},
            }
        ],
    )
    tables.update_transaction(with_tx.id, commit=True)
    assert tables.get_row(DB, "notes", "fresh").data["count"] == 4
    staged = tables.get_row(DB, "notes", "staged").data
    assert (staged["count"], staged["score"]) == (2, 1.5)
