"""The hourly profile and the choice of hour (domain.intensity), on small hand-made histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ecotrace.domain.intensity import IntensityPoint, NotEnough, PointSource, Shift, best_shift, busiest_hour, profile

DAY = datetime(2026, 11, 1, tzinfo=UTC)


def _points(values: dict[int, list[float]], zone: str = "DE") -> list[IntensityPoint]:
    """``values[hour]`` = that hour's value on day 0, 1, 2, ..."""
    return [
        IntensityPoint(zone, DAY + timedelta(days=day, hours=hour), value, PointSource.HISTORY)
        for hour, series in values.items()
        for day, value in enumerate(series)
    ]


def test_the_profile_keeps_one_value_per_hour_and_summarises_each_utc_hour() -> None:
    points = _points({5: [100.0, 200.0, 300.0]})
    points.append(IntensityPoint("DE", DAY + timedelta(hours=5, minutes=30), 150.0, PointSource.LATEST))  # same hour
    points.append(IntensityPoint("FR", DAY + timedelta(hours=5), 10.0, PointSource.LATEST))  # another zone
    hour = profile("DE", points).hours[5]
    assert (hour.samples, hour.mean, hour.low, hour.high) == (3, (150 + 200 + 300) / 3, 150.0, 300.0)


def test_the_cleanest_covered_hour_wins_and_ties_go_to_the_nearest() -> None:
    values = {h: [500.0] * 3 for h in range(24)}
    values[2] = [100.0, 110.0, 120.0]
    values[20] = [100.0, 110.0, 120.0]  # as clean as 02:00, and as near to 23:00 (3 h either way)
    shift = best_shift(profile("DE", _points(values)), 23, 2.0, min_samples=3, min_hours=12)
    assert isinstance(shift, Shift)
    assert shift.best.hour == 2  # equally near (3 h either way): the earlier hour
    shift = best_shift(profile("DE", _points(values)), 21, 2.0, min_samples=3, min_hours=12)
    assert isinstance(shift, Shift)
    assert shift.best.hour == 20
    assert shift.saving_g == pytest.approx(2.0 * (500 - 110))
    assert (shift.saving_g_low, shift.saving_g_high) == (pytest.approx(2.0 * 380), pytest.approx(2.0 * 400))


def test_not_enough_days_or_hours_is_said_not_guessed() -> None:
    few = best_shift(
        profile("DE", _points({h: [300.0, 310.0] for h in range(24)})), 4, 1.0, min_samples=3, min_hours=12
    )
    assert isinstance(few, NotEnough)
    assert few.current_samples == 2
    sparse = best_shift(profile("DE", _points({h: [300.0] * 3 for h in range(6)})), 4, 1.0, min_samples=3, min_hours=12)
    assert isinstance(sparse, NotEnough)
    assert sparse.hours_covered == 6
    assert "only 6 of 24 hours" in sparse.reason


def test_a_schedule_hour_is_the_hour_most_runs_started_in() -> None:
    starts = [DAY.replace(hour=14, minute=3), DAY.replace(hour=14, minute=7), DAY.replace(hour=15)]
    assert busiest_hour(starts) == 14
