"""The in-memory Store fake keeps Appwrite's contract (others' tests rely on it too)."""

from __future__ import annotations

import pytest
from appwrite.query import Query

from ecotrace.adapters.appwrite_store import StoreRejectedError
from ecotrace.errors import ConflictError, NotFoundError, StorageError, ValidationError
from ecotrace.ports import MAX_BATCH
from tests.fakes.memory_store import MemoryStore

STATS = {"user_id": "gh_1", "github_login": "octo"}


def stats(store: MemoryStore, row_id: str, **extra: object) -> None:
    store.create("user_stats", row_id, {**STATS, "user_id": row_id, **extra})


@pytest.mark.parametrize(
    "data",
    [
        {**STATS, "colour": "red"},  # unknown column
        {"github_login": "octo"},  # missing required user_id
        {**STATS, "carbon_kg": "lots"},  # wrong type
        {**STATS, "commit_count": 1.5},  # integer column
        {**STATS, "github_login": "x" * 101},  # over the size
    ],
)
def test_schema_violations_are_refused(data: dict[str, object]) -> None:
    store = MemoryStore()
    with pytest.raises(StoreRejectedError):
        store.create("user_stats", "gh_1", data)
    assert store.rows("user_stats") == []


def test_enum_and_array_columns_are_checked() -> None:
    store = MemoryStore()
    base = {"activity_id": "a", "user_id": "u", "methodology_version": "1", "carbon_kg": 0.0, "carbon_kg_low": 0.0}
    base |= {"carbon_kg_high": 0.0, "energy_kwh": 0.0, "energy_breakdown": "{}", "emission_factor": "{}"}
    base |= {"calculated_at": "2026-11-25T12:00:00.000+00:00", "confidence": "high"}
    with pytest.raises(StoreRejectedError):
        store.create("calculations", "c1", {**base, "activity_type": "meeting"})
    store.create("calculations", "c1", {**base, "activity_type": "commit"})
    store.seed("activities", "x", {"user_id": "u"})
    with pytest.raises(StoreRejectedError):
        store.update("activities", "x", {"runner_labels": "ubuntu-latest"})  # an array column
    with pytest.raises(StoreRejectedError):
        store.update("activities", "x", {"runner_labels": ["x" * 101]})
    store.update("activities", "x", {"runner_labels": ["ubuntu-latest"]})


def test_conflicts_and_missing_rows() -> None:
    store = MemoryStore()
    stats(store, "gh_1")
    with pytest.raises(ConflictError):
        stats(store, "gh_1")
    with pytest.raises(NotFoundError):
        store.update("user_stats", "gh_2", {"carbon_kg": 1.0})
    with pytest.raises(NotFoundError):
        store.increment("user_stats", "gh_2", "carbon_kg", 1.0)
    with pytest.raises(NotFoundError):
        store.get("no_such_table", "x")
    assert store.get("user_stats", "gh_2") is None


def test_upsert_merges_and_keeps_permissions_given_in_data() -> None:
    store = MemoryStore()
    store.upsert("user_stats", "gh_1", {**STATS, "carbon_kg": 1.0, "$permissions": ['read("any")']})
    store.upsert("user_stats", "gh_1", {"commit_count": 2})
    [row] = store.rows("user_stats")
    assert (row["carbon_kg"], row["commit_count"], row["$permissions"]) == (1.0, 2, ['read("any")'])


