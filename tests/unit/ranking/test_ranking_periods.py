"""Period windows (UTC calendar day, ISO week, calendar month, all-time) and leaderboard row ids."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecotrace.domain.ranking import (
    EPOCH,
    PeriodType,
    leaderboard_row_id,
    period_for,
    periods_to_refresh,
    previous_period,
)
from ecotrace.ports import ROW_ID

moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
bounded_types = st.sampled_from([PeriodType.DAILY, PeriodType.WEEKLY, PeriodType.MONTHLY])


@pytest.mark.parametrize(
    ("period_type", "moment", "key", "start", "end"),
    [
        (PeriodType.DAILY, datetime(2026, 11, 25, 23, 59, tzinfo=UTC), "2026-11-25", "2026-11-25", "2026-11-26"),
        (PeriodType.WEEKLY, datetime(2026, 11, 25, 12, tzinfo=UTC), "2026-W48", "2026-11-23", "2026-11-30"),
        # ISO week-numbering year: Friday 1 January 2027 is in the last week of 2026
        (PeriodType.WEEKLY, datetime(2027, 1, 1, tzinfo=UTC), "2026-W53", "2026-12-28", "2027-01-04"),
        # Monday 29 December 2025 starts week 1 of 2026
        (PeriodType.WEEKLY, datetime(2025, 12, 29, tzinfo=UTC), "2026-W01", "2025-12-29", "2026-01-05"),
        (PeriodType.MONTHLY, datetime(2026, 12, 31, 23, tzinfo=UTC), "2026-12", "2026-12-01", "2027-01-01"),
        (PeriodType.MONTHLY, datetime(2028, 2, 29, tzinfo=UTC), "2028-02", "2028-02-01", "2028-03-01"),
    ],
)
def test_period_keys_and_windows(period_type: PeriodType, moment: datetime, key: str, start: str, end: str) -> None:
    period = period_for(period_type, moment)
    assert period.key == key
    assert period.start == datetime.fromisoformat(start).replace(tzinfo=UTC)
    assert period.end == datetime.fromisoformat(end).replace(tzinfo=UTC)


def test_windows_are_utc_whatever_the_offset_of_the_input() -> None:
    # 01:30 on the 26th in UTC+3 is 22:30 on the 25th in UTC
    moment = datetime(2026, 11, 26, 1, 30, tzinfo=timezone(timedelta(hours=3)))
    assert period_for(PeriodType.DAILY, moment).key == "2026-11-25"


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        period_for(PeriodType.DAILY, datetime(2026, 11, 25))


def test_all_time_is_one_unbounded_period() -> None:
    period = period_for(PeriodType.ALL_TIME, datetime(2026, 11, 25, tzinfo=UTC))
    assert (period.key, period.start, period.end) == ("all", EPOCH, None)
    assert period.contains(datetime(2099, 1, 1, tzinfo=UTC))
    assert previous_period(period) is None


@given(bounded_types, moments)
def test_every_moment_lies_in_its_period_and_periods_abut(period_type: PeriodType, moment: datetime) -> None:
    period = period_for(period_type, moment)
    assert period.contains(moment)
    assert period.end is not None
    assert not period.contains(period.end)
    before = previous_period(period)
    assert before is not None
    assert before.end == period.start
    assert before.key != period.key
    assert period_for(period_type, period.end).start == period.end
    assert period.start.tzinfo is UTC or period.start.utcoffset() == timedelta(0)


@given(moments)
def test_week_keys_follow_iso_8601(moment: datetime) -> None:
    period = period_for(PeriodType.WEEKLY, moment)
    assert re.fullmatch(r"\d{4}-W\d{2}", period.key)
    assert period.start.weekday() == 0
    iso = moment.date().isocalendar()
    assert period.key == f"{iso.year}-W{iso.week:02d}"


def test_previous_period_is_refreshed_only_in_the_first_hours_of_a_new_one() -> None:
    early = datetime(2026, 12, 1, 5, tzinfo=UTC)  # Tuesday: new day and new month, same week
    keys = [p.label for p in periods_to_refresh(list(PeriodType), early)]
    assert keys == [
        "daily:2026-12-01",
        "daily:2026-11-30",
        "weekly:2026-W49",
        "monthly:2026-12",
        "monthly:2026-11",
        "all_time:all",
    ]
    late = datetime(2026, 12, 1, 18, tzinfo=UTC)
    assert [p.label for p in periods_to_refresh([PeriodType.DAILY], late)] == ["daily:2026-12-01"]


@pytest.mark.parametrize("user_id", ["gh_1", "gh_123456789012", "u"])
def test_row_id_is_readable_when_it_fits(user_id: str) -> None:
    assert leaderboard_row_id(PeriodType.WEEKLY, "2026-W48", user_id) == f"weekly_2026-W48_{user_id}"


@given(
    st.sampled_from(
        [
            (PeriodType.DAILY, "2026-11-25"),
            (PeriodType.WEEKLY, "2026-W48"),
            (PeriodType.MONTHLY, "2026-11"),
            (PeriodType.ALL_TIME, "all"),
        ]
    ),
    st.text(min_size=1, max_size=64),
    st.text(min_size=1, max_size=64),
)
def test_row_ids_are_valid_deterministic_and_distinct(period: tuple[PeriodType, str], a: str, b: str) -> None:
    period_type, key = period
    id_a = leaderboard_row_id(period_type, key, a)
    assert ROW_ID.match(id_a), id_a
    assert id_a.startswith(f"{period_type.value}_{key}_")
    assert leaderboard_row_id(period_type, key, a) == id_a
    if a != b:
        assert leaderboard_row_id(period_type, key, b) != id_a
