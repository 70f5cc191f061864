"""The calculation service against the in-memory store: the scheduled sweep, the user's actions, one transaction
per write, user_stats and rollup deltas, and idempotent recalculation."""

from __future__ import annotations

from typing import Any

import pytest

from ecotrace.domain.carbon import calculation_id, default_methodology
from ecotrace.domain.models import Activity, EmissionFactor
from ecotrace.entrypoints.http import Invocation
from ecotrace.errors import ConflictError, NotFoundError, UnauthorizedError, ValidationError
from ecotrace.services.calculate import CarbonCalculator
from ecotrace.services.carbon import carbon_for_ingest
from ecotrace.tables.activities import from_row as activity_from_row
from ecotrace.tables.activities import to_row as activity_row
from tests.fakes.memory_store import MemoryStore
from tests.unit.carbon.carbon_builders import NOW, make_activity, make_factor
from tests.unit.ranking.rollup_helpers import assert_rollups_match, rollups_from_scratch

VERSION = default_methodology().version
ALICE, BOB = "acct-alice", "acct-bob"
USER = Invocation(trigger="http", user_id=ALICE, event=None, key="k")
EVENT = Invocation(
    trigger="event", user_id=None, event="databases.ecotrace-main.tables.activities.rows.x.create", key="k"
)
SCHEDULE = Invocation(trigger="schedule", user_id=None, event=None, key="k")


class FixedFactors:
    """A FactorLookup: one intensity everywhere; remembers the regions asked for."""

    def __init__(self, g_per_kwh: float = 415.755) -> None:
        self.g_per_kwh = g_per_kwh
        self.asked: list[str | None] = []

    def resolve(self, region: str | None) -> EmissionFactor:
        self.asked.append(region)
        return make_factor(self.g_per_kwh, region=region or "WORLD")


def build(store: MemoryStore | None = None, **kw: Any) -> tuple[CarbonCalculator, MemoryStore, FixedFactors]:
    store = store or MemoryStore(clock=lambda: NOW)
    factors = FixedFactors()
    return CarbonCalculator(store, factors, clock=lambda: NOW, **kw), store, factors


def seed_user(store: MemoryStore, user_id: str, account: str | None, stats_kg: float | None = 0.0) -> None:
    data = {"github_id": user_id[3:], "username": user_id, "account_id": account}
    store.seed("users", user_id, data)
    if stats_kg is not None:
        store.seed("user_stats", user_id, {"user_id": user_id, "github_login": user_id, "carbon_kg": stats_kg})


def seed_activity(store: MemoryStore, activity: Activity, perms: list[str] | None = None) -> dict[str, Any]:
    row = activity_row(activity, perms or ['read("user:acct-alice")'])
    return store.seed("activities", activity.id, row)


def ci(id_: str, user: str = "gh_1", **kw: Any) -> Activity:
    return make_activity(**{"id": id_, "user_id": user, "duration_s": 600, "runner_labels": ["ubuntu-latest"], **kw})


def test_the_schedule_gives_a_row_left_without_carbon_its_carbon_in_one_transaction() -> None:
    service, store, _ = build()
    seed_user(store, "gh_1", ALICE, stats_kg=1.0)
    seed_activity(store, ci("a1"))
    store.requests.clear()
    answer = service.handle({}, SCHEDULE)
    assert (answer["status"], answer["calculated"], answer["done"]) == ("swept", 1, True)
    [activity] = store.rows("activities")
    carbon = activity["carbon_kg"]
    assert carbon is not None
    assert activity["methodology_version"] == VERSION
    assert activity["calculation_id"] == calculation_id("a1", VERSION)
    [calc] = store.rows("calculations")
    assert calc["$id"] == calculation_id("a1", VERSION)
    assert calc["activity_id"] == "a1"
    assert calc["$permissions"] == ['read("user:acct-alice")']  # readable by whoever reads the activity
    assert store.rows("user_stats")[0]["carbon_kg"] == pytest.approx(1.0 + carbon)
    # the result reaches the leaderboards' sums in the same commit: the day, week, month and all-time rows
    rollups = {r["period_type"]: r for r in store.rows("rollups")}
    assert sorted(rollups) == ["all_time", "daily", "monthly", "weekly"]
    assert all(r["carbon_kg"] == pytest.approx(carbon) and r["ci_run_count"] == 1 for r in rollups.values())
    assert [m for m, _ in store.requests].count("tx_commit") == 1


