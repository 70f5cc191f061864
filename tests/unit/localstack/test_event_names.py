"""Row event names and channels match what Appwrite 1.9.6 generates.

The fixture ``fixtures/appwrite-row-events.json`` is a copy of the reference list computed from Appwrite's
``Event::generateEvents`` (server 1.9.6, checked against its ``tests/unit/Event/EventTest.php``), with the
placeholders DB, TB and ROW for the database, table and row ids.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecotrace_local.runtime.event_names import ACTION_EVENT, _generate, row_channels, row_event_names

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "appwrite-row-events.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", sorted(FIXTURE))
def test_generated_names_match_appwrite_exactly_in_order(case: str) -> None:
    action, kind, _ = case.split("_")
    assert row_event_names("DB", "TB", "ROW", action, tablesdb=kind == "tablesdb") == FIXTURE[case]


def test_tablesdb_database_gives_64_names_and_legacy_42() -> None:
    assert len(row_event_names("db", "t", "r", "create")) == 64
    assert len(row_event_names("db", "t", "r", "create", tablesdb=False)) == 42


@pytest.mark.parametrize(("action", "verb"), [("increment", "update"), ("decrement", "update"), ("upsert", "upsert")])
def test_increment_and_decrement_publish_update(action: str, verb: str) -> None:
    assert row_event_names("db", "t", "r", action)[0] == f"tablesdb.db.tables.t.rows.r.{verb}"


def test_a_function_subscription_with_a_row_wildcard_matches_a_create() -> None:
    names = row_event_names("ecotrace-main", "activities", "a1", "create")
    assert "databases.ecotrace-main.tables.activities.rows.*.create" in names
    assert "databases.ecotrace-main.tables.activities.rows.*.update" not in names


ident = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,12}", fullmatch=True)


@given(ident, ident, ident, st.sampled_from(["create", "update", "upsert", "delete"]))
def test_names_are_unique_and_every_name_is_a_wildcard_of_the_first(db: str, tb: str, row: str, action: str) -> None:
    names = row_event_names(db, tb, row, action)
    assert len(names) == len(set(names)) == 64
    assert names[0] == f"tablesdb.{db}.tables.{tb}.rows.{row}.{action}"
    concrete = {db, tb, row, action, "*", "tablesdb", "databases", "tables", "rows", "collections", "documents"}
    for name in names:
        assert set(name.split(".")) <= concrete


def test_sixteen_row_channels_with_and_without_the_action() -> None:
    channels = row_channels("db", "t", "r", "increment")
    assert len(channels) == len(set(channels)) == 16
    assert {"rows", "documents", "tablesdb.db.tables.t.rows.r", "databases.db.tables.t.rows.update"} <= set(channels)
    assert "databases.db.collections.t.documents.r.update" in channels


_ID = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,8}", fullmatch=True)


@given(db=_ID, table=_ID, row=_ID, action=st.sampled_from(sorted(ACTION_EVENT)), tablesdb=st.booleans())
def test_cached_expansion_matches_expanding_each_write(
    db: str, table: str, row: str, action: str, tablesdb: bool
) -> None:
    # ids may coincide (db == table, ...): the names must still be Appwrite's, each once, in order
    verb = ACTION_EVENT[action]
    assert row_event_names(db, table, row, action, tablesdb=tablesdb) == _generate(db, table, row, verb, tablesdb)
