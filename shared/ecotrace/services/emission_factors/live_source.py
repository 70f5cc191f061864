"""The live tier: Electricity Maps' latest hourly value, asked through a circuit breaker and a retry policy.

Which regions can be asked live (zones, points, US states and Canadian provinces by their zone, cloud regions by
their location), the key each live value is cached under, one bounded fetch, and the factor a reading makes.
"""

from __future__ import annotations

import logging
import time

from tenacity import Retrying

from ...adapters.electricity_maps import ElectricityMapsClient, ElectricityMapsError, LiveReading, Target
from ...adapters.shipped_factors import ShippedFactors
from ...clock import to_iso
from ...domain.models import Confidence, EmissionFactor
from ...domain.regions import Region, RegionKind
from ...errors import CircuitOpenError, EcoTraceError, UpstreamError
from ...resilience import CircuitBreaker, MonotonicClock, retry_call, retry_policy
from .sources import FactorSource

log = logging.getLogger(__name__)

LIVE_SOURCE = "electricity_maps"

# Answers about one zone, not outages: an unknown zone, no data, or a zone the key's plan may not read (the free
# tier serves one zone). They do not count against the breaker, and are remembered per zone for the cache's TTL.
ZONE_REFUSALS = ("zone_not_found", "no_data", "forbidden")


def _live_counts_as_failure(exc: BaseException) -> bool:
    return not (isinstance(exc, ElectricityMapsError) and exc.kind in (*ZONE_REFUSALS, "bad_request"))


def default_live_breaker(monotonic: MonotonicClock = time.monotonic) -> CircuitBreaker:
    """The live source's default breaker: open after 3 outages in a row, probe again after 60 s; a zone's
    refusal or a bad request is not an outage."""
    return CircuitBreaker(
        LIVE_SOURCE,
        failure_threshold=3,
        cool_down_s=60.0,
        clock=monotonic,
        counts_as_failure=_live_counts_as_failure,
    )


def default_live_retry() -> Retrying:
    """The live source's default retries: 2 attempts, short backoff, a ``Retry-After`` honoured up to 3 s."""
    return retry_policy(attempts=2, base_s=0.2, max_backoff_s=1.0, retry_after_cap_s=3.0)


def live_target(shipped: ShippedFactors, region: Region) -> Target | None:
    """What to ask Electricity Maps for ``region`` (a zone or a point), or None when it cannot be asked live."""
    zones = shipped.catalogue.zones
    kind = region.kind
    if kind is RegionKind.COORDINATES and region.lat is not None and region.lon is not None:
        return Target(lat=region.lat, lon=region.lon)
    if kind is RegionKind.ZONE:
        return Target(zone=region.key)
    if kind is RegionKind.US_STATE:
        state = shipped.us_state(region.key[3:])
        return Target(zone=state.zone) if state else None
    if kind is RegionKind.CA_PROVINCE:
        zone = shipped.ca_province_zone(region.key[3:])
        return Target(zone=zone) if zone else None
    if kind is RegionKind.COUNTRY and region.key in zones:
        return Target(zone=region.key)
    if kind is RegionKind.CLOUD:
        info = shipped.cloud_region(region.key)
        if info is None or not info.location:
            return None
        if info.location in zones:
            return Target(zone=info.location)
        if info.location.startswith("US-"):
            state = shipped.us_state(info.location[3:])
            return Target(zone=state.zone) if state else None
        if info.country and info.country in zones:
            return Target(zone=info.country)
    return None


def cache_key(target: Target) -> str:
    """The key a live value is cached under: the zone, or ``geo:<lat>,<lon>`` rounded to 2 places."""
    if target.zone:
        return target.zone
    return f"geo:{target.lat:.2f},{target.lon:.2f}"


def target_from_key(shipped: ShippedFactors, key: str) -> Target | None:
    """The target a cache key stands for (the inverse of :func:`cache_key`), or None for a key of no live zone."""
    if key.startswith("geo:"):
        try:
            lat_text, lon_text = key[4:].split(",", 1)
            return Target(lat=float(lat_text), lon=float(lon_text))
        except ValueError:
            return None
    return Target(zone=key) if key.upper() in shipped.catalogue.zones else None


def fetch_reading(
    live: ElectricityMapsClient | None, breaker: CircuitBreaker, retry: Retrying, target: Target
) -> LiveReading:
    """One live reading, retried by ``retry`` inside ``breaker``; every failure is an :class:`EcoTraceError`."""
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

    return breaker.call(lambda: retry_call(attempt, retry))


def live_factor(key: str, reading: LiveReading) -> EmissionFactor:
    """The factor a live reading makes, cited, with a confidence that says whether the hour was estimated."""
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
        reason = f"live hourly value, estimated by Electricity Maps ({reading.estimation_method or 'method unstated'})"
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