def test_the_schedule_leaves_calculated_rows_alone() -> None:
    service, store, _ = build()
    seed_user(store, "gh_1", ALICE)
    seed_activity(store, ci("a1"))
    service.handle({}, SCHEDULE)
    before = (store.rows("activities"), store.rows("calculations"), store.rows("user_stats"), store.rows("rollups"))
    store.requests.clear()
    assert service.handle({}, SCHEDULE)["calculated"] == 0
    assert (
        store.rows("activities"),
        store.rows("calculations"),
        store.rows("user_stats"),
        store.rows("rollups"),
    ) == before
    assert ("tx_commit", "transactions") not in store.requests


def test_a_row_event_from_a_stale_deployment_writes_nothing() -> None:
    service, store, _ = build()
    seed_user(store, "gh_1", ALICE)
    row = seed_activity(store, ci("a1"))
    assert service.handle(row, EVENT)["status"] == "ignored"  # appwrite.json no longer subscribes to it
    assert store.commits == []
    assert store.requests == []


def test_calculate_only_the_callers_own_activity() -> None:
    service, store, _ = build()
    seed_user(store, "gh_1", ALICE)
    seed_user(store, "gh_2", BOB)
    seed_activity(store, ci("mine", "gh_1"))
    seed_activity(store, ci("theirs", "gh_2"))
    answer = service.handle({"action": "calculate", "activity_id": "mine"}, USER)
    assert answer["result"]["activity_id"] == "mine"
    for absent in ("theirs", "missing"):
        with pytest.raises(NotFoundError, match=f"activity {absent} not found"):
            service.handle({"action": "calculate", "activity_id": absent}, USER)
    assert [r["activity_id"] for r in store.rows("calculations")] == ["mine"]


def test_direct_execution_needs_a_signed_in_user() -> None:
    service, _, _ = build()
    with pytest.raises(UnauthorizedError):
        service.handle({"action": "estimate", "activity": {"type": "commit"}}, Invocation("http", None, None, "k"))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "action"),
        ({"action": "delete_everything"}, "action"),
        ({"action": "calculate"}, "activity_id"),
        ({"action": "calculate", "activity_id": "../etc"}, "activity_id"),
        ({"action": "recalculate", "cursor": 5}, "cursor"),
        ({"action": "estimate"}, "activity"),
        ({"action": "estimate", "activity": {"type": "ci_run", "duration_s": -1}}, "activity.duration_s"),
        ({"action": "estimate", "activity": {"type": "meeting"}}, "activity.type"),
        ({"action": "estimate", "activity": {"type": "pr", "colour": "red"}}, "activity.colour"),
        ({"action": "estimate", "activity": {"type": "ci_run", "duration_s": "NaN"}}, "activity.duration_s"),
    ],
)
def test_bad_requests_name_the_field(body: dict[str, Any], field: str) -> None:
    service, store, _ = build()
    with pytest.raises(ValidationError) as info:
        service.handle(body, USER)
    assert field in info.value.message
    assert store.commits == []


def test_estimate_stores_nothing_and_uses_the_method() -> None:
    service, store, factors = build()
    answer = service.handle(
        {"action": "estimate", "activity": {"type": "ci_run", "duration_s": 600, "runner_labels": ["ubuntu-latest"]}},
        USER,
    )
    assert answer["stored"] is False
    assert answer["result"]["carbon_kg"] == pytest.approx(0.00096220518, rel=1e-6)  # golden example 1
    assert factors.asked == ["azure:eastus"]
    assert store.commits == []
    assert all(not rows for rows in store.tables.values())


def _seed_history(store: MemoryStore, n: int) -> None:
    seed_user(store, "gh_1", ALICE, stats_kg=0.0)
    seed_user(store, "gh_2", BOB, stats_kg=0.0)
    for i in range(n):
        old = {"carbon_kg": 0.5, "methodology_version": "2025.1.1"} if i % 3 == 0 else {}
        seed_activity(store, ci(f"a{i:03d}", **old))
        seed_activity(store, ci(f"b{i:03d}", "gh_2"))


