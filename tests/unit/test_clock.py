"""Timestamps are written in Appwrite's format (``YYYY-MM-DDTHH:MM:SS.mmm+00:00``) and read back as aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecotrace.clock import parse_iso, to_iso


def test_appwrite_format_with_milliseconds_in_utc() -> None:
    moment = datetime(2026, 11, 25, 13, 4, 5, 678901, tzinfo=timezone(timedelta(hours=2)))
    assert to_iso(moment) == "2026-11-25T11:04:05.678+00:00"


def test_years_below_1000_keep_four_digits() -> None:
    assert to_iso(datetime(1, 1, 2, tzinfo=UTC)) == "0001-01-02T00:00:00.000+00:00"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        to_iso(datetime(2026, 1, 1))


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9998, 12, 31), timezones=st.just(UTC)))
def test_round_trip_to_the_millisecond(moment: datetime) -> None:
    text = to_iso(moment)
    assert len(text) == 29
    assert parse_iso(text) == moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@pytest.mark.parametrize("text", ["2026-11-25T11:04:05Z", "2026-11-25T13:04:05+02:00", "2026-11-25T11:04:05"])
def test_parse_accepts_z_offsets_and_naive_as_utc(text: str) -> None:
    assert parse_iso(text) == datetime(2026, 11, 25, 11, 4, 5, tzinfo=UTC)
