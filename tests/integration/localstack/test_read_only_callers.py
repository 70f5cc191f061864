"""What a caller who may only read learns and does (issue 14, item 8): a cursor naming a row it cannot read answers
exactly as one naming no row (no existence oracle), and a PATCH that changes nothing still needs update permission
and emits no event."""

from __future__ import annotations

import pytest
import requests
from appwrite.exception import AppwriteException
from appwrite.permission import Permission
from appwrite.query import Query
from appwrite.role import Role
from appwrite.services.tables_db import TablesDB

from ecotrace_local.events import RowEvent
from ecotrace_local.testing import StackHandle
from tests.integration.localstack.ls_support import DB, note


def test_a_cursor_on_an_unreadable_row_answers_as_an_unknown_id(stack: StackHandle) -> None:
    alice, bob = TablesDB(stack.user_client("alice")), TablesDB(stack.user_client("bob"))
    alice.create_row(DB, "notes", "hidden", note("alice's"))
    bob.create_row(DB, "notes", "mine", note("bob's"))
    headers = {"X-Appwrite-Project": stack.project_id, "X-Appwrite-JWT": stack.user_jwt("bob")}
    url = f"{stack.endpoint}/tablesdb/{DB}/tables/notes/rows"

    answers = {}
    for row_id in ("hidden", "nowhere"):
        for cursor in (Query.cursor_after(row_id), Query.cursor_before(row_id)):
            response = requests.get(url, params={"queries[0]": cursor}, headers=headers, timeout=5)
            body = response.json()
            answers[(row_id, cursor[:20])] = (response.status_code, body["type"], body["message"].replace(row_id, "ID"))
    assert set(answers.values()) == {(400, "general_cursor_not_found", "Row 'ID' for the 'cursor' value not found.")}
    # A readable row still pages.
    assert [r.id for r in bob.list_rows(DB, "notes", [Query.cursor_before("mine")]).rows] == []


@pytest.mark.parametrize(
    ("table", "row_id"),
    [("board", "top"), ("notes", "shared")],
    ids=["table-read-only", "row-read-only"],
)
def test_a_read_only_callers_no_op_patch_is_refused_and_emits_nothing(
    stack: StackHandle, table: str, row_id: str
) -> None:
    tables = TablesDB(stack.client())
    if table == "board":
        tables.create_row(DB, "board", "top", {"name": "alice", "rank": 1})  # readable by users, writable by keys
        same = {"name": "alice", "rank": 1}
    else:
        tables.create_row(DB, "notes", "shared", note("alice's"), permissions=[Permission.read(Role.users())])
        same = {"title": "alice's"}
    before = tables.get_row(DB, table, row_id)
    events: list[RowEvent] = []
    unsubscribe = stack.stack.bus.subscribe(events.append)
    try:
        bob = TablesDB(stack.user_client("bob"))
        assert bob.get_row(DB, table, row_id).id == row_id  # bob may read it
        with pytest.raises(AppwriteException) as err:
            bob.update_row(DB, table, row_id, same)
        assert (err.value.code, err.value.type) == (401, "user_unauthorized")
    finally:
        unsubscribe()
    assert events == []
    assert tables.get_row(DB, table, row_id).updatedat == before.updatedat