def test_recalculate_updates_stale_activities_and_twice_changes_nothing() -> None:
    service, store, _ = build()
    _seed_history(store, 7)
    first = service.handle({"action": "recalculate"}, USER)
    assert (first["done"], first["next_cursor"], first["recalculated"]) == (True, None, 7)
    mine = [r for r in store.rows("activities") if r["user_id"] == "gh_1"]
    assert {r["methodology_version"] for r in mine} == {VERSION}
    assert all(r["carbon_kg"] is None for r in store.rows("activities") if r["user_id"] == "gh_2")
    # stats: the sum of new carbon minus the 0.5 kg the three old-version rows carried
    expected = sum(r["carbon_kg"] for r in mine) - 3 * 0.5
    assert store.rows("user_stats")[0]["carbon_kg"] == pytest.approx(expected)
    snapshot = {t: store.rows(t) for t in ("activities", "calculations", "user_stats")}
    second = service.handle({"action": "recalculate"}, USER)
    assert second["recalculated"] == 0
    assert {t: store.rows(t) for t in snapshot} == snapshot


def test_recalculate_resumes_from_its_cursor_when_the_budget_runs_out() -> None:
    ticks = iter(range(10_000))
    service, store, _ = build(monotonic=lambda: float(next(ticks)), budget_s=1.5)  # one page per call
    _seed_history(store, 120)
    reference, ref_store, _ = build()
    _seed_history(ref_store, 120)
    reference.handle({"action": "recalculate"}, USER)

    cursor: str | None = None
    calls = 0
    while True:
        body: dict[str, Any] = {"action": "recalculate"}
        if cursor:
            body["cursor"] = cursor
        answer = service.handle(body, USER)
        calls += 1
        if answer["done"]:
            break
        cursor = answer["next_cursor"]
    assert calls == 3  # 120 activities in pages of 50
    for table in ("activities", "calculations", "user_stats"):
        strip = [
            {k: v for k, v in r.items() if k not in ("$createdAt", "$updatedAt", "$sequence")}
            for r in store.rows(table)
        ]
        ref = [
            {k: v for k, v in r.items() if k not in ("$createdAt", "$updatedAt", "$sequence")}
            for r in ref_store.rows(table)
        ]
        assert strip == ref


def test_a_failed_commit_leaves_nothing_half_written() -> None:
    service, store, _ = build()
    seed_user(store, "gh_1", ALICE, stats_kg=2.0)
    seed_activity(store, ci("a1"))
    store.fail("tx_commit")
    answer = service.handle({}, SCHEDULE)
    assert (answer["calculated"], answer["done"]) == (0, False)
    assert "injected failure" in answer["failed"][0]["error"]
    assert store.rows("calculations") == []
    assert store.rows("rollups") == []
    assert store.rows("activities")[0]["carbon_kg"] is None
    assert store.rows("user_stats")[0]["carbon_kg"] == 2.0


def test_ingest_hook_fills_carbon_and_returns_audit_rows() -> None:
    factors = FixedFactors()
    run = carbon_for_ingest(factors, lambda: NOW)
    activities = [ci("a1"), ci("a2", counted=False), make_activity(id="c1", type="commit", lines_added=5)]
    filled, rows = run(activities)
    assert [a.id for a in filled] == ["a1", "a2", "c1"]
    assert all(a.methodology_version == VERSION and a.carbon_kg is not None for a in filled)
    assert filled[1].carbon_kg == 0
    assert [r["$id"] for r in rows] == [calculation_id(a.id, VERSION) for a in activities]
    assert all("$permissions" not in r for r in rows)
    store = MemoryStore()
    for r in rows:  # the rows fit the calculations table as they are
        store.create("calculations", r["$id"], {k: v for k, v in r.items() if k != "$id"})


def test_rows_written_by_the_webhook_read_back_as_activities() -> None:
    activity = ci("a1", details={"repo_private": True, "duration_known": False}, region="azure:westeurope")
    back = activity_from_row(activity_row(activity, []))
    assert back == activity
    with pytest.raises(ValidationError, match=r"activity\.type"):
        activity_from_row({**activity_row(activity, []), "type": "nap"})


def test_a_conflicting_concurrent_write_is_retried_from_fresh_rows() -> None:
    pauses: list[float] = []
    service, store, _ = build(sleep=pauses.append)
    seed_user(store, "gh_1", ALICE, stats_kg=1.0)
    seed_activity(store, ci("a1"))
    store.fail("tx_commit", error=ConflictError("transaction conflict"))
    answer = service.handle({}, SCHEDULE)
    assert answer["calculated"] == 1
    assert len(pauses) == 1
    carbon = store.rows("activities")[0]["carbon_kg"]
    assert store.rows("user_stats")[0]["carbon_kg"] == pytest.approx(1.0 + carbon)
    assert len(store.commits) == 1


