"""The storage port's rules: row ids, batching into Appwrite's limits, and all-or-nothing transactions."""

from __future__ import annotations

from typing import Any

import pytest

from ecotrace.errors import ValidationError
from ecotrace.ports import MAX_BATCH, Row, Store, check_row_id


class RecordingStore(Store):
    """Keeps what reached the primitives; enough to observe the public API's rules."""

    def __init__(self) -> None:
        self.commits: list[list[dict[str, Any]]] = []
        self.bulk_calls: list[tuple[str, str, int]] = []
        self.list_calls: list[list[str]] = []
        self.pages: list[list[Row]] = []

    def _get(self, table: str, row_id: str) -> Row | None:
        return None

    def _list(self, table: str, queries: list[str]) -> list[Row]:
        self.list_calls.append(queries)
        return self.pages.pop(0) if self.pages else []

    def _create(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        return {"$id": row_id, **data}

    _upsert = _create
    _update = _create

    def _delete(self, table: str, row_id: str) -> None:
        return None

    def _bulk(self, action: str, table: str, rows: list[Row]) -> list[Row]:
        self.bulk_calls.append((action, table, len(rows)))
        return rows

    def _increment(self, table: str, row_id: str, column: str, value: float) -> Row:
        return {"$id": row_id, column: value}

    def _commit(self, operations: list[dict[str, Any]]) -> None:
        self.commits.append(operations)


@pytest.mark.parametrize("row_id", ["a", "gh_123", "c.0f3a-9", "A" * 36])
def test_valid_row_ids_pass(row_id: str) -> None:
    assert check_row_id(row_id) == row_id


@pytest.mark.parametrize("row_id", ["", "_x", ".x", "-x", "a" * 37, "aws:eu-west-1", "a b", "é"])
def test_invalid_row_ids_are_refused_before_any_request(row_id: str) -> None:
    store = RecordingStore()
    with pytest.raises(ValidationError):
        store.create("activities", row_id, {})
    with pytest.raises(ValidationError), store.transaction() as tx:
        tx.create("activities", row_id, {})
    assert store.commits == []


def test_bulk_writes_are_split_into_appwrite_sized_batches() -> None:
    store = RecordingStore()
    rows = [{"$id": f"r{i}"} for i in range(MAX_BATCH * 2 + 5)]
    store.bulk_upsert("activities", rows)
    assert [n for _, _, n in store.bulk_calls] == [MAX_BATCH, MAX_BATCH, 5]


def test_transaction_commits_once_on_clean_exit() -> None:
    store = RecordingStore()
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
    store = RecordingStore()
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.create("users", "gh_1", {})
        raise RuntimeError("boom")
    assert store.commits == []


def test_iterate_follows_cursors_until_a_short_page() -> None:
    store = RecordingStore()
    store.pages = [[{"$id": "a"}, {"$id": "b"}], [{"$id": "c"}]]
    assert [r["$id"] for r in store.iterate("activities", page_size=2)] == ["a", "b", "c"]
    assert len(store.list_calls) == 2
    assert any('"cursorAfter"' in q and '"b"' in q for q in store.list_calls[1])


def test_get_many_asks_in_chunks_of_one_hundred_ids() -> None:
    store = RecordingStore()
    store.get_many("activities", [f"id{i}" for i in range(250)])
    assert len(store.list_calls) == 3


def test_incrementing_by_zero_writes_nothing() -> None:
    store = RecordingStore()
    writes: list[float] = []
    store._increment = lambda table, row_id, column, value: writes.append(value) or {}  # type: ignore[method-assign]
    store._get = lambda table, row_id: {"$id": row_id, "commit_count": 3}  # type: ignore[method-assign]
    assert store.increment("user_stats", "gh_1", "commit_count", 0)["commit_count"] == 3
    store.increment("user_stats", "gh_1", "commit_count", 2)
    assert writes == [2]
