"""The reconcile action: a period's rollups rebuilt from the activities, every difference reported and corrected,
in resumable slices of people; and the period boundaries every rollup row is cut on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecotrace.domain.ranking import PeriodType, period_for
from ecotrace.domain.rollups import entries_for, facts_of, plan_rows, rows_of
from ecotrace.errors import ValidationError
from ecotrace.services.reconcile import ReconcileRequest, parse_reconcile_request, reconcile
from tests.fakes.memory_store import MemoryStore
from tests.unit.ranking.rollup_helpers import activity, record

NOW = datetime(2026, 11, 25, 14, tzinfo=UTC)
WEEK = period_for(PeriodType.WEEKLY, NOW)


def people(store: MemoryStore, *user_ids: str) -> None:
    for user_id in user_ids:
        store.create("users", user_id, {"github_id": user_id[3:], "username": user_id})


@pytest.fixture
def store() -> MemoryStore:
    s = MemoryStore()
    people(s, "gh_1", "gh_2", "gh_3")
    record(s, activity("gh_1", NOW, 0.01))
    record(s, activity("gh_1", NOW - timedelta(days=1), 0.02, type="ci_run", duration_s=120))
    record(s, activity("gh_2", NOW, 0.03))
    return s


def test_rollups_kept_by_the_writers_have_no_difference(store: MemoryStore) -> None:
    report = reconcile(store, ReconcileRequest(WEEK))
    assert (report.done, report.users_checked, report.activities_read) == (True, 3, 3)
    assert (report.differences_found, report.rows_corrected, report.busy) == (0, 0, [])


def test_every_difference_is_reported_and_corrected(store: MemoryStore) -> None:
    row_id = "weekly_2026-W48_gh_1"
    store.update("rollups", row_id, {"carbon_kg": 1.0, "active_days": 5})  # a lost write, a manual edit
    store.delete("rollups", "weekly_2026-W48_gh_2")
    report = reconcile(store, ReconcileRequest(WEEK))
    found = {(d["user_id"], d["column"]): (d["stored"], d["expected"]) for d in report.differences}
    assert found[("gh_1", "carbon_kg")] == (1.0, pytest.approx(0.03))
    assert found[("gh_1", "active_days")] == (5, 2)
    assert found[("gh_2", "carbon_kg")] == (0, pytest.approx(0.03))  # a missing row is created again
    assert report.differences_found == len(report.differences)
    assert report.rows_corrected == 2
    assert store.by_id("rollups")[row_id]["carbon_kg"] == pytest.approx(0.03)
    assert store.by_id("rollups")[row_id]["active_days"] == 2
    assert store.by_id("rollups")["weekly_2026-W48_gh_2"]["commit_count"] == 1
    assert reconcile(store, ReconcileRequest(WEEK)).differences_found == 0


def test_a_dry_run_reports_without_changing_anything(store: MemoryStore) -> None:
    store.update("rollups", "weekly_2026-W48_gh_1", {"lines_changed": 7})
    before = store.rows("rollups")
    report = reconcile(store, ReconcileRequest(WEEK, dry_run=True))
    assert [(d["column"], d["stored"], d["expected"]) for d in report.differences] == [("lines_changed", 7, 100)]
    assert store.rows("rollups") == before


def test_it_resumes_from_its_cursor_when_its_budget_is_spent(store: MemoryStore) -> None:
    store.update("rollups", "weekly_2026-W48_gh_2", {"carbon_kg": 9.0})
    ticks = iter(range(1000))
    seen: list[str] = []
    cursor = None
    while True:
        report = reconcile(
            store, ReconcileRequest(WEEK, cursor=cursor, limit=1), monotonic=lambda: float(next(ticks)), budget_s=0.5
        )
        seen.extend(d["user_id"] for d in report.differences)
        if report.done:
            break
        assert report.next_cursor is not None
        cursor = report.next_cursor
    assert seen == ["gh_2"]
    assert store.by_id("rollups")["weekly_2026-W48_gh_2"]["carbon_kg"] == pytest.approx(0.03)


def test_a_row_that_changes_while_it_is_reconciled_is_left_for_the_next_run(store: MemoryStore) -> None:
    store.update("rollups", "weekly_2026-W48_gh_1", {"carbon_kg": 1.0})

    def a_delivery_lands_meanwhile(method: str, table: str) -> None:
        if (method, table) == ("list", "activities"):
            store.faults.clear()
            record(store, activity("gh_1", NOW, 0.5))

    store.faults.append(a_delivery_lands_meanwhile)
    report = reconcile(store, ReconcileRequest(WEEK))
    assert report.busy == ["gh_1"]
    assert (report.differences, report.rows_corrected) == ([], 0)  # not "corrected" from a stale view
    assert reconcile(store, ReconcileRequest(WEEK)).differences_found == 1  # the manual edit, seen next time


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"period": "weekly"}, "2026-W48"),
        ({"period": "weekly", "key": "2026-W53"}, "2026-W53"),
        ({"period": "daily", "key": "2028-02-29"}, "2028-02-29"),
        ({"period": "monthly", "at": "2026-12-31T23:59:59Z"}, "2026-12"),
        ({"period": "all_time"}, "all"),
    ],
)
def test_requests_name_a_period_by_key_or_by_a_time_in_it(body: dict[str, Any], key: str) -> None:
    assert parse_reconcile_request({"action": "reconcile", **body}, NOW).period.key == key


@pytest.mark.parametrize(
    "body",
    [{"period": "yearly"}, {"period": "weekly", "key": "2025-W53"}, {"period": "daily", "key": "2027-02-29"},
     {"period": "daily", "limit": 0}, {"period": "daily", "cursor": 5}, {"period": "daily", "colour": "red"}],
)  # fmt: skip
def test_bad_requests_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        parse_reconcile_request(body, NOW)


# ---- period boundaries ---------------------------------------------------------------------------------


def keys_of(moment: datetime) -> tuple[str, str, str, str]:
    facts = facts_of(activity("gh_1", moment, 0.01))
    (entry,) = entries_for(None, facts)
    return tuple(p.key for p in rows_of(entry.day))  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("moment", "keys"),
    [
        (datetime(2026, 11, 30, 23, 59, 59, 999000, tzinfo=UTC), ("2026-11-30", "2026-W49", "2026-11", "all")),
        (datetime(2026, 12, 1, 0, 0, tzinfo=UTC), ("2026-12-01", "2026-W49", "2026-12", "all")),
        (datetime(2027, 1, 1, 12, tzinfo=UTC), ("2027-01-01", "2026-W53", "2027-01", "all")),  # ISO week 53
        (datetime(2027, 1, 4, 0, 0, tzinfo=UTC), ("2027-01-04", "2027-W01", "2027-01", "all")),
        (datetime(2028, 2, 29, 12, tzinfo=UTC), ("2028-02-29", "2028-W09", "2028-02", "all")),  # leap day
        (datetime(2028, 2, 29, 23, 30, tzinfo=UTC) + timedelta(hours=1), ("2028-03-01", "2028-W09", "2028-03", "all")),
    ],
)
def test_an_activity_counts_on_its_utc_day_and_that_day_s_week_month_and_all_time(
    moment: datetime, keys: tuple[str, ...]
) -> None:
    assert keys_of(moment) == keys


def test_active_days_count_the_days_of_a_period_across_its_boundaries() -> None:
    moments = [
        datetime(2026, 12, 28, 9, tzinfo=UTC),  # Monday of 2026-W53
        datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(2027, 1, 1, 0, 0, 0, tzinfo=UTC),  # the next day, the next month and year, the same ISO week
        datetime(2027, 1, 1, 8, tzinfo=UTC),  # the same day again
    ]
    entries = [e for m in moments for e in entries_for(None, facts_of(activity("gh_1", m, 0.01)))]
    days = {(c.period.type.value, c.period.key): c.active_days for c in plan_rows(entries, {})}
    assert days[("weekly", "2026-W53")] == 3
    assert (days[("monthly", "2026-12")], days[("monthly", "2027-01")]) == (2, 1)
    assert days[("all_time", "all")] == 3
