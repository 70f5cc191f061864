"""The leaderboard service against an in-memory store: what a reader of `leaderboards` sees after a run."""

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
from tests.fakes.memory_store import MemoryStore

NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # Wednesday of 2026-W48
_ids = itertools.count(1)


def add_activity(store: MemoryStore, user: str, when: datetime, carbon_kg: float | None, **extra: Any) -> str:
    row_id = extra.pop("row_id", f"act{next(_ids)}")
    store.create(
        "activities",
        row_id,
        {
            "user_id": user,
            "github_login": extra.pop("login", user.replace("gh_", "dev")),
            "type": extra.pop("type", "commit"),
            "repo_id": "1",
            "repo_full_name": "eco/trace",
            "external_id": row_id,
            "source_event": "push",
            "timestamp": to_iso(when),
            "carbon_kg": carbon_kg,
            **extra,
        },
    )
    return row_id


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
    add_activity(s, "gh_1", today, 0.010)  # 0.01 kg per activity today
    add_activity(s, "gh_1", today, 0.010, type="ci_run", duration_s=600)
    add_activity(s, "gh_2", today, 0.002)  # the most efficient today
    add_activity(s, "gh_2", today, None)  # pending
    add_activity(s, "gh_3", today, 0.001, login="renovate[bot]")  # bots are never ranked
    add_activity(s, "gh_3", today, 0.001, is_bot=True)
    add_activity(s, "gh_4", NOW - timedelta(days=2), 0.050)  # Monday: this week and month, not today
    add_activity(s, "gh_5", datetime(2026, 10, 30, tzinfo=UTC), 0.0001)  # last month: all-time only
    return s


def test_a_run_ranks_every_period_and_reports_what_it_did(store: MemoryStore) -> None:
    result = run(store)
    assert board(store, "daily", "2026-11-25") == [(1, "gh_2"), (2, "gh_1")]
    assert board(store, "weekly", "2026-W48") == [(1, "gh_2"), (2, "gh_1"), (3, "gh_4")]
    assert board(store, "monthly", "2026-11") == [(1, "gh_2"), (2, "gh_1"), (3, "gh_4")]
    assert board(store, "all_time", "all") == [(1, "gh_5"), (2, "gh_2"), (3, "gh_1"), (4, "gh_4")]
    assert result.rows_written == 2 + 3 + 3 + 4 == len(store.tables["leaderboards"])
    assert result.users_ranked == 4  # distinct users; the bot gh_3 is not among them
    assert result.pending_activities == 1
    assert result.activities_read == 8
    daily = next(p for p in result.periods if p.period_type == "daily")
    assert (daily.pending_activities, daily.bot_activities_skipped, daily.users_ranked) == (1, 2, 2)
    row = store.get("leaderboards", "daily_2026-11-25_gh_1")
    assert row is not None
    assert row["ci_minutes"] == pytest.approx(10.0)
    assert row["percentile"] == 0.0
    assert row["updated_at"] == "2026-11-25T15:00:00.000+00:00"  # when the run wrote it


def test_a_second_run_without_changes_writes_nothing(store: MemoryStore) -> None:
    run(store)
    events_before = len(store.events)
    result = run(store)
    assert result.rows_written == 0
    assert result.rows_removed == 0
    assert len(store.events) == events_before  # no realtime event without a change


def test_only_changed_entries_are_rewritten(store: MemoryStore) -> None:
    run(store)
    pending = next(r for r in store.tables["activities"].values() if r["carbon_kg"] is None)
    store.update("activities", pending["$id"], {"carbon_kg": 0.03})  # the calculation lands: gh_2 drops
    store.events.clear()
    result = run(store)
    assert result.pending_activities == 0
    assert board(store, "daily", "2026-11-25") == [(1, "gh_1"), (2, "gh_2")]
    written = sorted(row_id for action, table, row_id in store.events if table == "leaderboards")
    # gh_2 (0.016 kg per activity) falls behind gh_1 (0.01) everywhere but stays ahead of gh_4 (0.05)
    assert board(store, "weekly", "2026-W48") == [(1, "gh_1"), (2, "gh_2"), (3, "gh_4")]
    assert board(store, "all_time", "all") == [(1, "gh_5"), (2, "gh_1"), (3, "gh_2"), (4, "gh_4")]
    assert written == sorted(
        f"{p}_{u}"
        for p in ("daily_2026-11-25", "weekly_2026-W48", "monthly_2026-11", "all_time_all")
        for u in ("gh_1", "gh_2")
    )


