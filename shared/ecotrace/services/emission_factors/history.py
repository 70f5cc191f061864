"""The hourly intensity history EcoTrace keeps per zone (the ``intensity_history`` table), for time shifting.

Two sources write it: every live reading the resolver fetches for the carbon method (one point: the hour the
value is for), and Electricity Maps' history endpoint (the last 24 hours) where the key allows, asked by the
hourly schedule for the live zones (:meth:`IntensityHistory.collect`) and by ``advise`` when a zone's history is
thin. Writes are upserts of rows keyed by (zone, hour) through the table's circuit breaker and are best effort:
a failing table never fails a factor lookup.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from appwrite.query import Query

from ...adapters.electricity_maps import ElectricityMapsClient, HistoryReading, LiveReading, Target
from ...clock import Clock, to_iso, utc_now
from ...domain.intensity import IntensityPoint, PointSource
from ...errors import EcoTraceError
from ...ports import Store
from ...resilience import CircuitBreaker
from ...tables import intensity_history
from .factor_table import TABLE as FACTORS_TABLE

log = logging.getLogger(__name__)

MAX_POINTS = 24 * 92  # a quarter of hourly points per zone and read
COLLECT_EVERY = timedelta(hours=20)  # the history endpoint covers 24 h: once a day keeps every hour
COLLECT_ZONES = 5  # zones asked per schedule run
COLLECT_BUDGET_S = 6.0


def point_from_latest(reading: LiveReading) -> IntensityPoint | None:
    """The point a live reading gives (None when Electricity Maps did not say which hour it is for)."""
    if reading.measured_at is None:
        return None
    return IntensityPoint(
        zone=reading.zone,
        hour=reading.measured_at,
        g_co2e_per_kwh=reading.g_co2e_per_kwh,
        source=PointSource.LATEST,
        is_estimated=reading.is_estimated,
        emission_factor_type=reading.emission_factor_type,
    )


def point_from_history(reading: HistoryReading) -> IntensityPoint:
    return IntensityPoint(
        zone=reading.zone,
        hour=reading.measured_at,
        g_co2e_per_kwh=reading.g_co2e_per_kwh,
        source=PointSource.HISTORY,
        is_estimated=reading.is_estimated,
        emission_factor_type=reading.emission_factor_type,
    )


class IntensityHistory:
    def __init__(
        self,
        store: Store,
        breaker: CircuitBreaker | None = None,
        *,
        live: ElectricityMapsClient | None = None,
        clock: Clock = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.breaker = breaker
        self.live = live
        self.clock = clock
        self.monotonic = monotonic

    def record(self, points: Sequence[IntensityPoint]) -> int:
        """Upsert the points (best effort): how many were written."""
        if not points:
            return 0
        now = self.clock()
        rows = list({row["$id"]: row for row in (intensity_history.to_row(p, now) for p in points)}.values())
        try:
            if self.breaker is not None:
                self.breaker.call(lambda: self.store.bulk_upsert(intensity_history.NAME, rows))
            else:
                self.store.bulk_upsert(intensity_history.NAME, rows)
        except EcoTraceError as exc:
            log.warning("intensity history not recorded (%d points): %s", len(rows), exc.code)
            return 0
        return len(rows)

    def points(self, zone: str, since: datetime, until: datetime) -> list[IntensityPoint]:
        """The zone's points with ``since <= hour <= until``, oldest first (at most :data:`MAX_POINTS`)."""
        queries = [
            Query.equal("zone", [zone]),
            Query.greater_than_equal("hour", to_iso(since)),
            Query.less_than_equal("hour", to_iso(until)),
            Query.order_asc("hour"),
        ]
        out: list[IntensityPoint] = []
        for row in self.store.iterate(intensity_history.NAME, queries, page_size=500):
            point = intensity_history.from_row(row)
            if point is not None:
                out.append(point)
            if len(out) >= MAX_POINTS:
                break
        return out

    def fetch_day(self, zone: str) -> int:
        """Ask Electricity Maps for the zone's last 24 hours and keep them; the number of points kept (0 without a
        key, or when the plan refuses the zone's history)."""
        if self.live is None:
            return 0
        try:
            readings = self.live.history(Target(zone=zone))
        except EcoTraceError as exc:
            log.info("no intensity history for %s: %s", zone, exc.message)
            return 0
        return self.record([point_from_history(reading) for reading in readings])

    def newest(self, zone: str) -> datetime | None:
        queries = [Query.equal("zone", [zone]), Query.order_desc("hour"), Query.limit(1)]
        rows = self.store.find(intensity_history.NAME, queries)
        point = intensity_history.from_row(rows[0]) if rows else None
        return point.hour if point else None

    def collect(self) -> dict[str, object]:
        """For the hourly schedule: the last 24 hours of the live zones whose history is older than a day's worth."""
        if self.live is None:
            return {"skipped": "no Electricity Maps API key configured"}
        deadline = self.monotonic() + COLLECT_BUDGET_S
        zones = self._live_zones()
        now = self.clock()
        kept: dict[str, int] = {}
        for zone in zones:
            if len(kept) >= COLLECT_ZONES or self.monotonic() >= deadline:
                break
            newest = self.newest(zone)
            if newest is not None and now - newest < COLLECT_EVERY:
                continue
            kept[zone] = self.fetch_day(zone)
        return {"zones": len(zones), "collected": kept}

    def _live_zones(self) -> list[str]:
        rows = self.store.find(FACTORS_TABLE, [Query.equal("source", ["electricity_maps"]), Query.limit(100)])
        zones = {str(row.get("zone") or "") for row in rows}
        return sorted(zone for zone in zones if zone and not zone.startswith("geo:"))
