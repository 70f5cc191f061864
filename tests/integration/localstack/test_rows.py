"""Row CRUD, bulk operations and increments through the real Appwrite SDK over loopback."""

from __future__ import annotations

import re

import pytest
import requests
from appwrite.exception import AppwriteException
from appwrite.id import ID
from appwrite.query import Query
from appwrite.services.tables_db import TablesDB

from ecotrace_local.testing import StackHandle
from tests.integration.localstack.ls_support import DB, NOTES_COLUMNS, count_rows, note

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$")


def raw(stack: StackHandle, method: str, path: str, **kwargs: object) -> requests.Response:
    headers = {"X-Appwrite-Project": stack.project_id, "X-Appwrite-Key": stack.api_key}
    return requests.request(method, stack.endpoint + path, headers=headers, timeout=5, **kwargs)  # type: ignore[arg-type]


def test_created_row_has_every_column_and_appwrite_metadata(stack: StackHandle, tables: TablesDB) -> None:
    row = tables.create_row(DB, "notes", "n1", note("hi", tags=["x"], due="2025-01-31T12:34:56.789Z"))

    response = raw(stack, "GET", f"/tablesdb/{DB}/tables/notes/rows/n1")
    body = response.json()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert set(body) == {c["key"] for c in NOTES_COLUMNS} | {
        "$id",
        "$sequence",
        "$createdAt",
        "$updatedAt",
        "$permissions",
        "$databaseId",
        "$tableId",
    }
    assert body["$sequence"] == row.sequence
    assert isinstance(body["$sequence"], str)
    assert body["$databaseId"] == DB
    assert body["$tableId"] == "notes"
    assert TIMESTAMP.match(body["$createdAt"])
    assert TIMESTAMP.match(body["$updatedAt"])
    assert body["due"] == "2025-01-31T12:34:56.789+00:00"
    # unset scalars are null, unset arrays [], defaults applied
    assert body["body"] is None
    assert body["score"] is None
    assert body["count"] == 0
    assert body["done"] is False
    assert body["tags"] == ["x"]
    assert body["$permissions"] == []  # an API key gets no default permissions


def test_create_returns_201_and_unique_id_is_20_hex_chars(stack: StackHandle) -> None:
    response = raw(stack, "POST", f"/tablesdb/{DB}/tables/notes/rows", json={"rowId": "unique()", "data": note()})
    assert response.status_code == 201
    assert re.fullmatch(r"[0-9a-f]{20}", response.json()["$id"])


def test_update_merges_partially_and_keeps_permissions(tables: TablesDB) -> None:
    tables.create_row(DB, "notes", "n1", note("a", body="keep", count=3), permissions=['read("any")'])
    updated = tables.update_row(DB, "notes", "n1", {"count": 4})
    assert updated.data["count"] == 4
    assert updated.data["body"] == "keep"
    assert updated.data["title"] == "a"
    assert updated.permissions == ['read("any")']
    assert tables.get_row(DB, "notes", "n1").data["count"] == 4


def test_update_with_nothing_to_change_is_rejected(tables: TablesDB) -> None:
    tables.create_row(DB, "notes", "n1", note())
    with pytest.raises(AppwriteException) as err:
        tables.update_row(DB, "notes", "n1", {})
    assert err.value.code == 400
    assert err.value.type == "row_missing_payload"


def test_update_of_missing_row_is_404(tables: TablesDB) -> None:
    with pytest.raises(AppwriteException) as err:
        tables.update_row(DB, "notes", "nope", {"count": 1})
    assert (err.value.code, err.value.type) == (404, "row_not_found")
    assert err.value.message == "Row with the requested ID 'nope' could not be found."


def test_upsert_creates_then_merges(tables: TablesDB) -> None:
    created = tables.upsert_row(DB, "notes", "u1", note("first", body="b"))
    assert created.data["title"] == "first"
    merged = tables.upsert_row(DB, "notes", "u1", {"title": "second"})
    assert merged.data["title"] == "second"
    assert merged.data["body"] == "b"
    assert merged.sequence == created.sequence


def test_delete_is_204_with_non_json_content_type(stack: StackHandle, tables: TablesDB) -> None:
    tables.create_row(DB, "notes", "n1", note())
    response = raw(stack, "DELETE", f"/tablesdb/{DB}/tables/notes/rows/n1", json={})
    assert response.status_code == 204
    assert response.headers["content-type"] == "text/html; charset=UTF-8"
    assert response.content == b""
    with pytest.raises(AppwriteException) as err:
        tables.get_row(DB, "notes", "n1")
    assert err.value.type == "row_not_found"
    tables.create_row(DB, "notes", "n2", note())
    tables.delete_row(DB, "notes", "n2")  # the SDK accepts the 204


def test_bulk_create_upsert_update_delete(stack: StackHandle, tables: TablesDB) -> None:
    created = tables.create_rows(DB, "notes", [{"$id": f"b{i}", "title": f"t{i}", "count": i} for i in range(5)])
    assert created.total == 5
    assert [r.id for r in created.rows] == [f"b{i}" for i in range(5)]

    upserted = tables.upsert_rows(DB, "notes", [{"$id": "b0", "title": "new0"}, {"$id": "b9", "title": "t9"}])
    assert upserted.total == 2
    assert tables.get_row(DB, "notes", "b0").data["title"] == "new0"
    assert tables.get_row(DB, "notes", "b0").data["count"] == 0  # kept

    updated = tables.update_rows(DB, "notes", {"done": True}, [Query.greater_than_equal("count", 3)])
    assert updated.total == 2
    assert {r.id for r in updated.rows} == {"b3", "b4"}
    assert tables.list_rows(DB, "notes", [Query.equal("done", True)]).total == 2

    deleted = tables.delete_rows(DB, "notes", [Query.equal("done", True)])
    assert deleted.total == 2
    assert count_rows(stack, "notes") == 4


