"""The storage port's rules: row ids, batching into Appwrite's limits, and all-or-nothing transactions."""

from __future__ import annotations

import pytest

from ecotrace.errors import ValidationError
from ecotrace.ports import MAX_BATCH, check_row_id
from tests.fakes.memory_store import MemoryStore


def bare_store() -> MemoryStore:
    """The one in-memory fake without the schema: these rules hold for any table."""
    return MemoryStore(schema=None)


@pytest.mark.parametrize("row_id", ["a", "gh_123", "c.0f3a-9", "A" * 36])
def test_valid_row_ids_pass(row_id: str) -> None:
    assert check_row_id(row_id) == row_id


@pytest.mark.parametrize("row_id", ["", "_x", ".x", "-x", "a" * 37, "aws:eu-west-1", "a b", "é"])
def test_invalid_row_ids_are_refused_before_any_request(row_id: str) -> None:
    store = bare_store()
    with pytest.raises(ValidationError):
        store.create("activities", row_id, {})
    with pytest.raises(ValidationError), store.transaction() as tx:
        tx.create("activities", row_id, {})
    assert store.commits == []


def test_bulk_writes_are_split_into_appwrite_sized_batches() -> None:
    store = bare_store()
    rows = [{"$id": f"r{i}"} for i in range(MAX_BATCH * 2 + 5)]
    store.bulk_upsert("activities", rows)  # the fake, like Appwrite, refuses a bulk request of over 100 rows
    assert store.requests == [("bulk_upsert", "activities")] * 3
    assert len(store.rows("activities")) == MAX_BATCH * 2 + 5


def test_transaction_commits_once_on_clean_exit() -> None:
    store = bare_store()
    store.seed("user_stats", "gh_1", {"commit_count": 0, "carbon_kg": 1.0})
    with store.transaction() as tx:
        tx.create("users", "gh_1", {"github_id": "1"})
        tx.increment("user_stats", "gh_1", "commit_count", 3)
        tx.increment("user_stats", "gh_1", "carbon_kg", -0.5)
        tx.increment("user_stats", "gh_1", "pr_count", 0)
    assert len(store.commits) == 1
    actions = [(op["action"], op.get("data")) for op in store.commits[0]]
    assert actions == [
        ("create", {"github_id": "1"}),
        ("increment", {"column": "commit_count", "value": 3}),
        ("decrement", {"column": "carbon_kg", "value": 0.5}),
    ]


def test_transaction_sends_nothing_when_the_block_fails() -> None:
    store = bare_store()
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.create("users", "gh_1", {})
        raise RuntimeError("boom")
    assert store.commits == []


def test_iterate_follows_cursors_until_a_short_page() -> None:
    store = bare_store()
    for row_id in ("a", "b", "c"):
        store.seed("activities", row_id, {})
    assert [row["$id"] for row in store.iterate("activities", page_size=2)] == ["a", "b", "c"]
    assert len(store.list_requests) == 2
    _, second_page = store.list_requests[1]
    assert any(query["method"] == "cursorAfter" and query["values"] == ["b"] for query in second_page)


def test_get_many_asks_in_chunks_of_one_hundred_ids() -> None:
    store = bare_store()
    store.get_many("activities", [f"id{i}" for i in range(250)])
    assert len(store.list_requests) == 3


def test_incrementing_by_zero_writes_nothing() -> None:
    store = bare_store()
    store.seed("user_stats", "gh_1", {"commit_count": 3})
    assert store.increment("user_stats", "gh_1", "commit_count", 0)["commit_count"] == 3
    store.increment("user_stats", "gh_1", "commit_count", 2)
    writes = [method for method, _ in store.requests if method != "get"]
    assert (writes, store.rows("user_stats")[0]["commit_count"]) == (["increment"], 5)  # one write, of 2
