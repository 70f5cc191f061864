"""Row writes trigger the functions subscribed to their event names, as Appwrite's event executions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from appwrite.query import Query
from appwrite.services.functions import Functions
from appwrite.services.tables_db import TablesDB

from ecotrace_local.testing import StackHandle
from tests.integration.localstack.fn_samples import DB, sample_stack, wait_for


@pytest.fixture
def stack(tmp_path: Any) -> Iterator[StackHandle]:
    with sample_stack(tmp_path) as handle:
        yield handle


def _seen(tables: TablesDB, count: int) -> list[dict[str, Any]]:
    def probe() -> list[dict[str, Any]] | None:
        rows = tables.list_rows(DB, "seen", [Query.limit(100)]).rows
        return [r.data for r in rows] if len(rows) >= count else None

    return wait_for(probe, what=f"{count} recorded executions")


def test_a_row_create_runs_the_subscribed_function_with_the_row_as_body(stack: StackHandle) -> None:
    tables = TablesDB(stack.client())
    tables.create_row(DB, "activities", "act-1", {"title": "pushed 3 commits"})
    (seen,) = _seen(tables, 1)
    assert seen["trigger"] == "event"
    assert seen["event"] == f"tablesdb.{DB}.tables.activities.rows.act-1.create"
    assert seen["agent"] == "Appwrite/1.9.6"
    body = json.loads(seen["body"])
    assert body["$id"] == "act-1"
    assert body["title"] == "pushed 3 commits"
    assert body["$tableId"] == "activities"
    assert body["$databaseId"] == DB
    execution = Functions(stack.client()).list_executions("on-activity").executions[0]
    assert execution.trigger.value == "event"
    assert execution.requestmethod == "POST"
    assert execution.requestpath == "/"


def test_only_matching_events_fire(stack: StackHandle) -> None:
    tables = TablesDB(stack.client())
    tables.create_row(DB, "activities", "a1", {"title": "one"})
    _seen(tables, 1)
    tables.update_row(DB, "activities", "a1", {"title": "changed"})  # an update: not subscribed
    tables.create_row(DB, "activities", "a2", {"title": "two"})
    rows = _seen(tables, 2)
    assert sorted(r["row_id"] for r in rows) == ["a1", "a2"]
    executions = Functions(stack.client()).list_executions("on-activity").executions
    assert len(executions) == 2


def test_a_function_that_retriggers_itself_is_stopped_by_the_guard(stack: StackHandle) -> None:
    tables = TablesDB(stack.client())
    tables.create_row(DB, "counters", "c1", {"n": 0})
    tables.update_row(DB, "counters", "c1", {"n": 1})  # starts the loop: every run updates c1 again
    triggers = stack.stack.functions.triggers
    wait_for(lambda: triggers.dropped >= 1, what="the loop guard to drop an execution")
    executions = Functions(stack.client()).list_executions("looper", [Query.limit(100)]).executions
    assert len(executions) == triggers.max_per_row
    # The stack is still serving, and the loop ended where the guard cut it.
    assert tables.get_row(DB, "counters", "c1").data["n"] == 1 + triggers.max_per_row
