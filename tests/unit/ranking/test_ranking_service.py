"""The leaderboard service against an in-memory store: what a reader of `leaderboards` sees after a run.

Activities are recorded as every writer records them (the row and its rollups in one transaction); the run ranks
from the rollups alone."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecotrace.clock import to_iso
from ecotrace.domain.ranking import PeriodType
from ecotrace.services.leaderboard import (
    LeaderboardOptions,
    RunRequest,
    TimeBudgetExceededError,
    update_leaderboards,
)
from ecotrace.services.rollups import CountedState, RollupWriter, counted_writes, entries_of
from ecotrace.tables import activities
from tests.fakes.memory_store import MemoryStore
from tests.unit.ranking.rollup_helpers import activity, record

NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # Wednesday of 2026-W48


def board(store: MemoryStore, period_type: str, period_key: str) -> list[tuple[int, str]]:
    rows = [
        r
        for r in store.tables["leaderboards"].values()
        if (r["period_type"], r["period_key"]) == (period_type, period_key)
    ]
    return sorted((r["rank"], r["user_id"]) for r in rows)


def run(
    store: MemoryStore, now: datetime = NOW, periods: tuple[PeriodType, ...] = tuple(PeriodType), **opts: Any
) -> Any:
    return update_leaderboards(
        store, RunRequest(periods, now), options=LeaderboardOptions(**opts), clock=lambda: NOW + timedelta(hours=1)
    )


@pytest.fixture
def store() -> MemoryStore:
    s = MemoryStore()
    today = NOW.replace(hour=9)
    record(s, activity("gh_1", today, 0.010))  # 0.02 kg for 100 lines today: 0.2 kg/kloc
    record(s, activity("gh_1", today, 0.010, type="ci_run", duration_s=600))
    record(s, activity("gh_2", today, 0.002))  # the most efficient today: 0.02 kg/kloc
    record(s, activity("gh_2", today, None))  # pending
    record(s, activity("gh_3", today, 0.001, github_login="renovate[bot]"))  # bots are never ranked
    record(s, activity("gh_3", today, 0.001, is_bot=True))
    record(s, activity("gh_4", NOW - timedelta(days=2), 0.050))  # Monday: this week and month, not today
    record(s, activity("gh_5", datetime(2026, 10, 30, tzinfo=UTC), 0.0001))  # last month: all-time only
    record(s, activity("gh_6", today, 0.001, type="ci_run", duration_s=60))  # CI only: no lines, not ranked
    return s


def test_a_run_ranks_every_period_from_rollups_and_reports_what_it_did(store: MemoryStore) -> None:
    store.list_requests.clear()
    result = run(store)
    assert board(store, "daily", "2026-11-25") == [(1, "gh_2"), (2, "gh_1")]
    assert board(store, "weekly", "2026-W48") == [(1, "gh_2"), (2, "gh_1"), (3, "gh_4")]
    assert board(store, "monthly", "2026-11") == [(1, "gh_2"), (2, "gh_1"), (3, "gh_4")]
    assert board(store, "all_time", "all") == [(1, "gh_5"), (2, "gh_2"), (3, "gh_1"), (4, "gh_4")]
    assert result.rows_written == 2 + 3 + 3 + 4 == len(store.tables["leaderboards"])
    assert result.users_ranked == 4  # distinct users; the bot gh_3 and the CI-only gh_6 are not among them
    assert {table for table, _ in store.list_requests} == {
        "pending_deltas",
        "activity_feed",
        "users",
        "rollups",
        "leaderboards",
    }
    daily = next(p for p in result.periods if p.period_type == "daily")
    assert (daily.users_ranked, daily.users_without_units, daily.rollup_rows_read) == (2, 1, 3)
    row = store.get("leaderboards", "daily_2026-11-25_gh_1")
    assert row is not None
    assert row["ci_minutes"] == pytest.approx(10.0)
    assert row["carbon_per_kloc_kg"] == pytest.approx(0.2)
    assert row["percentile"] == 0.0
    assert row["updated_at"] == "2026-11-25T15:00:00.000+00:00"  # when the run wrote it


def test_a_second_run_without_changes_writes_nothing(store: MemoryStore) -> None:
    run(store)
    events_before = len(store.events)
    result = run(store)
    assert result.rows_written == 0
    assert result.rows_removed == 0
    assert len(store.events) == events_before  # no realtime event without a change


def test_each_entry_shows_its_movement_since_the_previous_run(store: MemoryStore) -> None:
    run(store, periods=(PeriodType.DAILY,))
    assert store.get("leaderboards", "daily_2026-11-25_gh_2")["rank_change"] is None  # type: ignore[index]
    pending = next(r for r in store.tables["activities"].values() if r["carbon_kg"] is None)
    before = activities.from_row(pending)
    after = before.model_copy(update={"carbon_kg": 0.05, "methodology_version": "x", "calculated_at": NOW})
    RollupWriter(store).apply([(before, after)], with_writes=[])  # its result lands: gh_2 now 0.52 kg/kloc
    run(store, periods=(PeriodType.DAILY,))
    assert board(store, "daily", "2026-11-25") == [(1, "gh_1"), (2, "gh_2")]
    moved = {u: store.get("leaderboards", f"daily_2026-11-25_{u}") for u in ("gh_1", "gh_2")}
    assert {u: (r["previous_rank"], r["rank_change"]) for u, r in moved.items() if r} == {
        "gh_1": (2, 1),
        "gh_2": (1, -1),
    }
    moved_at = {r["rank_changed_at"] for r in moved.values() if r}
    assert moved_at == {"2026-11-25T15:00:00.000+00:00"}  # the run that moved them: the movement since the last run
    assert run(store, periods=(PeriodType.DAILY,)).rows_written == 0  # no move since: nothing rewritten


def test_users_who_drop_out_lose_their_entry_and_others_move_up(store: MemoryStore) -> None:
    run(store)
    store.create("users", "gh_2", {"github_id": "2", "username": "dev2", "leaderboard_visible": False})  # opts out
    store.events.clear()
    result = run(store)
    assert board(store, "daily", "2026-11-25") == [(1, "gh_1")]
    assert board(store, "all_time", "all") == [(1, "gh_5"), (2, "gh_1"), (3, "gh_4")]
    assert store.get("leaderboards", "daily_2026-11-25_gh_2") is None
    assert result.rows_removed == 4  # daily, weekly, monthly, all-time
    assert next(p for p in result.periods if p.period_type == "daily").users_left_out == 1
    deletes = [i for i, e in enumerate(store.events) if e[0] == "delete" and e[2].startswith("daily_")]
    upserts = [i for i, e in enumerate(store.events) if e[0] == "upsert" and e[2].startswith("daily_")]
    assert max(deletes) < min(upserts)  # the stale entry goes before anyone takes its rank


def test_a_user_labelled_a_bot_in_the_users_table_is_not_ranked(store: MemoryStore) -> None:
    store.create("users", "gh_2", {"github_id": "2", "username": "dev2", "is_bot": True})
    store.create("users", "gh_1", {"github_id": "1", "username": "dev1", "is_bot": False})
    run(store, periods=(PeriodType.DAILY,))
    assert board(store, "daily", "2026-11-25") == [(1, "gh_1")]


def test_minimum_activity_setting(store: MemoryStore) -> None:
    result = run(store, periods=(PeriodType.DAILY,), min_activities=2)
    assert board(store, "daily", "2026-11-25") == [(1, "gh_1")]
    assert result.periods[0].users_below_minimum == 1


def test_a_run_reads_only_the_rollup_rows_of_its_periods_in_cursor_pages(store: MemoryStore) -> None:
    for i in range(30):
        record(store, activity(f"gh_{100 + i}", NOW.replace(hour=1), 0.001 * (i + 1)))
    store.list_requests.clear()
    run(store, periods=(PeriodType.DAILY, PeriodType.WEEKLY), page_size=10)
    reads = [q for table, q in store.list_requests if table == "rollups"]
    assert len(reads) == 4 + 4  # 33 daily and 34 weekly rows at 10 a page
    methods = {q["method"]: q for q in reads[1]}
    assert methods["equal"]["attribute"] in ("period_type", "period_key")
    assert "cursorAfter" in methods
    assert not [table for table, _ in store.list_requests if table == "activities"]  # never an activity
    assert len(board(store, "daily", "2026-11-25")) == 32


def test_hundreds_of_users_are_written_in_batches_the_store_accepts() -> None:
    store = MemoryStore()
    for i in range(250):
        record(store, activity(f"gh_{i}", NOW, 0.001 * (i % 17 + 1)))
    result = run(store, periods=(PeriodType.DAILY,))
    ranks = [r for r, _ in board(store, "daily", "2026-11-25")]
    assert ranks == list(range(1, 251))
    assert result.rows_written == 250


def test_the_previous_day_is_finalised_early_in_a_new_day() -> None:
    store = MemoryStore()
    record(store, activity("gh_1", datetime(2026, 11, 30, 23, 30, tzinfo=UTC), 0.01))
    run(store, now=datetime(2026, 12, 1, 0, 5, tzinfo=UTC), periods=(PeriodType.DAILY, PeriodType.MONTHLY))
    assert board(store, "daily", "2026-11-30") == [(1, "gh_1")]
    assert board(store, "monthly", "2026-11") == [(1, "gh_1")]
    assert board(store, "daily", "2026-12-01") == []


def test_backfill_of_a_past_week(store: MemoryStore) -> None:
    record(store, activity("gh_9", datetime(2026, 11, 3, tzinfo=UTC), 0.001))
    result = run(store, now=datetime(2026, 11, 4, 12, tzinfo=UTC), periods=(PeriodType.WEEKLY,))
    assert [p.period_key for p in result.periods] == ["2026-W45"]
    assert board(store, "weekly", "2026-W45") == [(1, "gh_9")]
    assert board(store, "weekly", "2026-W48") == []


def test_long_user_ids_get_a_short_deterministic_row_id() -> None:
    store = MemoryStore()
    long_id = "gh_" + "9" * 60
    record(store, activity(long_id, NOW, 0.01, github_login="long"))
    run(store, periods=(PeriodType.MONTHLY,))
    [row] = store.tables["leaderboards"].values()
    assert row["user_id"] == long_id
    assert row["$id"].startswith("monthly_2026-11_h.")
    assert len(row["$id"]) == 36
    assert run(store, periods=(PeriodType.MONTHLY,)).rows_written == 0


def test_a_run_over_its_time_budget_leaves_the_periods_it_did_not_reach(store: MemoryStore) -> None:
    def monotonic() -> float:  # the clock jumps past the budget once the bounded periods are written
        return 100.0 if len(store.tables["leaderboards"]) >= 8 else 0.0

    with pytest.raises(TimeBudgetExceededError, match="all_time:all left as they were") as info:
        update_leaderboards(
            store, RunRequest(tuple(PeriodType), NOW), options=LeaderboardOptions(time_budget_s=50), monotonic=monotonic
        )
    assert info.value.details["written"] == ["daily:2026-11-25", "weekly:2026-W48", "monthly:2026-11"]
    assert board(store, "weekly", "2026-W48") == [(1, "gh_2"), (2, "gh_1"), (3, "gh_4")]
    assert board(store, "all_time", "all") == []


def test_a_run_folds_pending_deltas_first_and_purges_the_expired_feed(store: MemoryStore) -> None:
    late = activity("gh_7", NOW.replace(hour=2), 0.0001)
    writer = RollupWriter(store)
    deferred = counted_writes(
        entries_of([(None, late)]), {}, CountedState(), source="d1", room=100, now=NOW, defer=True
    )
    with store.transaction() as tx:  # a delivery that met contention: its rows, and its counting deferred
        tx.create(activities.NAME, late.id, activities.to_row(late))
        tx.stage(*deferred.writes)
    store.create(
        "activity_feed",
        "f1",
        {
            "activity_type": "commit",
            "activity_count": 1,
            "created_at": to_iso(NOW - timedelta(days=8)),
            "expires_at": to_iso(NOW - timedelta(days=1)),
        },
    )
    store.create(
        "activity_feed",
        "f2",
        {
            "activity_type": "commit",
            "activity_count": 1,
            "created_at": to_iso(NOW),
            "expires_at": to_iso(NOW + timedelta(days=7)),
        },
    )
    result = run(store, periods=(PeriodType.DAILY,))
    assert (result.pending_folded, result.feed_purged) == (1, 1)
    assert board(store, "daily", "2026-11-25")[0] == (1, "gh_7")
    assert store.rows("pending_deltas") == []
    assert [r["$id"] for r in store.rows("activity_feed")] == ["f2"]
    assert writer.fold_pending().folded == 0  # nothing left to fold


def test_runs_are_idempotent_in_any_order() -> None:
    store = MemoryStore()
    ticks = itertools.count()
    for hour in range(6):
        record(store, activity(f"gh_{next(ticks) % 3}", NOW.replace(hour=hour), 0.001 * (hour + 1)))
    first = run(store)
    again = run(store)
    assert first.rows_written > 0
    assert (again.rows_written, again.rows_removed) == (0, 0)


def test_people_who_opted_out_are_not_ranked_and_their_entries_go(store: MemoryStore) -> None:
    run(store)
    store.seed("users", "gh_2", {"github_id": "2", "username": "dev2", "leaderboard_visible": False})
    store.seed("users", "gh_1", {"github_id": "1", "username": "dev1", "leaderboard_visible": True})
    result = run(store)
    assert board(store, "daily", "2026-11-25") == [(1, "gh_1")]
    assert board(store, "all_time", "all") == [(1, "gh_5"), (2, "gh_1"), (3, "gh_4")]
    assert not any(r["user_id"] == "gh_2" for r in store.tables["leaderboards"].values())
    assert result.rows_removed == 4  # gh_2's daily, weekly, monthly and all-time entries
