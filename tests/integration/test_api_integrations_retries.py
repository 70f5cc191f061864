"""Retries and back-off end to end: the resolver against the strict loopback Electricity Maps fake.

Transient errors (429, 5xx, timeouts) are asked again, after a bounded jittered wait or the 429's Retry-After;
401, 403 and an unknown zone are asked once. Waits are recorded (the policy's sleep is injected), never timed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from ecotrace.adapters.electricity_maps import ElectricityMapsClient
from ecotrace.adapters.shipped_factors import ShippedFactors
from ecotrace.resilience import retry_policy
from ecotrace.services.emission_factors import EmissionFactorResolver, FactorSource
from tests.fakes.electricity_maps import INTENSITY_PATH, FakeElectricityMaps, Scripted

KEY = "em-retries-secret-key-5d2b"
BASE_S, MAX_BACKOFF_S, RETRY_AFTER_CAP_S = 0.05, 0.2, 3.0


@pytest.fixture
def fake() -> Iterator[FakeElectricityMaps]:
    with FakeElectricityMaps(api_key=KEY) as server:
        yield server


def resolver(fake: FakeElectricityMaps, sleeps: list[float], key: str = KEY) -> EmissionFactorResolver:
    clock = lambda: datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # noqa: E731
    live = ElectricityMapsClient(key, base_url=fake.base_url, timeout=httpx.Timeout(0.2, connect=0.5), clock=clock)
    policy = retry_policy(
        attempts=3, base_s=BASE_S, max_backoff_s=MAX_BACKOFF_S, retry_after_cap_s=RETRY_AFTER_CAP_S, sleep=sleeps.append
    )
    return EmissionFactorResolver(ShippedFactors.load(), live, None, clock, retry=policy)


def test_a_429_is_waited_out_for_its_retry_after_then_the_live_value_is_served(fake: FakeElectricityMaps) -> None:
    fake.intensity["DE"] = 301
    fake.then(Scripted(429, {"error": "Too many requests"}, headers={"Retry-After": "2"}, path=INTENSITY_PATH))
    sleeps: list[float] = []
    factor = resolver(fake, sleeps).resolve("DE")
    assert (factor.source, factor.g_co2e_per_kwh, factor.stale) == (FactorSource.ELECTRICITY_MAPS, 301, False)
    assert sleeps == [2.0]  # the server's Retry-After, not the jittered back-off
    assert fake.hits(INTENSITY_PATH) == 2


def test_a_429_asking_for_longer_than_the_cap_is_not_waited_for(fake: FakeElectricityMaps) -> None:
    fake.then(Scripted(429, {"error": "Too many requests"}, headers={"Retry-After": "600"}, path=INTENSITY_PATH))
    sleeps: list[float] = []
    factor = resolver(fake, sleeps).resolve("DE")
    assert factor.source == FactorSource.COUNTRY_ANNUAL
    assert "rate limited" in factor.confidence_reason
    assert (sleeps, fake.hits(INTENSITY_PATH)) == ([], 1)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_is_retried_after_a_bounded_jittered_wait(fake: FakeElectricityMaps, status: int) -> None:
    fake.intensity["FR"] = 41
    fake.then(Scripted(status, b"<html>bad gateway</html>", path=INTENSITY_PATH))
    sleeps: list[float] = []
    factor = resolver(fake, sleeps).resolve("FR")
    assert (factor.source, factor.g_co2e_per_kwh) == (FactorSource.ELECTRICITY_MAPS, 41)
    assert len(sleeps) == 1
    assert 0 <= sleeps[0] <= BASE_S  # full jitter: uniform in [0, base] before the first retry
    assert fake.hits(INTENSITY_PATH) == 2


def test_timeouts_are_retried_a_bounded_number_of_times(fake: FakeElectricityMaps) -> None:
    fake.always = Scripted(hang_s=0.6)
    sleeps: list[float] = []
    factor = resolver(fake, sleeps).resolve("PL")
    assert factor.source == FactorSource.COUNTRY_ANNUAL
    assert "timed out" in factor.confidence_reason
    assert fake.hits(INTENSITY_PATH) == 3  # attempts=3, then the next tier
    assert len(sleeps) == 2
    assert all(0 <= s <= MAX_BACKOFF_S for s in sleeps)


@pytest.mark.parametrize(
    ("scripted", "status"),
    [
        (None, 401),  # a wrong key: the fake answers 401 itself
        (Scripted(403, {"error": "Forbidden", "message": "zone not in your plan"}, path=INTENSITY_PATH), 403),
    ],
)
def test_refusals_are_asked_once(fake: FakeElectricityMaps, scripted: Scripted | None, status: int) -> None:
    if scripted is not None:
        fake.then(scripted)
    sleeps: list[float] = []
    res = resolver(fake, sleeps, key=KEY if scripted is not None else "em-wrong-key")
    factor = res.resolve("DE")
    assert factor.source == FactorSource.COUNTRY_ANNUAL
    assert (sleeps, fake.hits(INTENSITY_PATH)) == ([], 1)
    assert f"({status})" in str(res.live_breaker.last_error)


def test_an_unknown_zone_is_asked_once_and_is_not_an_outage(fake: FakeElectricityMaps) -> None:
    fake.zones.pop("US-CAL-CISO")  # the API no longer knows the zone: 404
    sleeps: list[float] = []
    res = resolver(fake, sleeps)
    factor = res.resolve("US-CAL-CISO")
    assert factor.source == FactorSource.ZONE_ANNUAL
    assert (sleeps, fake.hits(INTENSITY_PATH)) == ([], 1)
    assert res.live_breaker.state == "closed"
    assert res.live_breaker.snapshot()["consecutive_failures"] == 0


def test_a_long_retry_after_stops_all_asking_until_then(fake: FakeElectricityMaps) -> None:
    fake.then(Scripted(429, {"error": "Too many requests"}, headers={"Retry-After": "900"}, path=INTENSITY_PATH))
    sleeps: list[float] = []
    res = resolver(fake, sleeps)
    assert res.resolve("DE").source == FactorSource.COUNTRY_ANNUAL
    later = res.resolve("FR")  # another zone: the API said to come back in 15 minutes, so it is not asked
    assert later.source == FactorSource.COUNTRY_ANNUAL
    assert "circuit_open" in later.confidence_reason
    assert fake.hits(INTENSITY_PATH) == 1
    health = res.health()["sources"]["electricity_maps"]
    assert health["state"] == "open"
    assert 890 < health["retry_in_s"] <= 900
