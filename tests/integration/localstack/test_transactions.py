"""Transactions: staging, atomic commit, failure leaves nothing written, rollback, limits (appwrite-rest.md §4)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from appwrite.exception import AppwriteException
from appwrite.query import Query
from appwrite.services.tables_db import TablesDB

from ecotrace_local.events import RowEvent
from ecotrace_local.testing import StackHandle
from tests.integration.localstack.ls_support import DB, count_rows, note


def op(action: str, row_id: str | None = None, data: Any = None, table: str = "notes") -> dict[str, Any]:
    out: dict[str, Any] = {"action": action, "databaseId": DB, "tableId": table}
    if row_id is not None:
        out["rowId"] = row_id
    if data is not None:
        out["data"] = data
    return out


def test_commit_applies_all_operations_atomically(stack: StackHandle, tables: TablesDB) -> None:
    tables.create_row(DB, "notes", "old", note("old", count=1))
    events: list[RowEvent] = []
    unsubscribe = stack.stack.bus.subscribe(events.append)
    try:
        tx = tables.create_transaction()
        assert tx.status == "pending"
        staged = tables.create_operations(
            tx.id,
            [
                op("create", "n1", note("one")),
                op("update", "n1", {"count": 5}),
                op("increment", "old", {"column": "count", "value": 2}),
                op("bulkCreate", data=[{"$id": "b1", "title": "b"}, {"$id": "b2", "title": "c"}]),
                op("delete", "b2"),
            ],
        )
        assert staged.operations == 5
        assert events == []  # staging writes nothing
        assert count_rows(stack, "notes") == 1

        committed = tables.update_transaction(tx.id, commit=True)
    finally:
        unsubscribe()
    assert committed.status == "committed"
    assert tables.get_row(DB, "notes", "n1").data["count"] == 5
    assert tables.get_row(DB, "notes", "old").data["count"] == 3
    assert {r.id for r in tables.list_rows(DB, "notes").rows} == {"old", "n1", "b1"}
    assert [(e.row_id, e.action) for e in events] == [
        ("n1", "create"),
        ("n1", "update"),
        ("old", "update"),
        ("b1", "create"),
        ("b2", "create"),
        ("b2", "delete"),
    ]


def test_a_failing_operation_writes_nothing_and_marks_the_transaction_failed(
    stack: StackHandle, tables: TablesDB
) -> None:
    tables.create_row(DB, "notes", "taken", note())
    tx = tables.create_transaction()
    tables.create_operations(tx.id, [op("create", "n1", note("fine")), op("create", "taken", note("dup"))])
    with pytest.raises(AppwriteException) as err:
        tables.update_transaction(tx.id, commit=True)
    assert (err.value.code, err.value.type) == (409, "transaction_conflict")
    assert count_rows(stack, "notes") == 1
    assert tables.get_transaction(tx.id).status == "failed"
    with pytest.raises(AppwriteException) as err:
        tables.update_transaction(tx.id, commit=True)
    assert (err.value.code, err.value.type) == (400, "transaction_not_ready")


@pytest.mark.parametrize(
    ("operations", "status", "kind"),
    [
        ([op("create", "n1", {"title": "x" * 11})], 400, "document_invalid_structure"),
        ([op("create", "n1", note(slug="s")), op("create", "n2", note(slug="s"))], 409, "transaction_conflict"),
        (
            [op("create", "n1", note(count=99)), op("increment", "n1", {"column": "count", "max": 99})],
            400,
            "attribute_limit_exceeded",
        ),
    ],
)
def test_commit_failures_map_to_appwrite_errors(
    stack: StackHandle, tables: TablesDB, operations: list[dict[str, Any]], status: int, kind: str
) -> None:
    tx = tables.create_transaction()
    tables.create_operations(tx.id, operations)
    with pytest.raises(AppwriteException) as err:
        tables.update_transaction(tx.id, commit=True)
    assert (err.value.code, err.value.type) == (status, kind)
    assert count_rows(stack, "notes") == 0


def test_rollback_discards_and_sets_failed(stack: StackHandle, tables: TablesDB) -> None:
    tx = tables.create_transaction()
    tables.create_operations(tx.id, [op("create", "n1", note())])
    assert tables.update_transaction(tx.id, rollback=True).status == "failed"
    assert count_rows(stack, "notes") == 0


def test_staging_checks_rows_tables_and_limits(tables: TablesDB) -> None:
    tx = tables.create_transaction()
    with pytest.raises(AppwriteException) as err:
        tables.create_operations(tx.id, [op("update", "missing", {"count": 1})])
    assert (err.value.code, err.value.type) == (404, "document_not_found")
    with pytest.raises(AppwriteException) as err:
        tables.create_operations(tx.id, [op("create", "n1", note(), table="nope")])
    assert (err.value.code, err.value.type) == (404, "collection_not_found")
    with pytest.raises(AppwriteException) as err:
        tables.create_operations(tx.id, [])
    assert (err.value.code, err.value.type) == (400, "general_bad_request")

    tables.create_operations(tx.id, [op("create", f"r{i}", note()) for i in range(60)])
    with pytest.raises(AppwriteException) as err:
        tables.create_operations(tx.id, [op("create", f"s{i}", note()) for i in range(41)])
    assert (err.value.code, err.value.type) == (400, "transaction_limit_exceeded")
    assert err.value.message == "Transaction already has 60 operations, adding 41 would exceed the maximum of 100"
    assert tables.get_transaction(tx.id).operations == 60


def test_row_endpoints_stage_with_transaction_id_and_reads_see_staged_state(
    stack: StackHandle, tables: TablesDB
) -> None:
    tables.create_row(DB, "notes", "keep", note("keep", count=1))
    tx = tables.create_transaction()
    mock = tables.create_row(DB, "notes", "n1", note("staged"), transaction_id=tx.id)
    assert mock.id == "n1"
    assert mock.sequence == ""
    tables.update_row(DB, "notes", "keep", {"count": 9}, transaction_id=tx.id)
    tables.delete_row(DB, "notes", "keep", transaction_id=tx.id)

    assert count_rows(stack, "notes") == 1
    inside = tables.list_rows(DB, "notes", transaction_id=tx.id)
    assert [r.id for r in inside.rows] == ["n1"]
    assert tables.get_row(DB, "notes", "n1", transaction_id=tx.id).data["title"] == "staged"
    assert tables.get_row(DB, "notes", "keep").data["count"] == 1

    tables.update_transaction(tx.id, commit=True)
    assert [r.id for r in tables.list_rows(DB, "notes").rows] == ["n1"]


def test_transaction_operation_bulk_update_and_delete(stack: StackHandle, tables: TablesDB) -> None:
    tables.create_rows(DB, "notes", [{"$id": f"r{i}", "title": "t", "count": i} for i in range(4)])
    tx = tables.create_transaction()
    tables.create_operations(
        tx.id,
        [
            op("bulkUpdate", data={"data": {"done": True}, "queries": [Query.less_than("count", 2)]}),
            op("bulkDelete", data={"queries": [Query.equal("count", [3])]}),
        ],
    )
    tables.update_transaction(tx.id, commit=True)
    assert {r.id for r in tables.list_rows(DB, "notes", [Query.equal("done", True)]).rows} == {"r0", "r1"}
    assert count_rows(stack, "notes") == 3


def test_transactions_belong_to_their_user(stack: StackHandle) -> None:
    alice = TablesDB(stack.user_client("alice"))
    bob = TablesDB(stack.user_client("bob"))
    tx = alice.create_transaction()
    with pytest.raises(AppwriteException) as err:
        bob.get_transaction(tx.id)
    assert (err.value.code, err.value.type) == (404, "transaction_not_found")
    assert alice.list_transactions().total == 1
    assert bob.list_transactions().total == 0
    with pytest.raises(AppwriteException) as err:
        alice.create_operations(tx.id, [op("bulkCreate", data=[note()])])
    assert (err.value.code, err.value.type) == (401, "user_unauthorized")


def test_commit_flags_are_checked_and_delete_is_204(stack: StackHandle, tables: TablesDB) -> None:
    tx = tables.create_transaction(ttl=60)
    url = f"{stack.endpoint}/tablesdb/transactions/{tx.id}"
    headers = {"X-Appwrite-Project": stack.project_id, "X-Appwrite-Key": stack.api_key}
    neither = requests.patch(url, json={}, headers=headers, timeout=5)
    assert neither.json()["message"] == "Either commit or rollback must be true"
    both = requests.patch(url, json={"commit": True, "rollback": True}, headers=headers, timeout=5)
    assert both.json()["message"] == "Cannot commit and rollback at the same time"
    deleted = requests.delete(url, json={}, headers=headers, timeout=5)
    assert deleted.status_code == 204
    with pytest.raises(AppwriteException) as err:
        tables.get_transaction(tx.id)
    assert err.value.type == "transaction_not_found"
    with pytest.raises(AppwriteException) as err:
        tables.create_transaction(ttl=30)
    assert err.value.type == "general_argument_invalid"


def test_expired_transaction_is_410(stack: StackHandle, tables: TablesDB) -> None:
    tx = tables.create_transaction(ttl=60)
    stack.stack.db.write(
        lambda w: w.conn.execute(
            "UPDATE _transactions SET expires_at = '2000-01-01T00:00:00.000+00:00' WHERE id = ?", (tx.id,)
        )
    )
    with pytest.raises(AppwriteException) as err:
        tables.create_operations(tx.id, [op("create", "n1", note())])
    assert (err.value.code, err.value.type) == (410, "transaction_expired")
    with pytest.raises(AppwriteException) as err:
        tables.update_transaction(tx.id, commit=True)
    assert err.value.code == 410
    assert count_rows(stack, "notes") == 0


def test_a_row_changed_after_staging_makes_the_commit_conflict(stack: StackHandle, tables: TablesDB) -> None:
    tables.create_row(DB, "notes", "n1", note(count=1))
    tx = tables.create_transaction()
    tables.create_operations(tx.id, [op("update", "n1", {"count": 2})])
    time.sleep(0.002)  # timestamps have millisecond resolution
    tables.update_row(DB, "notes", "n1", {"count": 7})  # someone else wins the race
    with pytest.raises(AppwriteException) as err:
        tables.update_transaction(tx.id, commit=True)
    assert (err.value.code, err.value.type) == (409, "transaction_conflict")
    assert tables.get_row(DB, "notes", "n1").data["count"] == 7


def test_staged_responses_are_appwrite_mocks(stack: StackHandle, tables: TablesDB) -> None:
    tables.create_row(DB, "notes", "n1", note(count=1))
    tx = tables.create_transaction()
    headers = {"X-Appwrite-Project": stack.project_id, "X-Appwrite-Key": stack.api_key}
    rows_url = f"{stack.endpoint}/tablesdb/{DB}/tables/notes/rows"
    inc = requests.patch(
        f"{rows_url}/n1/count/increment", json={"value": 2, "transactionId": tx.id}, headers=headers, timeout=5
    )
    assert (inc.status_code, inc.json()) == (200, {"$id": "n1", "$tableId": "notes", "$databaseId": DB, "count": 2})
    bulk = requests.post(rows_url, json={"rows": [note(), note()], "transactionId": tx.id}, headers=headers, timeout=5)
    assert (bulk.status_code, bulk.json()) == (200, {"rows": [], "total": 2})
    upsert = requests.put(f"{rows_url}/n9", json={"data": note(), "transactionId": tx.id}, headers=headers, timeout=5)
    assert upsert.status_code == 201
    assert (
        requests.delete(f"{rows_url}/n1", json={"transactionId": tx.id}, headers=headers, timeout=5).status_code == 204
    )
    assert tables.get_transaction(tx.id).operations == 4
    assert count_rows(stack, "notes") == 1

    tables.update_transaction(tx.id, rollback=True)
    late = requests.patch(f"{rows_url}/n1/count/increment", json={"transactionId": tx.id}, headers=headers, timeout=5)
    assert (late.status_code, late.json()["type"]) == (400, "general_bad_request")
    assert late.json()["message"] == "Invalid or non\u2011pending transaction"
    single = requests.post(
        rows_url, json={"rowId": "x", "data": note(), "transactionId": tx.id}, headers=headers, timeout=5
    )
    assert (single.status_code, single.json()["type"]) == (400, "transaction_not_ready")