def test_a_row_calculated_by_the_other_writer_is_not_written_again() -> None:
    service, store, _ = build(sleep=lambda s: None)
    seed_user(store, "gh_1", ALICE, stats_kg=0.0)
    seed_activity(store, ci("a1"))
    other, _, _ = build(store, sleep=lambda s: None)
    original_commit = store._commit

    def commit_after_the_other_writer(operations: list[dict[str, Any]]) -> None:
        store._commit = original_commit  # type: ignore[method-assign]
        other.handle({}, SCHEDULE)  # the concurrent execution wins the race
        raise ConflictError("transaction conflict")

    store._commit = commit_after_the_other_writer  # type: ignore[method-assign]
    assert service.handle({}, SCHEDULE)["calculated"] == 0
    assert len(store.commits) == 1
    carbon = store.rows("activities")[0]["carbon_kg"]
    assert store.rows("user_stats")[0]["carbon_kg"] == pytest.approx(carbon)
    assert {r["period_type"]: r["carbon_kg"] for r in store.rows("rollups")}["all_time"] == pytest.approx(carbon)


def test_conflicts_that_never_end_are_reported_and_write_nothing() -> None:
    service, store, _ = build(sleep=lambda s: None)
    seed_user(store, "gh_1", ALICE)
    seed_activity(store, ci("a1"))
    for _ in range(6):
        store.fail("tx_commit", error=ConflictError("transaction conflict"))
    answer = service.handle({}, SCHEDULE)
    assert answer["calculated"] == 0
    assert "conflict" in answer["failed"][0]["error"]
    assert store.rows("calculations") == []
    assert store.rows("pending_deltas") == []


def test_a_malformed_row_is_skipped_and_named_not_blocking_the_rest() -> None:
    service, store, _ = build()
    seed_user(store, "gh_1", ALICE)
    seed_activity(store, ci("a1"))
    store.seed("activities", "a2", {**activity_row(ci("a2"), []), "type": "meeting"})  # written by an old bug
    seed_activity(store, ci("a3"))
    answer = service.handle({"action": "recalculate"}, USER)
    assert answer["recalculated"] == 2
    assert [s["activity_id"] for s in answer["skipped"]] == ["a2"]
    assert "type" in answer["skipped"][0]["error"]


def test_recalculating_under_a_new_method_version_moves_the_rollups_to_the_new_figures() -> None:
    """Rows the previous method version calculated are recalculated, and the day/week/month/all-time rollups the
    boards rank from follow in the same commits: afterwards they equal a count from scratch of the activity rows,
    with none of the old version's carbon left in them."""
    service, store, factors = build()
    fresh, fresh_store, fresh_factors = build()  # the reference: the same work calculated once by the new method
    fresh_factors.g_per_kwh = 2 * 415.755
    for s in (store, fresh_store):
        seed_user(s, "gh_1", ALICE, stats_kg=0.0)
        for i in range(6):
            seed_activity(s, ci(f"a{i}", duration_s=300 + 60 * i))
    service.handle({}, SCHEDULE)  # calculated once, rollups written
    fresh.handle({}, SCHEDULE)
    old_total = sum(r["carbon_kg"] for r in store.rows("activities"))
    for row in store.rows("activities"):  # as if the previous release's method had calculated them
        store.tables["activities"][row["$id"]]["methodology_version"] = "2026.11.1"
    factors.g_per_kwh = 2 * 415.755  # the new version prices the same work differently
    answer = service.handle({"action": "recalculate"}, USER)
    assert answer["recalculated"] == 6
    rows = store.rows("activities")
    assert {r["methodology_version"] for r in rows} == {VERSION}
    new_total = sum(r["carbon_kg"] for r in rows)
    assert new_total > old_total
    assert {r["$id"]: r["carbon_kg"] for r in rows} == {
        r["$id"]: pytest.approx(r["carbon_kg"]) for r in fresh_store.rows("activities")
    }
    stored = {r["$id"]: r for r in store.rows("rollups")}
    assert_rollups_match(rollups_from_scratch(rows), stored)
    all_time = next(r for r in stored.values() if r["period_type"] == "all_time")
    assert all_time["carbon_kg"] == pytest.approx(new_total)
    assert store.rows("user_stats")[0]["carbon_kg"] == pytest.approx(new_total)