def test_queries_filter_order_and_page() -> None:
    store = MemoryStore(schema=None)
    for index, (kind, kg) in enumerate([("a", 3.0), ("b", None), ("a", 1.0), ("c", 2.0), ("a", None)]):
        store.create("t", f"r{index}", {"kind": kind, "kg": kg})
    ids = lambda rows: [row["$id"] for row in rows]  # noqa: E731
    assert ids(store.find("t", [Query.equal("kind", ["a", "c"])])) == ["r0", "r2", "r3", "r4"]
    assert ids(store.find("t", [Query.not_equal("kind", "a")])) == ["r1", "r3"]
    assert ids(store.find("t", [Query.is_null("kg")])) == ["r1", "r4"]
    assert ids(store.find("t", [Query.greater_than("kg", 1.5)])) == ["r0", "r3"]  # null never compares
    assert ids(store.find("t", [Query.order_desc("kg"), Query.limit(2)])) == ["r0", "r3"]
    assert ids(store.find("t", [Query.greater_than("$id", "r2"), Query.order_asc("$id")])) == ["r3", "r4"]
    assert ids(store.find("t", [Query.cursor_after("r1"), Query.limit(2)])) == ["r2", "r3"]
    assert ids(store.find("t", [Query.or_queries([Query.is_null("kg"), Query.equal("kind", "c")])])) == [
        "r1",
        "r3",
        "r4",
    ]
    assert set(store.find("t", [Query.select(["kind"]), Query.limit(1)])[0]) == {
        "kind",
        "$id",
        "$tableId",
        "$databaseId",
        "$createdAt",
        "$updatedAt",
        "$permissions",
        "$sequence",
    }
    with pytest.raises(StoreRejectedError):
        store.find("t", [Query.cursor_after("gone")])


def test_default_limit_is_appwrites_and_iterate_reads_everything() -> None:
    store = MemoryStore(schema=None)
    for number in range(130):
        store.create("t", f"r{number:03d}", {"n": number})
    assert len(store.find("t")) == 25
    assert [row["n"] for row in store.iterate("t", page_size=40)] == list(range(130))


def test_transactions_are_all_or_nothing() -> None:
    store = MemoryStore()
    stats(store, "gh_1", carbon_kg=1.0)
    with pytest.raises(NotFoundError), store.transaction() as tx:
        tx.increment("user_stats", "gh_1", "carbon_kg", 2.0)
        tx.upsert("user_stats", "gh_9", {**STATS, "user_id": "gh_9"})
        tx.update("user_stats", "missing", {"carbon_kg": 1.0})
    assert [row["$id"] for row in store.rows("user_stats")] == ["gh_1"]
    assert store.rows("user_stats")[0]["carbon_kg"] == 1.0
    with store.transaction() as tx:
        tx.increment("user_stats", "gh_1", "carbon_kg", -0.25)
        tx.increment("user_stats", "gh_1", "commit_count", 2)
    row = store.rows("user_stats")[0]
    assert (row["carbon_kg"], row["commit_count"]) == (0.75, 2)
    assert isinstance(row["commit_count"], int)


def test_transaction_size_and_injected_failures() -> None:
    store = MemoryStore(schema=None)
    with pytest.raises(ValidationError), store.transaction() as tx:
        for i in range(MAX_BATCH + 1):
            tx.create("t", f"r{i}", {})
    assert store.rows("t") == []
    store.fail("get", "t")
    with pytest.raises(StorageError):
        store.get("t", "r1")
    assert store.get("t", "r1") is None  # only the next call fails


def test_row_ids_are_checked_by_the_store_too() -> None:
    store = MemoryStore(schema=None)
    with pytest.raises(StoreRejectedError):
        store._create("t", "_starts-with-underscore", {}, None)  # what Appwrite answers past the port
    with pytest.raises(StoreRejectedError):
        store._bulk("create", "t", [{"$id": "ok"}, {"$id": "a" * 37}])
    assert store.rows("t") == []  # a bulk request lands whole or not at all


def test_ranges_datetimes_and_empty_updates_are_refused() -> None:
    store = MemoryStore()
    store.seed("activities", "x", {"user_id": "u"})
    with pytest.raises(StoreRejectedError):
        store.update("activities", "x", {"lines_added": -1})  # the column's min is 0
    with pytest.raises(StoreRejectedError):
        store.update("activities", "x", {"timestamp": "yesterday"})
    with pytest.raises(StoreRejectedError):
        store.update("activities", "x", {})  # neither data nor permissions
    store.update("activities", "x", {"lines_added": 0, "timestamp": "2026-11-25T12:00:00.000+00:00"})
    assert store.rows("activities")[0]["runner_labels"] == []  # an unset array reads as [], as on Appwrite


