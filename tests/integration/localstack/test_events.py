"""Row events on the bus: one per committed row, after the commit, never for rejected writes."""

from __future__ import annotations

from collections.abc import Iterator

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


@pytest.fixture
def events(stack: StackHandle) -> Iterator[list[RowEvent]]:
    seen: list[RowEvent] = []
    db = stack.stack.db

    def on_event(event: RowEvent) -> None:
        # Published after the commit: the row is already (or no longer) in the database.
        table = stack.stack.schema.table(event.database_id, event.table_id)
        stored = db.read(lambda w: w.get(table, event.row_id))
        if (stored is None) != (event.action == "delete"):
            not_yet_committed.append(event)
        seen.append(event)

    not_yet_committed: list[RowEvent] = []
    unsubscribe = stack.stack.bus.subscribe(on_event)
    yield seen
    unsubscribe()
    assert not_yet_committed == []


def test_single_writes_publish_the_rest_row(stack: StackHandle, tables: TablesDB, events: list[RowEvent]) -> None:
    created = tables.create_row(DB, "notes", "n1", note(), permissions=[Permission.read(Role.user("bob"))])
    tables.update_row(DB, "notes", "n1", {"count": 2})
    tables.upsert_row(DB, "notes", "n1", {"count": 3})
    tables.increment_row_column(DB, "notes", "n1", "count")
    tables.delete_row(DB, "notes", "n1")
    assert [e.action for e in events] == ["create", "update", "upsert", "update", "delete"]
    first = events[0]
    assert first.row == created.model_dump(by_alias=True, exclude={"data"}) | created.data
    assert first.read_roles == frozenset({"user:bob"})  # notes: no table read, row security on
    assert events[3].row["count"] == 4
    assert (first.database_id, first.table_id, first.row_id) == (DB, "notes", "n1")


def test_bulk_writes_publish_one_event_per_row(tables: TablesDB, events: list[RowEvent]) -> None:
    tables.create_rows(DB, "notes", [{"$id": f"b{i}", "title": "t"} for i in range(3)])
    tables.update_rows(DB, "notes", {"done": True}, [Query.equal("$id", ["b0", "b1"])])
    tables.delete_rows(DB, "notes", [])
    assert [(e.row_id, e.action) for e in events] == [
        ("b0", "create"),
        ("b1", "create"),
        ("b2", "create"),
        ("b0", "update"),
        ("b1", "update"),
        ("b0", "delete"),
        ("b1", "delete"),
        ("b2", "delete"),
    ]


def test_rejected_writes_publish_nothing(tables: TablesDB, events: list[RowEvent]) -> None:
    tables.create_row(DB, "notes", "n1", note(slug="s"))
    events.clear()
    for attempt in (
        lambda: tables.create_row(DB, "notes", "n1", note()),
        lambda: tables.create_row(DB, "notes", "n2", note(slug="s")),
        lambda: tables.create_rows(DB, "notes", [note(), {"title": "x" * 11}]),
        lambda: tables.update_row(DB, "notes", "n1", {"count": -1}),
    ):
        with pytest.raises(AppwriteException):
            attempt()
    assert events == []


def test_table_read_roles_are_in_the_event(tables: TablesDB, events: list[RowEvent]) -> None:
    tables.create_row(DB, "board", "b1", {"name": "x"})
    assert events[-1].read_roles == frozenset({"users"})


def test_an_unhandled_error_is_a_500_server_error(stack: StackHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(stack.stack.db, "read", boom)
    response = requests.get(
        f"{stack.endpoint}/tablesdb/{DB}/tables/notes/rows",
        headers={"X-Appwrite-Project": stack.project_id, "X-Appwrite-Key": stack.api_key},
        timeout=5,
    )
    assert response.status_code == 500
    assert response.json() == {"message": "Server Error", "code": 500, "type": "general_unknown", "version": "1.9.6"}