def test_users_who_drop_out_lose_their_entry_and_others_move_up(store: MemoryStore) -> None:
    run(store)
    for row in list(store.tables["activities"].values()):
        if row["user_id"] == "gh_2":  # e.g. the account turned out to be a bot
            store.update("activities", row["$id"], {"is_bot": True})
    store.events.clear()
    result = run(store)
    assert board(store, "daily", "2026-11-25") == [(1, "gh_1")]
    assert board(store, "all_time", "all") == [(1, "gh_5"), (2, "gh_1"), (3, "gh_4")]
    assert store.get("leaderboards", "daily_2026-11-25_gh_2") is None
    assert result.rows_removed == 4  # daily, weekly, monthly, all-time
    deletes = [i for i, e in enumerate(store.events) if e[0] == "delete" and e[2].startswith("daily_")]
    upserts = [i for i, e in enumerate(store.events) if e[0] == "upsert" and e[2].startswith("daily_")]
    assert max(deletes) < min(upserts)  # the stale entry goes before anyone takes its rank


def test_minimum_activity_setting(store: MemoryStore) -> None:
    result = run(store, periods=(PeriodType.DAILY,), min_activities=2)
    assert board(store, "daily", "2026-11-25") == [(1, "gh_1")]
    assert result.periods[0].users_below_minimum == 1


def test_reads_select_only_needed_columns_within_the_window_with_cursor_pages(store: MemoryStore) -> None:
    for i in range(30):
        add_activity(store, f"gh_{100 + i}", NOW.replace(hour=1), 0.001 * (i + 1))
    store.list_requests.clear()
    run(store, periods=(PeriodType.DAILY, PeriodType.WEEKLY), page_size=10)
    reads = [q for table, q in store.list_requests if table == "activities"]
    assert len(reads) >= 4  # 36 rows in the window at 10 a page
    methods = {q["method"]: q for q in reads[1]}
    assert set(methods["select"]["values"]) == {
        "$id", "user_id", "external_id", "github_login", "is_bot", "type", "counted", "carbon_kg",
        "timestamp", "lines_added", "lines_deleted", "duration_s",
    }  # fmt: skip
    assert methods["greaterThanEqual"]["values"][0].startswith("2026-11-23T00:00:00")  # Monday of W48
    assert methods["lessThan"]["values"][0].startswith("2026-11-30T00:00:00")
    assert "cursorAfter" in methods
    assert len(board(store, "daily", "2026-11-25")) == 32


def test_hundreds_of_users_are_written_in_batches_the_store_accepts() -> None:
    store = MemoryStore()
    for i in range(250):
        add_activity(store, f"gh_{i}", NOW, 0.001 * (i % 17 + 1))
    result = run(store, periods=(PeriodType.DAILY,))
    ranks = [r for r, _ in board(store, "daily", "2026-11-25")]
    assert ranks == list(range(1, 251))
    assert result.rows_written == 250


def test_the_previous_day_is_finalised_early_in_a_new_day() -> None:
    store = MemoryStore()
    late_yesterday = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    add_activity(store, "gh_1", late_yesterday, 0.01)
    run(store, now=datetime(2026, 12, 1, 0, 5, tzinfo=UTC), periods=(PeriodType.DAILY, PeriodType.MONTHLY))
    assert board(store, "daily", "2026-11-30") == [(1, "gh_1")]
    assert board(store, "monthly", "2026-11") == [(1, "gh_1")]
    assert board(store, "daily", "2026-12-01") == []


