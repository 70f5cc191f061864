"""Resolve a region to a grid carbon intensity through a hierarchy of sources that never fails.

Best first:

1. Electricity Maps, live (needs an API key): the latest hourly value for the region's zone or point;
2. cloud-region factors (Cloud Carbon Footprint, shipped) for ``aws:`` / ``azure:`` / ``gcp:`` regions;
3. US EPA eGRID subregions (shipped); US states use their dominant subregion (mapping in DATA_SOURCES.md);
4. annual averages (shipped): Electricity Maps yearly for sub-national zones, Ember / OWID for countries;
5. the world average, low confidence.

Live values go through an in-memory TTL cache (6 h) in front of the ``emission_factors`` table, which all
function instances share. When the live source is down (errors, open circuit), the last live value for the
zone, even expired, beats a lower tier and is marked stale. Every answer names its source, says whether it
was cached or stale, and gives a confidence with the reason.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from appwrite.query import Query
from cachetools import LRUCache, TTLCache
from tenacity import Retrying

from ..adapters.electricity_maps import ElectricityMapsClient, ElectricityMapsError, LiveReading, Target
from ..adapters.shipped_factors import ShippedFactor, ShippedFactors
from ..clock import Clock, parse_iso, to_iso, utc_now
from ..domain.models import Confidence, EmissionFactor
from ..domain.regions import Region, RegionKind, parse_region, row_id_for
from ..errors import CircuitOpenError, EcoTraceError, StorageError, UpstreamError
from ..ports import Row, Store
from ..resilience import CircuitBreaker, MonotonicClock, retry_call, retry_policy
from ..settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

TABLE = "emission_factors"
CACHE_TTL_S = 6 * 3600.0  # the seed's 6 hours
MAX_STALE_S = 7 * 24 * 3600.0  # an older live value is not served, even as stale
OLD_DATA_YEARS = 4  # an annual value older than this is low confidence
MEMORY_ENTRIES = 4096
BATCH_LIVE_BUDGET_S = 10.0  # a batch spends at most this long waiting on the live source
REFRESH_BUDGET_S = 10.0  # a refresh starts no new fetch after this long (the function's timeout is 30 s)


class FactorSource(StrEnum):
    ELECTRICITY_MAPS = "electricity_maps"
    CLOUD_REGION = "cloud_region"
    EGRID = "egrid"
    ZONE_ANNUAL = "zone_annual"  # Electricity Maps yearly average of a (sub-national) zone
    COUNTRY_ANNUAL = "country_annual"  # Ember / OWID country average
    WORLD_AVERAGE = "world_average"


LIVE_SOURCE = "electricity_maps"
STORE_SOURCE = "emission_factors_table"


# Answers about one zone, not outages: an unknown zone, no data, or a zone the key's plan may not read (the free
# tier serves one zone). They do not count against the breaker, and are remembered per zone for the cache's TTL.
ZONE_REFUSALS = ("zone_not_found", "no_data", "forbidden")


def _live_counts_as_failure(exc: BaseException) -> bool:
    return not (isinstance(exc, ElectricityMapsError) and exc.kind in (*ZONE_REFUSALS, "bad_request"))


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
        self.store = store
        self._clock = clock
        self._monotonic = monotonic
        self.ttl_s = ttl_s
        self.max_stale_s = max_stale_s
        self._no_live_reason = no_live_reason
        self.live_breaker = live_breaker or CircuitBreaker(
            LIVE_SOURCE,
            failure_threshold=3,
            cool_down_s=60.0,
            clock=monotonic,
            counts_as_failure=_live_counts_as_failure,
        )
        self.store_breaker = store_breaker or CircuitBreaker(
            STORE_SOURCE, failure_threshold=3, cool_down_s=30.0, clock=monotonic
        )
        self._retry = retry or retry_policy(attempts=2, base_s=0.2, max_backoff_s=1.0, retry_after_cap_s=3.0)
        self._memory: TTLCache[str, EmissionFactor] = TTLCache(
            maxsize=MEMORY_ENTRIES, ttl=ttl_s, timer=lambda: self._clock().timestamp()
        )
        self._last_live: LRUCache[str, EmissionFactor] = LRUCache(maxsize=MEMORY_ENTRIES)
        self._refused: TTLCache[str, ElectricityMapsError] = TTLCache(
            maxsize=MEMORY_ENTRIES, ttl=ttl_s, timer=lambda: self._clock().timestamp()
        )
        self._cache_lock = threading.Lock()  # cachetools caches are not thread-safe

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
        bound.store = store
        return bound

    # ---- public API ----------------------------------------------------------------------------------------------
    def parse(self, region: object) -> Region:
        return parse_region(region, self.shipped.catalogue)

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
        return [self._resolve(r, deadline=deadline) for r in regions]

    def _resolve(self, region: object, *, deadline: float | None) -> EmissionFactor:
        parsed = self.parse(region)
        notes: list[str] = [n for n in (parsed.reason, parsed.note) if n]
        target = self._live_target(parsed)
        if target is not None:
            if self.live is None:
                notes.append(self._no_live_reason)
            else:
                answer = self._resolve_live(parsed, target, notes, deadline)
                if answer is not None:
                    return answer
        return self._resolve_shipped(parsed, notes)

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
        if self.store is None:
            report.skipped_reason = "no store configured"
            return report
        horizon = to_iso(self._clock() + timedelta(seconds=within_s))
        queries = [Query.less_than("expires_at", horizon), Query.order_asc("expires_at"), Query.limit(limit)]
        try:
            rows = self.store_breaker.call(lambda: self.store.find(TABLE, queries) if self.store else [])
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
            target = self._target_from_key(key)
            if target is None:
                report.failed.append({"region": key, "error": "not a live zone key"})
                continue
            try:
                reading = self._fetch_live(target)
            except EcoTraceError as exc:
                report.failed.append({"region": key, "error": exc.code, "message": exc.message})
                if isinstance(exc, CircuitOpenError):
                    report.not_reached = len(rows) - index - 1
                    report.skipped_reason = "live source circuit open; stopped"
                    break
                continue
            self._remember(key, self._live_factor(key, reading), persist=True)
            report.refreshed += 1
        return report

    # ---- live tier -----------------------------------------------------------------------------------------------
    def _live_target(self, region: Region) -> Target | None:
        zones = self.shipped.catalogue.zones
        kind = region.kind
        if kind is RegionKind.COORDINATES and region.lat is not None and region.lon is not None:
            return Target(lat=region.lat, lon=region.lon)
        if kind is RegionKind.ZONE:
            return Target(zone=region.key)
        if kind is RegionKind.US_STATE:
            state = self.shipped.us_state(region.key[3:])
            return Target(zone=state.zone) if state else None
        if kind is RegionKind.CA_PROVINCE:
            zone = self.shipped.ca_province_zone(region.key[3:])
            return Target(zone=zone) if zone else None
        if kind is RegionKind.COUNTRY and region.key in zones:
            return Target(zone=region.key)
        if kind is RegionKind.CLOUD:
            info = self.shipped.cloud_region(region.key)
            if info is None or not info.location:
                return None
            if info.location in zones:
                return Target(zone=info.location)
            if info.location.startswith("US-"):
                state = self.shipped.us_state(info.location[3:])
                return Target(zone=state.zone) if state else None
            if info.country and info.country in zones:
                return Target(zone=info.country)
        return None

    @staticmethod
    def _cache_key(target: Target) -> str:
        if target.zone:
            return target.zone
        return f"geo:{target.lat:.2f},{target.lon:.2f}"

    def _target_from_key(self, key: str) -> Target | None:
        if key.startswith("geo:"):
            try:
                lat_text, lon_text = key[4:].split(",", 1)
                return Target(lat=float(lat_text), lon=float(lon_text))
            except ValueError:
                return None
        return Target(zone=key) if key.upper() in self.shipped.catalogue.zones else None

    def _resolve_live(
        self, region: Region, target: Target, notes: list[str], deadline: float | None = None
    ) -> EmissionFactor | None:
        key = self._cache_key(target)
        with self._cache_lock:
            hit = self._memory.get(key)
        now = self._clock()
        if hit is not None and (now - hit.fetched_at).total_seconds() < self.ttl_s:  # fresh by its own fetch time
            return self._for(region, hit, cached=True, notes=notes)
        row = self._store_get(key)
        stored = self._from_row(row) if row is not None else None
        if stored is not None and row is not None and self._row_fresh(row, now):
            self._remember(key, stored, persist=False)
            return self._for(region, stored, cached=True, notes=notes)
        with self._cache_lock:
            refused = self._refused.get(key)
        try:
            if refused is not None:  # a fresh copy: re-raising one instance would grow its traceback
                message = refused.message.removeprefix("Electricity Maps: ")
                raise ElectricityMapsError(refused.kind, f"{message} (remembered)", http_status=refused.http_status)
            if deadline is not None and self._monotonic() >= deadline:
                raise UpstreamError("not asked: this request's time budget for the live source is spent")
            reading = self._fetch_live(target)
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
        factor = self._live_factor(key, reading)
        self._remember(key, factor, persist=True)
        return self._for(region, factor, cached=False, notes=notes)

    def _fetch_live(self, target: Target) -> LiveReading:
        live = self.live
        if live is None:
            raise CircuitOpenError("no live source")

        def attempt() -> LiveReading:
            try:
                return live.latest(target)
            except EcoTraceError:
                raise
            except Exception as exc:  # a bug or an unmapped client error must not break the hierarchy
                log.exception("unexpected error from the live source")
                raise UpstreamError(f"live source failed unexpectedly ({type(exc).__name__})") from exc

        return self.live_breaker.call(lambda: retry_call(attempt, self._retry))

    def _live_factor(self, key: str, reading: LiveReading) -> EmissionFactor:
        when = reading.measured_at
        stamp = to_iso(when) if when else "unknown hour"
        detail = (
            f"Electricity Maps API, latest value for zone {reading.zone} at {stamp} "
            f"({reading.emission_factor_type or 'lifecycle'}; data: Electricity Maps)"
        )
        if reading.breakdown_error:
            detail += f"; no renewable share: {reading.breakdown_error}"
        if reading.is_estimated:
            confidence = Confidence.MEDIUM
            reason = (
                f"live hourly value, estimated by Electricity Maps ({reading.estimation_method or 'method unstated'})"
            )
        else:
            confidence, reason = Confidence.HIGH, "live hourly value measured for the zone"
        return EmissionFactor(
            region=key,
            zone=reading.zone,
            g_co2e_per_kwh=reading.g_co2e_per_kwh,
            renewable_percentage=reading.renewable_percentage,
            source=FactorSource.ELECTRICITY_MAPS,
            source_detail=detail[:1024],
            year=when.year if when else None,
            fetched_at=reading.fetched_at,
            confidence=confidence,
            confidence_reason=reason,
        )

    def _remember(self, key: str, factor: EmissionFactor, *, persist: bool) -> None:
        with self._cache_lock:
            self._memory[key] = factor
            self._last_live[key] = factor
        if persist and self.store is not None:
            row = self._to_row(key, factor)
            store = self.store
            try:
                self.store_breaker.call(lambda: _guarded(lambda: store.upsert(TABLE, row_id_for(key), row)))
            except EcoTraceError as exc:
                log.warning("emission_factors cache write failed: %s", exc.code)

    def _store_get(self, key: str) -> Row | None:
        store = self.store
        if store is None:
            return None
        try:
            return self.store_breaker.call(lambda: _guarded(lambda: store.get(TABLE, row_id_for(key))))
        except EcoTraceError as exc:
            log.warning("emission_factors cache read failed: %s", exc.code)
            return None

    def _row_fresh(self, row: Row, now: datetime) -> bool:
        try:
            return parse_iso(str(row["expires_at"])) > now
        except (KeyError, ValueError):
            return False

    def _to_row(self, key: str, factor: EmissionFactor) -> Row:
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

    def _from_row(self, row: Row) -> EmissionFactor | None:
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

    # ---- shipped tiers -------------------------------------------------------------------------------------------
    def _resolve_shipped(self, region: Region, notes: list[str]) -> EmissionFactor:
        for zone_name, source, factor, confidence, why in self._shipped_candidates(region, notes):
            return self._shipped_answer(region, zone_name, source, factor, confidence, why, notes)
        world = self.shipped.world()
        why = "world average: no regional data" if region.known else "world average: region not recognised"
        if region.kind is RegionKind.WORLD:
            why = "world average, as asked"
        return self._shipped_answer(region, "WORLD", FactorSource.WORLD_AVERAGE, world, Confidence.LOW, why, notes)

    def _shipped_candidates(
        self, region: Region, notes: list[str]
    ) -> Iterable[tuple[str, FactorSource, ShippedFactor, Confidence, str]]:
        shipped = self.shipped
        kind = region.kind
        if kind is RegionKind.CLOUD:
            info = shipped.cloud_region(region.key)
            if info is not None and info.factor is not None:
                yield (
                    region.key,
                    FactorSource.CLOUD_REGION,
                    info.factor,
                    Confidence.MEDIUM,
                    f"annual grid factor for the grid of {info.provider} region {info.name}",
                )
                return
            notes.append(f"no usable cloud-region factor for {region.key}; using its location")
            if info is None or not info.location:
                return
            location = info.location
            if location.startswith("US-") and shipped.us_state(location[3:]) is not None:
                yield from self._state_candidates(location[3:], via=f"{region.key} is in {location}")
            elif location in shipped.catalogue.zones and "-" in location:
                yield from self._zone_candidates(location, via=f"{region.key} is in {location}")
            if info.country:
                yield from self._country_candidates(info.country, fallback=True)
            return
        if kind is RegionKind.EGRID:
            sub = region.key.split(":", 1)[1]
            factor = shipped.egrid(sub)
            if factor is not None:
                yield sub, FactorSource.EGRID, factor, Confidence.MEDIUM, f"eGRID annual output rate of subregion {sub}"
            yield from self._country_candidates("US", fallback=True)
            return
        if kind is RegionKind.US_STATE:
            yield from self._state_candidates(region.key[3:], via="")
            yield from self._country_candidates("US", fallback=True)
            return
        if kind is RegionKind.CA_PROVINCE:
            zone = shipped.ca_province_zone(region.key[3:])
            if zone:
                yield from self._zone_candidates(zone, via="")
            yield from self._country_candidates("CA", fallback=True)
            return
        if kind is RegionKind.ZONE:
            if "-" in region.key:
                yield from self._zone_candidates(region.key, via="")
                if region.country:
                    yield from self._country_candidates(region.country, fallback=True)
            else:
                yield from self._country_candidates(region.key, fallback=False)
            return
        if kind is RegionKind.COUNTRY:
            yield from self._country_candidates(region.key, fallback=bool(region.reason))
            return
        if kind is RegionKind.COORDINATES and region.country:
            notes.append("a point cannot be resolved offline; using its country's average")
            yield from self._country_candidates(region.country, fallback=True)

    def _state_candidates(
        self, code: str, *, via: str
    ) -> Iterable[tuple[str, FactorSource, ShippedFactor, Confidence, str]]:
        state = self.shipped.us_state(code)
        if state is None:
            return
        factor = self.shipped.egrid(state.egrid)
        if factor is not None:
            prefix = f"{via}; " if via else ""
            if state.split:
                yield (
                    state.egrid,
                    FactorSource.EGRID,
                    factor,
                    Confidence.LOW,
                    f"{prefix}{state.name} is split between eGRID subregions; its dominant one, {state.egrid}, is used",
                )
            else:
                yield (
                    state.egrid,
                    FactorSource.EGRID,
                    factor,
                    Confidence.MEDIUM,
                    f"{prefix}eGRID annual output rate of {state.egrid}, the subregion serving {state.name}",
                )

    def _zone_candidates(
        self, zone: str, *, via: str
    ) -> Iterable[tuple[str, FactorSource, ShippedFactor, Confidence, str]]:
        factor = self.shipped.zone(zone)
        if factor is not None:
            prefix = f"{via}; " if via else ""
            yield (
                zone,
                FactorSource.ZONE_ANNUAL,
                factor,
                Confidence.MEDIUM,
                f"{prefix}annual average of zone {zone} ({factor.name})",
            )

    def _country_candidates(
        self, code: str, *, fallback: bool
    ) -> Iterable[tuple[str, FactorSource, ShippedFactor, Confidence, str]]:
        factor = self.shipped.country(code)
        if factor is None:
            return
        source = FactorSource.ZONE_ANNUAL if factor.source == "electricity_maps_yearly" else FactorSource.COUNTRY_ANNUAL
        if fallback:
            yield (
                code,
                source,
                factor,
                Confidence.LOW,
                f"national annual average of {code}: no finer data for the region",
            )
        else:
            yield code, source, factor, Confidence.MEDIUM, f"national annual average of {code}"

    def _shipped_answer(
        self,
        region: Region,
        zone: str,
        source: FactorSource,
        factor: ShippedFactor,
        confidence: Confidence,
        why: str,
        notes: Sequence[str],
    ) -> EmissionFactor:
        now = self._clock()
        if factor.year is not None and now.year - factor.year > OLD_DATA_YEARS and confidence is not Confidence.LOW:
            confidence = Confidence.LOW
            why += f"; data year {factor.year} is old"
        return EmissionFactor(
            region=region.key,
            zone=zone,
            g_co2e_per_kwh=factor.g_co2e_per_kwh,
            renewable_percentage=factor.renewable_percentage,
            source=source,
            source_detail=factor.source_detail,
            year=factor.year,
            fetched_at=now,
            confidence=confidence,
            confidence_reason=_join([why, *notes]),
        )

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
                "confidence_reason": _join([reason, *notes]),
            }
        )


def _guarded(fn: Callable[[], T]) -> T:
    """Store calls: anything but our own errors (a bug, an unwrapped client error) becomes StorageError."""
    try:
        return fn()
    except EcoTraceError:
        raise
    except Exception as exc:
        log.exception("unexpected error from the emission_factors table")
        raise StorageError(f"store failed unexpectedly ({type(exc).__name__})") from exc


def _join(parts: Sequence[str]) -> str:
    return "; ".join(p for p in parts if p)[:512]
