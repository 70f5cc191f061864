"""The resolver: one answer per region, from the best source that can give one now.

Live values are looked up memory first (a TTL cache), then in the shared ``emission_factors`` table, then asked
of Electricity Maps; when the live source fails, the last live value (even expired, up to a week old) is served
as stale before the shipped tiers are asked. The caches, breakers and lock live here and are shared by every
copy :meth:`EmissionFactorResolver.with_store` makes.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from cachetools import LRUCache, TTLCache
from tenacity import Retrying

from ...adapters.electricity_maps import ElectricityMapsClient, ElectricityMapsError, LiveReading, Target
from ...adapters.shipped_factors import ShippedFactors
from ...clock import Clock, utc_now
from ...domain.models import Confidence, EmissionFactor
from ...domain.regions import Region, parse_region
from ...errors import CircuitOpenError, EcoTraceError, UpstreamError
from ...ports import Store
from ...resilience import CircuitBreaker, MonotonicClock
from ...settings import Settings
from .factor_table import STORE_SOURCE, FactorTable, default_table_breaker
from .history import IntensityHistory, point_from_latest
from .live_source import (
    LIVE_SOURCE,
    ZONE_REFUSALS,
    cache_key,
    default_live_breaker,
    default_live_retry,
    fetch_reading,
    live_factor,
    live_target,
    target_from_key,
)
from .shipped_tiers import ShippedTiers
from .sources import join_reasons

CACHE_TTL_S = 6 * 3600.0  # the seed's 6 hours
MAX_STALE_S = 7 * 24 * 3600.0  # an older live value is not served, even as stale
MEMORY_ENTRIES = 4096
BATCH_LIVE_BUDGET_S = 10.0  # a batch spends at most this long waiting on the live source
REFRESH_BUDGET_S = 10.0  # a refresh starts no new fetch after this long (the function's timeout is 30 s)


@dataclass
class RefreshReport:
    checked: int = 0
    refreshed: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    skipped_reason: str | None = None
    not_reached: int = 0  # expiring rows left for the next run (time budget spent, or the circuit opened)

    def as_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "refreshed": self.refreshed,
            "failed": self.failed,
            "not_reached": self.not_reached,
            "skipped_reason": self.skipped_reason,
        }


class CacheCounts:
    """Where live-value lookups were answered (thread-safe counters)."""

    def __init__(self) -> None:
        self._counts = {"memory": 0, "table": 0, "miss": 0}
        self._lock = threading.Lock()

    def add(self, where: str) -> None:
        with self._lock:
            self._counts[where] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            counts = dict(self._counts)
        total = sum(counts.values())

        def rate(n: int) -> float | None:
            return round(n / total, 4) if total else None

        return {
            "lookups": total,
            "memory_hits": counts["memory"],
            "table_hits": counts["table"],
            "misses": counts["miss"],
            "memory_hit_rate": rate(counts["memory"]),
            "table_hit_rate": rate(counts["table"]),
            "hit_rate": rate(counts["memory"] + counts["table"]),
        }


class EmissionFactorResolver:
    def __init__(
        self,
        shipped: ShippedFactors,
        live: ElectricityMapsClient | None = None,
        store: Store | None = None,
        clock: Clock = utc_now,
        *,
        monotonic: MonotonicClock = time.monotonic,
        ttl_s: float = CACHE_TTL_S,
        max_stale_s: float = MAX_STALE_S,
        live_breaker: CircuitBreaker | None = None,
        store_breaker: CircuitBreaker | None = None,
        retry: Retrying | None = None,
        no_live_reason: str = "no Electricity Maps API key configured",
    ) -> None:
        self.shipped = shipped
        self.live = live
        self._clock = clock
        self._monotonic = monotonic
        self.ttl_s = ttl_s
        self.max_stale_s = max_stale_s
        self._no_live_reason = no_live_reason
        self.live_breaker = live_breaker or default_live_breaker(monotonic)
        self.store_breaker = store_breaker or default_table_breaker(monotonic)
        self._table = self._table_for(store)
        self._tiers = ShippedTiers(shipped, clock)
        self._retry = retry or default_live_retry()
        self._memory: TTLCache[str, EmissionFactor] = TTLCache(
            maxsize=MEMORY_ENTRIES, ttl=ttl_s, timer=lambda: self._clock().timestamp()
        )
        self._last_live: LRUCache[str, EmissionFactor] = LRUCache(maxsize=MEMORY_ENTRIES)
        self._refused: TTLCache[str, ElectricityMapsError] = TTLCache(
            maxsize=MEMORY_ENTRIES, ttl=ttl_s, timer=lambda: self._clock().timestamp()
        )
        self._cache_lock = threading.Lock()  # cachetools caches are not thread-safe
        self._lookups = CacheCounts()  # shared by the per-execution copies (with_store): the process's figures

    # ---- construction ------------------------------------------------------------------------------------------
    @classmethod
    def offline(cls, *, store: Store | None = None, clock: Clock = utc_now) -> EmissionFactorResolver:
        """Shipped data only (no live source): for the webhook and calculator paths without a key."""
        return cls(ShippedFactors.load(), None, store, clock, no_live_reason="offline: shipped data only")

    @classmethod
    def from_settings(
        cls, settings: Settings, *, store: Store | None = None, clock: Clock = utc_now, **kwargs: Any
    ) -> EmissionFactorResolver:
        """Live when ``ELECTRICITY_MAPS_API_KEY`` is set (``ELECTRICITY_MAPS_BASE_URL`` overrides the endpoint)."""
        live: ElectricityMapsClient | None = None
        if settings.electricity_maps_api_key:
            base_url = settings.env.get("ELECTRICITY_MAPS_BASE_URL") or None
            extra: dict[str, Any] = {"base_url": base_url} if base_url else {}
            live = ElectricityMapsClient(settings.electricity_maps_api_key, clock=clock, **extra)
        return cls(ShippedFactors.load(), live, store, clock, **kwargs)

    def with_store(self, store: Store | None) -> EmissionFactorResolver:
        """This resolver bound to another store: the caches, breakers, lock and live client are shared."""
        bound = copy.copy(self)
        bound._table = self._table_for(store)
        return bound

    def _table_for(self, store: Store | None) -> FactorTable | None:
        return FactorTable(store, self.store_breaker, self.ttl_s) if store is not None else None

    @property
    def store(self) -> Store | None:
        """The store holding the shared ``emission_factors`` table (None: memory cache only)."""
        return self._table.store if self._table is not None else None

    # ---- public API ----------------------------------------------------------------------------------------------
    def parse(self, region: object) -> Region:
        return parse_region(region, self.shipped.catalogue)

    def live_zone(self, region: object) -> str | None:
        """The Electricity Maps zone ``region`` is asked live for (its intensity history's key), if it has one."""
        target = live_target(self.shipped, self.parse(region))
        return target.zone if target is not None else None

    def resolve(self, region: object) -> EmissionFactor:
        """A factor for any input (a string, the seed's ``{"country", "state_province"}`` object, None ...).

        Never raises for bad input: unknown regions get the world average, low confidence, with the reason.
        """
        return self._resolve(region, deadline=None)

    def resolve_many(
        self, regions: Iterable[object], *, live_budget_s: float = BATCH_LIVE_BUDGET_S
    ) -> list[EmissionFactor]:
        """Factors for several regions, in order. The live source gets at most ``live_budget_s`` in total: once
        spent (a slow or dying API), the rest are served from caches and shipped tiers, so a batch stays quick."""
        deadline = self._monotonic() + live_budget_s
        return [self._resolve(region, deadline=deadline) for region in regions]

    def _resolve(self, region: object, *, deadline: float | None) -> EmissionFactor:
        parsed = self.parse(region)
        notes: list[str] = [note for note in (parsed.reason, parsed.note) if note]
        target = live_target(self.shipped, parsed)
        if target is not None:
            if self.live is None:
                notes.append(self._no_live_reason)
            else:
                answer = self._resolve_live(parsed, target, notes, deadline)
                if answer is not None:
                    return answer
        return self._tiers.resolve(parsed, notes)

    def health(self) -> dict[str, Any]:
        """Each source's state, without secrets."""
        live: dict[str, Any] = {"configured": self.live is not None}
        if self.live is not None:
            live.update(self.live_breaker.snapshot())
        store: dict[str, Any] = {"configured": self.store is not None}
        if self.store is not None:
            store.update(self.store_breaker.snapshot())
        return {
            "sources": {
                LIVE_SOURCE: live,
                STORE_SOURCE: store,
                "shipped": {"configured": True, "state": "closed", "datasets": sorted(self.shipped.sources)},
            },
            "memory_cache": {"entries": self._memory_size(), "ttl_s": self.ttl_s},
        }

    def cache_stats(self) -> dict[str, Any]:
        """Live-value lookups since this instance started: how many the memory cache and the shared table
        answered (hit rates), and how many went on to the live source."""
        return self._lookups.snapshot()

    def _memory_size(self) -> int:
        with self._cache_lock:
            self._memory.expire()
            return len(self._memory)

    def refresh(
        self, *, within_s: float = 3600.0, limit: int = 50, budget_s: float = REFRESH_BUDGET_S
    ) -> RefreshReport:
        """Re-fetch live values whose rows expire within ``within_s`` (for a schedule); at most ``limit`` rows,
        and no new fetch begun after ``budget_s`` seconds, so a slow API cannot push the run past its timeout."""
        report = RefreshReport()
        deadline = self._monotonic() + budget_s
        if self.live is None:
            report.skipped_reason = self._no_live_reason
            return report
        if self._table is None:
            report.skipped_reason = "no store configured"
            return report
        try:
            rows = self._table.expiring(self._clock() + timedelta(seconds=within_s), limit)
        except EcoTraceError as exc:
            report.skipped_reason = f"store unavailable: {exc.code}"
            return report
        for index, row in enumerate(rows):
            if self._monotonic() >= deadline:
                report.not_reached = len(rows) - index
                report.skipped_reason = (
                    f"time budget of {budget_s:g} s spent; {report.not_reached} left for the next run"
                )
                break
            key = str(row.get("region", ""))
            report.checked += 1
            target = target_from_key(self.shipped, key)
            if target is None:
                report.failed.append({"region": key, "error": "not a live zone key"})
                continue
            try:
                reading = self._fetch(target)
            except EcoTraceError as exc:
                report.failed.append({"region": key, "error": exc.code, "message": exc.message})
                if isinstance(exc, CircuitOpenError):
                    report.not_reached = len(rows) - index - 1
                    report.skipped_reason = "live source circuit open; stopped"
                    break
                continue
            self._remember(key, live_factor(key, reading), persist=True)
            report.refreshed += 1
        return report

    # ---- live tier, through the caches -----------------------------------------------------------------------------
    def _resolve_live(
        self, region: Region, target: Target, notes: list[str], deadline: float | None = None
    ) -> EmissionFactor | None:
        key = cache_key(target)
        with self._cache_lock:
            hit = self._memory.get(key)
        now = self._clock()
        if hit is not None and (now - hit.fetched_at).total_seconds() < self.ttl_s:  # fresh by its own fetch time
            self._lookups.add("memory")
            return self._for(region, hit, cached=True, notes=notes)
        row = self._table.read(key) if self._table is not None else None
        stored = FactorTable.from_row(row) if row is not None else None
        if stored is not None and row is not None and FactorTable.is_fresh(row, now):
            self._lookups.add("table")
            self._remember(key, stored, persist=False)
            return self._for(region, stored, cached=True, notes=notes)
        self._lookups.add("miss")
        with self._cache_lock:
            refused = self._refused.get(key)
        try:
            if refused is not None:  # a fresh copy: re-raising one instance would grow its traceback
                message = refused.message.removeprefix("Electricity Maps: ")
                raise ElectricityMapsError(refused.kind, f"{message} (remembered)", http_status=refused.http_status)
            if deadline is not None and self._monotonic() >= deadline:
                raise UpstreamError("not asked: this request's time budget for the live source is spent")
            reading = self._fetch(target)
        except EcoTraceError as exc:
            if isinstance(exc, ElectricityMapsError) and exc.kind in ZONE_REFUSALS and refused is None:
                with self._cache_lock:
                    self._refused[key] = exc
            if isinstance(exc, ElectricityMapsError) and exc.kind in ("zone_not_found", "no_data"):
                notes.append(f"Electricity Maps has no live data for {target.describe()}")
                return None
            why = f"live source unavailable ({exc.code}: {exc.message})"
            with self._cache_lock:
                stale = self._last_live.get(key)
            if stored is not None and (stale is None or stored.fetched_at > stale.fetched_at):
                stale = stored
            if stale is not None and (now - stale.fetched_at).total_seconds() <= self.max_stale_s:
                age_h = (now - stale.fetched_at).total_seconds() / 3600.0
                notes.append(f"{why}; serving the last live value, {age_h:.1f} h old")
                return self._for(region, stale, cached=True, stale=True, notes=notes)
            notes.append(why)
            return None
        factor = live_factor(key, reading)
        self._remember(key, factor, persist=True)
        return self._for(region, factor, cached=False, notes=notes)

    def _fetch(self, target: Target) -> LiveReading:
        """One live reading; its hour is kept in the intensity history (best effort) for time shifting."""
        reading = fetch_reading(self.live, self.live_breaker, self._retry, target)
        point = point_from_latest(reading)
        if self._table is not None and point is not None:
            IntensityHistory(self._table.store, self.store_breaker, clock=self._clock).record([point])
        return reading

    def _remember(self, key: str, factor: EmissionFactor, *, persist: bool) -> None:
        with self._cache_lock:
            self._memory[key] = factor
            self._last_live[key] = factor
        if persist and self._table is not None:
            self._table.write(key, factor)

    def _for(
        self, region: Region, factor: EmissionFactor, *, cached: bool, notes: Sequence[str], stale: bool = False
    ) -> EmissionFactor:
        confidence = factor.confidence
        reason = factor.confidence_reason
        if stale:
            confidence = Confidence.lowest(confidence, Confidence.MEDIUM)
            reason = f"stale: {reason}"
        return factor.model_copy(
            update={
                "region": region.key,
                "cached": cached,
                "stale": stale,
                "confidence": confidence,
                "confidence_reason": join_reasons([reason, *notes]),
            }
        )
