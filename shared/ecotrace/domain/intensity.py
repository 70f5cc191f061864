"""Hourly grid intensity: the points EcoTrace keeps per zone, the profile of a zone by UTC hour, and the saving
of moving work from one hour to another. Pure: no I/O.

A profile hour is *covered* when at least ``min_samples`` days were observed at that hour; an hour's intensity is
the mean of its samples, and its spread the lowest and highest sample. Moving work of ``energy_kwh`` from hour
``a`` to hour ``b`` saves ``energy_kwh x (mean(a) - mean(b))`` grams (operational emissions only: the embodied
share does not depend on the hour), between ``energy_kwh x max(0, min(a) - max(b))`` (``a``'s cleanest observed
day against ``b``'s dirtiest) and ``energy_kwh x (max(a) - min(b))``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

HOURS = 24


class PointSource(StrEnum):
    LATEST = "electricity_maps_latest"  # a live factor fetched for the carbon method
    HISTORY = "electricity_maps_history"  # Electricity Maps' history endpoint (the last 24 h)


@dataclass(frozen=True)
class IntensityPoint:
    zone: str
    hour: datetime  # start of the UTC hour
    g_co2e_per_kwh: float
    source: PointSource
    is_estimated: bool = False
    emission_factor_type: str | None = None


def hour_start(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class HourStats:
    hour: int  # 0..23 UTC
    samples: int
    mean: float | None
    low: float | None
    high: float | None

    def as_dict(self) -> dict[str, object]:
        def rounded(value: float | None) -> float | None:
            return round(value, 3) if value is not None else None

        return {
            "hour_utc": self.hour,
            "samples": self.samples,
            "mean_g_per_kwh": rounded(self.mean),
            "low_g_per_kwh": rounded(self.low),
            "high_g_per_kwh": rounded(self.high),
        }


@dataclass(frozen=True)
class Profile:
    """A zone's intensity by UTC hour over the points given (one value per zone and hour: the latest kept)."""

    zone: str
    hours: tuple[HourStats, ...]  # 24 entries, hour 0 first
    points: int
    first: datetime | None
    last: datetime | None

    def covered(self, min_samples: int) -> list[HourStats]:
        return [h for h in self.hours if h.samples >= min_samples and h.mean is not None]


def profile(zone: str, points: Iterable[IntensityPoint]) -> Profile:
    by_hour: dict[datetime, float] = {}
    for point in points:
        if point.zone == zone:
            by_hour[hour_start(point.hour)] = point.g_co2e_per_kwh
    buckets: list[list[float]] = [[] for _ in range(HOURS)]
    for moment, value in by_hour.items():
        buckets[moment.hour].append(value)
    hours = tuple(
        HourStats(h, len(values), sum(values) / len(values), min(values), max(values))
        if values
        else HourStats(h, 0, None, None, None)
        for h, values in enumerate(buckets)
    )
    moments = sorted(by_hour)
    return Profile(zone, hours, len(by_hour), moments[0] if moments else None, moments[-1] if moments else None)


@dataclass(frozen=True)
class Shift:
    """Moving ``energy_kwh`` of work from ``current`` to ``best``: the saving in grams, with its range."""

    current: HourStats
    best: HourStats
    energy_kwh: float
    saving_g: float
    saving_g_low: float
    saving_g_high: float


@dataclass(frozen=True)
class NotEnough:
    reason: str
    hours_covered: int
    current_samples: int


def best_shift(
    prof: Profile, current_hour: int, energy_kwh: float, *, min_samples: int, min_hours: int
) -> Shift | NotEnough:
    """The cleanest covered hour for work now run at ``current_hour`` and what moving it saves; NotEnough when
    the current hour or too few hours are covered. Ties go to the hour nearest the current one (then the earlier)."""
    covered = prof.covered(min_samples)
    current = prof.hours[current_hour]
    if current.samples < min_samples or current.mean is None:
        return NotEnough(
            f"hour {current_hour:02d}:00 UTC of zone {prof.zone} was observed on {current.samples} days; "
            f"at least {min_samples} are needed",
            len(covered),
            current.samples,
        )
    if len(covered) < min_hours:
        return NotEnough(
            f"only {len(covered)} of 24 hours of zone {prof.zone} were observed on at least {min_samples} days; "
            f"at least {min_hours} are needed to pick a cleaner one",
            len(covered),
            current.samples,
        )

    def order(stats: HourStats) -> tuple[float, int, int]:
        distance = min((stats.hour - current_hour) % HOURS, (current_hour - stats.hour) % HOURS)
        return (_values(stats)[0], distance, stats.hour)

    best = min(covered, key=order)
    (now_mean, now_low, now_high), (best_mean, best_low, best_high) = _values(current), _values(best)
    return Shift(
        current=current,
        best=best,
        energy_kwh=energy_kwh,
        saving_g=energy_kwh * (now_mean - best_mean),
        saving_g_low=energy_kwh * max(0.0, now_low - best_high),
        saving_g_high=energy_kwh * max(0.0, now_high - best_low),
    )


def _values(stats: HourStats) -> tuple[float, float, float]:
    if stats.mean is None or stats.low is None or stats.high is None:
        raise ValueError(f"hour {stats.hour} has no samples")
    return stats.mean, stats.low, stats.high


def busiest_hour(starts: Sequence[datetime]) -> int:
    """The UTC hour most of these starts fall in (a schedule's hour; ties: the earliest)."""
    counts = [0] * HOURS
    for moment in starts:
        counts[moment.hour] += 1
    return max(range(HOURS), key=lambda h: (counts[h], -h))
