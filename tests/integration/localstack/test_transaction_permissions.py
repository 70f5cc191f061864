"""Transactions never widen what a caller may do (issue 14, item 3): staging checks the caller's permissions as
Appwrite does (create needs the table's create; update, upsert of an existing row and increment need update;
delete needs delete; a non-key caller grants only roles it holds), reads with ``transactionId`` see the staged
state only as far as the caller could have made it, and commit and rollback cannot both win."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from appwrite.exception import AppwriteException
from appwrite.permission import Permission
from appwrite.role import Role
from appwrite.services.tables_db import TablesDB

from ecotrace_local.testing import StackHandle
from tests.integration.localstack.ls_support import DB, note


def op(action: str, row_id: str | None = None, data: Any = None, table: str = "notes") -> dict[str, Any]:
    out: dict[str, Any] = {"action": action, "databaseId": DB, "tableId": table}
    if row_id is not None:
        out["rowId"] = row_id
    if data is not None:
        out["data"] = data
    return out


def _refused(call: Callable[[], Any]) -> tuple[int, str]:
    with pytest.raises(AppwriteException) as err:
        call()
    return err.value.code, str(err.value.type)


def _alice_and_bob(stack: StackHandle) -> tuple[TablesDB, TablesDB]:
    return TablesDB(stack.user_client("alice")), TablesDB(stack.user_client("bob"))


def test_staging_an_upsert_of_another_users_row_is_refused_and_reads_show_nothing(stack: StackHandle) -> None:
    """The attack: Bob upserts Alice's row inside his own transaction, granting himself read, and reads it back."""
    alice, bob = _alice_and_bob(stack)
    alice.create_row(DB, "notes", "secret", note("alice's", body="her private text"))
    tx = bob.create_transaction()

    status = _refused(
        lambda: bob.upsert_row(
            DB, "notes", "secret", {}, permissions=[Permission.read(Role.user("bob"))], transaction_id=tx.id
        )
    )
    assert status == (401, "user_unauthorized")
    assert _refused(lambda: bob.get_row(DB, "notes", "secret", transaction_id=tx.id)) == (404, "row_not_found")
    assert bob.list_rows(DB, "notes", transaction_id=tx.id).total == 0
    assert bob.get_transaction(tx.id).operations == 0
    # The operations endpoint checks the same.
    staged = [op("upsert", "secret", {"$permissions": ['read("user:bob")']})]
    assert _refused(lambda: bob.create_operations(tx.id, staged)) == (401, "user_unauthorized")


def test_reads_in_a_transaction_replay_it_with_the_callers_rights_only(stack: StackHandle) -> None:
    """An operation legitimately staged (on a row Bob's own transaction creates) never acts on a row that someone
    else created under that id in the meantime: the replay of a read runs as Bob, not with the project key."""
    alice, bob = _alice_and_bob(stack)
    tx = bob.create_transaction()
    bob.create_operations(
        tx.id,
        [op("create", "shared-id", note("bob's")), op("update", "shared-id", {"$permissions": ['read("user:bob")']})],
    )
    alice.create_row(DB, "notes", "shared-id", note("alice's", body="her private text"))

    assert _refused(lambda: bob.get_row(DB, "notes", "shared-id", transaction_id=tx.id)) == (404, "row_not_found")
    listed = bob.list_rows(DB, "notes", transaction_id=tx.id)
    assert (listed.total, listed.rows) == (0, [])
    assert alice.get_row(DB, "notes", "shared-id").permissions == [
        'read("user:alice")',
        'update("user:alice")',
        'delete("user:alice")',
    ]


def test_staging_checks_create_update_delete_and_increment_rights(stack: StackHandle) -> None:
    alice, bob = _alice_and_bob(stack)
    alice.create_row(DB, "notes", "hers", note("alice's"), permissions=[Permission.read(Role.users())])
    TablesDB(stack.client()).create_row(DB, "board", "top", {"name": "alice", "rank": 1})
    tx = bob.create_transaction()

    # An upsert that would create a row needs the table's create permission (board grants read only).
    assert _refused(lambda: bob.create_operations(tx.id, [op("upsert", "new", {"name": "x"}, "board")])) == (
        401,
        "user_unauthorized",
    )
    # Readable is not writable: update, upsert, increment and delete of Alice's row are all refused.
    for staged in (
        op("update", "hers", {"title": "bob's"}),
        op("upsert", "hers", {"title": "bob's"}),
        op("increment", "hers", {"column": "count", "value": 1}),
        op("delete", "hers"),
        op("update", "top", {"rank": 2}, "board"),
    ):
        assert _refused(lambda staged=staged: bob.create_operations(tx.id, [staged])) == (401, "user_unauthorized")
    # A non-key caller grants only roles it holds, when staging too.
    foreign = [op("create", "mine", {"title": "x", "$permissions": ['read("user:alice")']})]
    assert _refused(lambda: bob.create_operations(tx.id, foreign)) == (401, "user_unauthorized")
    assert _refused(
        lambda: bob.create_row(
            DB, "notes", "mine2", note(), permissions=[Permission.read(Role.user("alice"))], transaction_id=tx.id
        )
    ) == (401, "user_unauthorized")
    assert bob.get_transaction(tx.id).operations == 0

    # What Bob may do is still staged and committed.
    bob.create_operations(tx.id, [op("create", "his", note("bob's")), op("update", "his", {"count": 3})])
    assert bob.update_transaction(tx.id, commit=True).status == "committed"
    assert bob.get_row(DB, "notes", "his").data["count"] == 3
    assert alice.get_row(DB, "notes", "hers").data["title"] == "alice's"


def test_commit_and_rollback_racing_cannot_both_succeed(stack: StackHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rollback must check and write in one database transaction: with every read made slow (a commit slips in
    between a check and a later write), exactly one of a concurrent commit and rollback wins."""
    tables = TablesDB(stack.client())
    tx = tables.create_transaction()
    tables.create_operations(tx.id, [op("create", "n1", note())])
    db = stack.stack.db
    plain_read = db.read

    def slow_read(fn: Any) -> Any:
        result = plain_read(fn)
        time.sleep(0.3)  # outside the database lock: other writers run now
        return result

    monkeypatch.setattr(db, "read", slow_read)
    url = f"{stack.endpoint}/tablesdb/transactions/{tx.id}"
    headers = {"X-Appwrite-Project": stack.project_id, "X-Appwrite-Key": stack.api_key}
    answers: dict[str, requests.Response] = {}

    def patch(name: str, body: dict[str, bool]) -> None:
        answers[name] = requests.patch(url, json=body, headers=headers, timeout=10)

    rollback = threading.Thread(target=patch, args=("rollback", {"rollback": True}))
    rollback.start()
    time.sleep(0.1)  # the rollback has checked "pending" by now
    patch("commit", {"commit": True})
    rollback.join(10)
    monkeypatch.setattr(db, "read", plain_read)

    winners = sorted(name for name, answer in answers.items() if answer.status_code == 200)
    assert len(winners) == 1, {name: (a.status_code, a.text) for name, a in answers.items()}
    loser = "commit" if winners == ["rollback"] else "rollback"
    assert answers[loser].status_code == 400
    final = tables.get_transaction(tx.id).status
    assert final == ("committed" if winners == ["commit"] else "failed")
    stored = tables.list_rows(DB, "notes").total
    assert stored == (1 if final == "committed" else 0)
