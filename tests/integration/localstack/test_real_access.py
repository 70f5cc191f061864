"""Who may read and write what, on the real appwrite.json, with the row permissions the code writes.

Issue 2: a user reads their own rows, signed-in users read the leaderboards and the global feed, and nothing
else. Expected outcomes follow Appwrite's rules (reference appwrite-rest.md section 3), not this stack's code: a
row that may not be read is a 404 on get and absent from lists; a table without read permission and without row
security is a 401 on list; a write without permission is a 401.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from appwrite.exception import AppwriteException
from appwrite.services.tables_db import TablesDB

from ecotrace.tables.permissions import owner_permissions, read_permission
from ecotrace_local.testing import StackHandle, run_stack
from tests.integration.localstack.ls_support import REPO_ROOT

SCHEMA = json.loads((REPO_ROOT / "appwrite.json").read_text(encoding="utf-8"))
DB = SCHEMA["tablesDB"][0]["$id"]
TABLES = {t["$id"]: t for t in SCHEMA["tables"]}
# Tables whose rows belong to one person (the code grants that person's account read on each row).
OWNED = ("users", "activities", "calculations", "user_stats", "backfills")
# Tables every signed-in user reads (the boards and the anonymised global feed).
SIGNED_IN = ("leaderboards", "activity_feed")
# Tables no client reads at all.
BACKEND_ONLY = (
    "emission_factors",
    "webhook_deliveries",
    "rate_limits",
    "rollups",
    "pending_deltas",
    "intensity_history",
    "pr_summaries",
)


def _value(column: dict[str, Any]) -> Any:
    kind = column["type"]
    if column.get("format") == "enum" or column.get("elements"):
        return column["elements"][0]
    if kind == "string":
        return "x"
    if kind == "integer":
        return max(1, int(column.get("min") or 0))
    if kind == "double":
        return 1.0
    if kind == "boolean":
        return False
    if kind == "datetime":
        return "2026-03-01T12:00:00.000+00:00"
    raise AssertionError(f"column type {kind} not handled by this test")


def minimal_row(table_id: str) -> dict[str, Any]:
    return {c["key"]: _value(c) for c in TABLES[table_id]["columns"] if c.get("required")}


def changed_row(table_id: str) -> dict[str, Any]:
    """A real change (Appwrite lets an update that changes nothing through on read permission alone)."""
    data = minimal_row(table_id)
    required = [c for c in TABLES[table_id]["columns"] if c.get("required")]
    text = [c for c in required if c["type"] == "string" and not c.get("elements")]
    if text:
        data[text[0]["key"]] = "changed"
    else:  # a table of counters and times only (rate_limits)
        data[next(c for c in required if c["type"] == "datetime")["key"]] = "2026-03-02T12:00:00.000+00:00"
    return data


@pytest.fixture(scope="module")
def real_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    base = tmp_path_factory.mktemp("real")
    # The real tables and permissions; no functions, so the calculator's event trigger writes nothing extra here.
    tables_only = {**SCHEMA, "functions": []}
    env = {"ECOTRACE_RUN_SCHEDULES": "0"}
    with run_stack(REPO_ROOT, db_path=base / "local.sqlite3", env=env, appwrite_json=tables_only) as handle:
        yield handle


@pytest.fixture(scope="module")
def seeded(real_stack: StackHandle) -> StackHandle:
    """One row per table for account ``acc-a`` (owned tables) or for nobody (the rest), written with the key."""
    key = TablesDB(real_stack.client())
    # With API-key writes, Appwrite's default row permissions are [], so only these grant anything.
    assert owner_permissions("acc-a") == [read_permission("acc-a")]
    for table_id in TABLES:
        permissions = owner_permissions("acc-a") if table_id in OWNED else []
        key.create_row(DB, table_id, "row-a", minimal_row(table_id), permissions=permissions)
    return real_stack


def _status(call: Any) -> int:
    try:
        call()
    except AppwriteException as exc:
        return int(exc.code or 0)
    return 200


def test_every_table_is_either_owned_leaderboard_or_backend_only() -> None:
    # If a table is added, this test makes someone decide who may read it.
    assert set(TABLES) == {*OWNED, *SIGNED_IN, *BACKEND_ONLY}


def test_owners_read_their_own_rows_and_nobody_else_does(seeded: StackHandle) -> None:
    owner = TablesDB(seeded.user_client("acc-a"))
    other = TablesDB(seeded.user_client("acc-b"))
    guest = TablesDB(seeded.guest_client())
    for table_id in OWNED:
        assert owner.get_row(DB, table_id, "row-a").id == "row-a", table_id
        assert [r.id for r in owner.list_rows(DB, table_id).rows] == ["row-a"], table_id
        for stranger in (other, guest):
            assert _status(lambda s=stranger, t=table_id: s.get_row(DB, t, "row-a")) == 404, table_id
            assert stranger.list_rows(DB, table_id).rows == [], table_id


@pytest.mark.parametrize("table_id", SIGNED_IN)
def test_signed_in_users_read_leaderboards_and_the_feed_and_guests_do_not(seeded: StackHandle, table_id: str) -> None:
    for account in ("acc-a", "acc-b"):
        user = TablesDB(seeded.user_client(account))
        assert [r.id for r in user.list_rows(DB, table_id).rows] == ["row-a"]
        assert user.get_row(DB, table_id, "row-a").id == "row-a"
    guest = TablesDB(seeded.guest_client())
    assert _status(lambda: guest.list_rows(DB, table_id)) == 401
    assert _status(lambda: guest.get_row(DB, table_id, "row-a")) == 404


def test_backend_tables_are_closed_to_every_client(seeded: StackHandle) -> None:
    for client in (seeded.user_client("acc-a"), seeded.guest_client()):
        tables = TablesDB(client)
        for table_id in BACKEND_ONLY:
            assert _status(lambda t=tables, tid=table_id: t.list_rows(DB, tid)) == 401, table_id
            assert _status(lambda t=tables, tid=table_id: t.get_row(DB, tid, "row-a")) == 404, table_id


def test_no_client_writes_any_table_and_nothing_changes(seeded: StackHandle) -> None:
    key = TablesDB(seeded.client())
    before = {t: key.get_row(DB, t, "row-a").model_dump(by_alias=True) for t in TABLES}
    for client in (seeded.user_client("acc-a"), seeded.guest_client()):
        tables = TablesDB(client)
        for table_id in TABLES:
            data = changed_row(table_id)
            assert _status(lambda t=tables, tid=table_id, d=data: t.create_row(DB, tid, "new-row", d)) == 401, table_id
            assert _status(lambda t=tables, tid=table_id, d=data: t.upsert_row(DB, tid, "row-a", d)) == 401, table_id
            assert _status(lambda t=tables, tid=table_id, d=data: t.update_row(DB, tid, "row-a", d)) == 401, table_id
            assert _status(lambda t=tables, tid=table_id: t.delete_row(DB, tid, "row-a")) == 401, table_id
    after = {t: key.get_row(DB, t, "row-a").model_dump(by_alias=True) for t in TABLES}
    assert after == before
    for table_id in TABLES:
        assert [r.id for r in key.list_rows(DB, table_id).rows] == ["row-a"], table_id