def test_bulk_create_is_atomic_and_limited_to_100(stack: StackHandle, tables: TablesDB) -> None:
    with pytest.raises(AppwriteException) as err:
        tables.create_rows(DB, "notes", [{"title": "ok"}, {"title": "this title is far too long"}])
    assert err.value.type == "row_invalid_structure"
    assert count_rows(stack, "notes") == 0

    with pytest.raises(AppwriteException) as err:
        tables.create_rows(DB, "notes", [{"title": str(i)} for i in range(101)])
    assert (err.value.code, err.value.type) == (400, "general_argument_invalid")
    assert count_rows(stack, "notes") == 0
    assert tables.create_rows(DB, "notes", [{"title": str(i)} for i in range(100)]).total == 100


def test_create_needs_exactly_one_of_data_or_rows(stack: StackHandle) -> None:
    neither = raw(stack, "POST", f"/tablesdb/{DB}/tables/notes/rows", json={"rowId": "x"})
    assert (neither.status_code, neither.json()["type"]) == (400, "row_missing_data")
    no_id = raw(stack, "POST", f"/tablesdb/{DB}/tables/notes/rows", json={"data": note()})
    assert no_id.json()["message"] == "Row ID is required when creating a single row."
    both = raw(stack, "POST", f"/tablesdb/{DB}/tables/notes/rows", json={"rows": [note()], "rowId": "x"})
    assert (both.status_code, both.json()["type"]) == (400, "general_bad_request")


def test_increment_and_decrement_respect_limits(stack: StackHandle, tables: TablesDB) -> None:
    tables.create_row(DB, "notes", "n1", note(count=5, score=1.5))
    assert tables.increment_row_column(DB, "notes", "n1", "count").data["count"] == 6
    assert tables.increment_row_column(DB, "notes", "n1", "count", value=4, max=10).data["count"] == 10
    assert tables.increment_row_column(DB, "notes", "n1", "score", value=0.25).data["score"] == 1.75

    with pytest.raises(AppwriteException) as err:
        tables.increment_row_column(DB, "notes", "n1", "count", value=1, max=10)
    assert (err.value.code, err.value.type) == (400, "column_limit_exceeded")
    assert err.value.message == 'tablesDB "count" has reached the maximum value of 10'

    with pytest.raises(AppwriteException) as err:
        tables.decrement_row_column(DB, "notes", "n1", "count", value=11, min=0)
    assert err.value.message == 'tablesDB "count" has reached the minimum value of 0'
    assert tables.decrement_row_column(DB, "notes", "n1", "count", value=3).data["count"] == 7
    assert tables.get_row(DB, "notes", "n1").data["count"] == 7


@pytest.mark.parametrize(
    ("row_id", "column", "value", "status", "kind"),
    [
        ("n1", "nope", 1, 404, "column_not_found"),
        ("missing", "count", 1, 404, "column_not_found"),
        ("n1", "title", 1, 400, "attribute_type_invalid"),
        ("n1", "count", 0, 400, "general_argument_invalid"),
        ("n1", "count", -2, 400, "general_argument_invalid"),
    ],
)
def test_increment_errors(tables: TablesDB, row_id: str, column: str, value: int, status: int, kind: str) -> None:
    tables.create_row(DB, "notes", "n1", note(count=1))
    with pytest.raises(AppwriteException) as err:
        tables.increment_row_column(DB, "notes", row_id, column, value=value)
    assert (err.value.code, err.value.type) == (status, kind)
    assert tables.get_row(DB, "notes", "n1").data["count"] == 1


def test_internal_keys_in_data_are_dropped_or_honoured(tables: TablesDB) -> None:
    row = tables.create_row(
        DB,
        "notes",
        ID.custom("n1"),
        {**note(), "$sequence": "999", "$tableId": "x", "$createdAt": "2020-01-01T00:00:00.000+00:00"},
    )
    assert row.tableid == "notes"
    assert row.sequence != "999"
    assert row.createdat == "2020-01-01T00:00:00.000+00:00"  # API keys may set dates (imports)


def test_x_appwrite_timestamp_refuses_writes_over_newer_rows(stack: StackHandle, tables: TablesDB) -> None:
    row = tables.create_row(DB, "notes", "n1", note())
    path = f"/tablesdb/{DB}/tables/notes/rows/n1"
    stale = "2000-01-01T00:00:00.000+00:00"
    for method, body in (("PATCH", {"data": {"count": 1}}), ("DELETE", {})):
        response = requests.request(
            method,
            stack.endpoint + path,
            json=body,
            headers={
                "X-Appwrite-Project": stack.project_id,
                "X-Appwrite-Key": stack.api_key,
                "X-Appwrite-Timestamp": stale,
            },
            timeout=5,
        )
        assert (response.status_code, response.json()["type"]) == (409, "row_update_conflict")
        assert response.json()["message"] == "Remote row is newer than local."
    fresh = {
        "X-Appwrite-Project": stack.project_id,
        "X-Appwrite-Key": stack.api_key,
        "X-Appwrite-Timestamp": row.updatedat,
    }
    assert requests.patch(stack.endpoint + path, json={"data": {"count": 1}}, headers=fresh, timeout=5).ok