def test_backfill_of_a_past_week(store: MemoryStore) -> None:
    add_activity(store, "gh_9", datetime(2026, 11, 3, tzinfo=UTC), 0.001)
    result = run(store, now=datetime(2026, 11, 4, 12, tzinfo=UTC), periods=(PeriodType.WEEKLY,))
    assert [p.period_key for p in result.periods] == ["2026-W45"]
    assert board(store, "weekly", "2026-W45") == [(1, "gh_9")]
    assert board(store, "weekly", "2026-W48") == []


def test_long_user_ids_get_a_short_deterministic_row_id() -> None:
    store = MemoryStore()
    long_id = "gh_" + "9" * 60
    add_activity(store, long_id, NOW, 0.01)
    run(store, periods=(PeriodType.MONTHLY,))
    [row] = store.tables["leaderboards"].values()
    assert row["user_id"] == long_id
    assert row["$id"].startswith("monthly_2026-11_h.")
    assert len(row["$id"]) == 36
    assert run(store, periods=(PeriodType.MONTHLY,)).rows_written == 0


def test_a_run_over_its_time_budget_writes_nothing(store: MemoryStore) -> None:
    ticks = itertools.count(0, 30)  # every look at the clock is 30 s later
    with pytest.raises(TimeBudgetExceededError, match="nothing was written"):
        update_leaderboards(
            store,
            RunRequest(tuple(PeriodType), NOW),
            options=LeaderboardOptions(page_size=2, time_budget_s=50),
            monotonic=lambda: float(next(ticks)),
        )
    assert store.tables["leaderboards"] == {}


def test_an_all_time_scan_over_budget_still_leaves_the_day_week_and_month_written(store: MemoryStore) -> None:
    # the clock jumps past the budget as soon as the bounded periods have been written
    def monotonic() -> float:
        return 100.0 if store.tables["leaderboards"] else 0.0

    with pytest.raises(TimeBudgetExceededError, match="all-time was left as it was") as info:
        update_leaderboards(
            store, RunRequest(tuple(PeriodType), NOW), options=LeaderboardOptions(time_budget_s=50), monotonic=monotonic
        )
    assert info.value.details["written"] == ["daily:2026-11-25", "weekly:2026-W48", "monthly:2026-11"]
    assert board(store, "weekly", "2026-W48") == [(1, "gh_2"), (2, "gh_1"), (3, "gh_4")]
    assert board(store, "all_time", "all") == []


def test_a_user_labelled_a_bot_in_the_users_table_is_not_ranked(store: MemoryStore) -> None:
    store.create("users", "gh_2", {"github_id": "2", "username": "dev2", "is_bot": True})
    store.create("users", "gh_1", {"github_id": "1", "username": "dev1", "is_bot": False})
    result = run(store, periods=(PeriodType.DAILY,))
    assert board(store, "daily", "2026-11-25") == [(1, "gh_1")]
    assert result.periods[0].bot_activities_skipped == 4  # gh_3's two, and gh_2's two by its users row


def test_people_who_opted_out_are_not_ranked_and_their_entries_go(store: MemoryStore) -> None:
    run(store)
    store.seed("users", "gh_2", {"github_id": "2", "username": "dev2", "leaderboard_visible": False})
    store.seed("users", "gh_1", {"github_id": "1", "username": "dev1", "leaderboard_visible": True})
    result = run(store)
    assert board(store, "daily", "2026-11-25") == [(1, "gh_1")]
    assert board(store, "all_time", "all") == [(1, "gh_5"), (2, "gh_1"), (3, "gh_4")]
    assert not any(r["user_id"] == "gh_2" for r in store.tables["leaderboards"].values())
    assert result.rows_removed == 4  # gh_2's daily, weekly, monthly and all-time entries
