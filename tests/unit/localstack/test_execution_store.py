"""The executions store: bounded to the newest executions, a new state keeps an execution's place, and listings use
the same queries and read permissions as rows."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ecotrace_local.errors import AppwriteError
from ecotrace_local.runtime.executions import Execution, ExecutionStore
from ecotrace_local.storage.access import GUEST, PROJECT_KEY, caller_for_user


def _execution(n: int, *, function_id: str = "f", user: str = "", status: str = "completed") -> Execution:
    return Execution(
        id=f"e{n:04d}",
        function_id=function_id,
        trigger="http",
        status=status,
        method="POST",
        path=f"/{n}",
        request_headers={"content-type": "text/plain"},
        permissions=[f'read("user:{user}")'] if user else [],
        status_code=200 if n % 2 else 500,
        duration_s=n / 10,
    )


def _query(method: str, attribute: str | None = None, values: list[object] | None = None) -> str:
    query: dict[str, object] = {"method": method, "values": values or []}
    if attribute is not None:
        query["attribute"] = attribute
    return json.dumps(query)


def test_only_the_newest_executions_are_kept_and_a_new_state_keeps_its_place() -> None:
    store = ExecutionStore(max_items=5)
    for n in range(12):
        store.put(replace(_execution(n), status="waiting"))
        store.put(replace(_execution(n), status="processing"))  # each state replaces the last
        store.put(_execution(n))
    assert [e.id for e in store.for_function("f")] == [f"e{n:04d}" for n in range(7, 12)]
    store.put(replace(_execution(8), status="failed"))
    assert [(e.id, e.status) for e in store.for_function("f")][1] == ("e0008", "failed")
    assert store.get("e0001") is None


def test_a_stored_execution_reads_back_as_it_was_put_without_its_body() -> None:
    store = ExecutionStore()
    original = replace(_execution(3, user="alice"), response_body=b"big", response_headers={"x": "1"}, logs="l")
    store.put(original)
    assert store.get(original.id) == replace(original, response_body=b"")


def test_listing_filters_orders_and_pages_with_the_row_queries() -> None:
    store = ExecutionStore()
    for n in range(10):
        store.put(_execution(n))
    store.put(_execution(99, function_id="other"))
    total, page = store.select(PROJECT_KEY, "f", [_query("equal", "responseStatusCode", [500])])
    assert (total, [e.id for e in page]) == (5, ["e0000", "e0002", "e0004", "e0006", "e0008"])
    queries = [_query("orderDesc", "duration"), _query("limit", values=[2]), _query("offset", values=[1])]
    total, page = store.select(PROJECT_KEY, "f", queries)
    assert (total, [e.id for e in page]) == (10, ["e0008", "e0007"])
    assert store.select(PROJECT_KEY, "f", None, want_total=False)[0] == 0


def test_only_the_attributes_appwrite_lists_may_be_queried() -> None:
    store = ExecutionStore()
    with pytest.raises(AppwriteError) as err:
        store.select(PROJECT_KEY, "f", [_query("equal", "logs", ["x"])])
    assert (err.value.status, err.value.type) == (400, "general_query_invalid")


def test_users_see_their_own_executions_and_keys_see_all() -> None:
    store = ExecutionStore()
    store.put(_execution(1, user="alice"))
    store.put(_execution(2, user="bob"))
    store.put(_execution(3))
    alice = caller_for_user({"$id": "alice"})
    assert [e.id for e in store.select(alice, "f", None)[1]] == ["e0001"]
    assert store.readable(alice, "e0002") is None
    assert store.readable(alice, "e0001") is not None
    assert store.select(GUEST, "f", None)[0] == 0
    assert store.select(PROJECT_KEY, "f", None)[0] == 3