def test_bulk_requests_hold_at_most_100_rows() -> None:
    store = MemoryStore(schema=None)
    with pytest.raises(StoreRejectedError):
        store._bulk("upsert", "t", [{"$id": f"r{i}"} for i in range(MAX_BATCH + 1)])
    assert store.rows("t") == []


def test_datetime_columns_compare_as_times_not_as_text() -> None:
    store = MemoryStore()
    store.seed("emission_factors", "DE", {"region": "DE", "expires_at": "2026-11-25T12:00:00.000+00:00"})
    earlier_in_utc = "2026-11-25T12:30:00.000+01:00"  # 11:30 UTC, yet after "...T12:00" as text
    assert store.find("emission_factors", [Query.less_than("expires_at", earlier_in_utc)]) == []
    assert len(store.find("emission_factors", [Query.greater_than("expires_at", earlier_in_utc)])) == 1
    with pytest.raises(StoreRejectedError):
        store.find("emission_factors", [Query.less_than("expires_at", "soon")])


def test_a_transaction_is_three_requests_and_a_failed_step_writes_nothing() -> None:
    store = MemoryStore(schema=None)
    with store.transaction() as tx:
        tx.create("t", "a", {"n": 1})
    assert store.requests == [
        ("tx_create", "transactions"),
        ("tx_stage", "transactions"),
        ("tx_commit", "transactions"),
    ]
    assert store.events == [("create", "t", "a")]
    for step in ("tx_create", "tx_stage", "tx_commit"):
        store.fail(step)
        with pytest.raises(StorageError), store.transaction() as tx:
            tx.create("t", "b", {"n": 2})
            tx.increment("t", "a", "n", 5)
        assert [row["$id"] for row in store.rows("t")] == ["a"]
        assert store.rows("t")[0]["n"] == 1
    assert store.events == [("create", "t", "a")]  # no event for what did not commit


def test_a_duplicate_in_a_transaction_is_a_conflict_and_writes_nothing() -> None:
    store = MemoryStore(schema=None)
    store.create("t", "a", {})
    with pytest.raises(ConflictError), store.transaction() as tx:
        tx.create("t", "b", {})
        tx.create("t", "a", {})
    assert [row["$id"] for row in store.rows("t")] == ["a"]


def test_events_name_each_changed_row_as_appwrite_emits_them() -> None:
    store = MemoryStore(schema=None)
    store.create("t", "a", {"n": 1})
    store.upsert("t", "a", {"n": 2})
    store.upsert("t", "b", {"n": 1})
    store.increment("t", "a", "n", 1)
    store.bulk_upsert("t", [{"$id": "b", "n": 5}, {"$id": "c", "n": 0}])
    store.delete("t", "c")
    assert store.events == [
        ("create", "t", "a"),
        ("upsert", "t", "a"),
        ("upsert", "t", "b"),
        ("update", "t", "a"),
        ("upsert", "t", "b"),
        ("upsert", "t", "c"),
        ("delete", "t", "c"),
    ]


def test_failures_by_position_and_an_unreachable_store() -> None:
    store = MemoryStore(schema=None)
    store.fail("create", "t", times=2, after=1)
    store.create("t", "a", {})
    for row_id in ("b", "c"):
        with pytest.raises(StorageError):
            store.create("t", row_id, {})
    store.create("t", "d", {})
    assert [row["$id"] for row in store.rows("t")] == ["a", "d"]
    with pytest.raises(ValueError, match="no request is called"):
        store.fail("commit")  # a misspelt step would never fail: refused
    store.down = True
    with pytest.raises(StorageError):
        store.get("t", "a")
    with pytest.raises(StorageError):
        store.find("t")
