"""The ``emission_factors`` table: the cache of live values that all function instances share.

One row per live zone (``DE``) or point (``geo:52.52,13.40``), under the row id ``row_id_for(key)``; a row
holds the factor, when it was fetched and when it expires (fetched + TTL). Every call goes through the store's
circuit breaker; a failing table is logged and treated as a miss, never as an error of the lookup.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from appwrite.query import Query

from ...clock import parse_iso, to_iso
from ...domain.models import Confidence, EmissionFactor
from ...domain.regions import row_id_for
from ...errors import EcoTraceError, StorageError
from ...ports import Row, Store
from ...resilience import CircuitBreaker, MonotonicClock

log = logging.getLogger(__name__)
Result = TypeVar("Result")

TABLE = "emission_factors"
STORE_SOURCE = "emission_factors_table"


def default_table_breaker(monotonic: MonotonicClock = time.monotonic) -> CircuitBreaker:
    """The table's default breaker: open after 3 failures in a row, probe again after 30 s."""
    return CircuitBreaker(STORE_SOURCE, failure_threshold=3, cool_down_s=30.0, clock=monotonic)


class FactorTable:
    def __init__(self, store: Store, breaker: CircuitBreaker, ttl_s: float) -> None:
        self.store = store
        self.breaker = breaker
        self.ttl_s = ttl_s

    def read(self, key: str) -> Row | None:
        """The row of ``key``, or None when there is none or the table cannot be read."""
        store = self.store
        try:
            return self.breaker.call(lambda: _guarded(lambda: store.get(TABLE, row_id_for(key))))
        except EcoTraceError as exc:
            log.warning("emission_factors cache read failed: %s", exc.code)
            return None

    def write(self, key: str, factor: EmissionFactor) -> None:
        """Upsert the live ``factor`` of ``key``; a failed write is logged (the memory cache still holds it)."""
        row = self.to_row(key, factor)
        store = self.store
        try:
            self.breaker.call(lambda: _guarded(lambda: store.upsert(TABLE, row_id_for(key), row)))
        except EcoTraceError as exc:
            log.warning("emission_factors cache write failed: %s", exc.code)

    def expiring(self, before: datetime, limit: int) -> list[Row]:
        """Up to ``limit`` rows expiring before ``before``, soonest first; raises when the table cannot be read."""
        queries = [Query.less_than("expires_at", to_iso(before)), Query.order_asc("expires_at"), Query.limit(limit)]
        return self.breaker.call(lambda: self.store.find(TABLE, queries))

    @staticmethod
    def is_fresh(row: Row, now: datetime) -> bool:
        try:
            return parse_iso(str(row["expires_at"])) > now
        except (KeyError, ValueError):
            return False

    def to_row(self, key: str, factor: EmissionFactor) -> Row:
        return {
            "region": key,
            "region_kind": "coordinates" if key.startswith("geo:") else "zone",
            "factor_kg_co2_per_kwh": round(factor.kg_co2e_per_kwh, 9),
            "renewable_percentage": factor.renewable_percentage,
            "source": str(factor.source),
            "source_detail": factor.source_detail[:1024],
            "zone": factor.zone[:64],
            "year": factor.year,
            "confidence_rating": factor.confidence.value,
            "confidence_reason": factor.confidence_reason[:512],
            "fetched_at": to_iso(factor.fetched_at),
            "expires_at": to_iso(factor.fetched_at + timedelta(seconds=self.ttl_s)),
        }

    @staticmethod
    def from_row(row: Row) -> EmissionFactor | None:
        """The factor a row holds, or None (logged) when the row cannot be read as one."""
        try:
            return EmissionFactor(
                region=str(row["region"]),
                zone=str(row.get("zone") or row["region"]),
                g_co2e_per_kwh=float(row["factor_kg_co2_per_kwh"]) * 1000.0,
                renewable_percentage=row.get("renewable_percentage"),
                source=str(row["source"]),
                source_detail=str(row.get("source_detail") or ""),
                year=row.get("year"),
                fetched_at=parse_iso(str(row["fetched_at"])),
                confidence=Confidence(str(row["confidence_rating"])),
                confidence_reason=str(row.get("confidence_reason") or ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("unreadable emission_factors row %s: %s", row.get("$id"), type(exc).__name__)
            return None


def _guarded(call: Callable[[], Result]) -> Result:
    """Store calls: anything but our own errors (a bug, an unwrapped client error) becomes StorageError."""
    try:
        return call()
    except EcoTraceError:
        raise
    except Exception as exc:
        log.exception("unexpected error from the emission_factors table")
        raise StorageError(f"store failed unexpectedly ({type(exc).__name__})") from exc
