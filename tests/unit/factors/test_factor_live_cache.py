"""The live tier and its caches: memory (6 h), the shared emission_factors table, stale values on outages."""

from __future__ import annotations

import httpx
import pytest

from ecotrace.adapters.shipped_factors import ShippedFactors
from ecotrace.domain.models import Confidence
from ecotrace.resilience import retry_policy
from ecotrace.services.emission_factors import EmissionFactorResolver, FactorSource
from tests.fakes.memory_store import MemoryStore
from tests.unit.factors.factors_helpers import API_KEY, FakeClock, FakeMonotonic, LiveStub, mock_client


def make(
    stub: LiveStub, store: MemoryStore | None, clock: FakeClock, monotonic: FakeMonotonic
) -> EmissionFactorResolver:
    return EmissionFactorResolver(
        ShippedFactors.load(),
        mock_client(stub, clock),
        store,
        clock,
        monotonic=monotonic,
        retry=retry_policy(attempts=2, sleep=lambda s: None),
    )


@pytest.fixture
def stub() -> LiveStub:
    return LiveStub({"DE": 380, "US-CAL-CISO": 150, "US-MIDA-PJM": 410})


def test_a_live_value_is_served_then_cached_in_memory_and_in_the_table(
    stub: LiveStub, store: MemoryStore, clock: FakeClock, monotonic: FakeMonotonic
) -> None:
    resolver = make(stub, store, clock, monotonic)
    first = resolver.resolve("DE")
    assert (first.source, first.g_co2e_per_kwh, first.cached) == (FactorSource.ELECTRICITY_MAPS, 380, False)
    assert first.renewable_percentage == 33  # from the recorded power breakdown
    assert first.confidence is Confidence.MEDIUM  # the recorded hour is an estimate
    assert "estimated" in first.confidence_reason
    row = store.by_id("emission_factors")["DE"]
    assert row["factor_kg_co2_per_kwh"] == pytest.approx(0.380)
    assert row["expires_at"] > row["fetched_at"]
    seen = len(stub.requests)

    again = resolver.resolve("DE")
    assert again.cached
    assert again.g_co2e_per_kwh == 380
    assert len(stub.requests) == seen


def test_another_instance_reads_the_shared_table_instead_of_the_api(
    stub: LiveStub, store: MemoryStore, clock: FakeClock, monotonic: FakeMonotonic
) -> None:
    make(stub, store, clock, monotonic).resolve("US-CA")
    seen = len(stub.requests)
    other = make(stub, store, clock, monotonic)
    factor = other.resolve({"country": "US", "state_province": "CA"})
    assert (factor.source, factor.zone, factor.g_co2e_per_kwh, factor.cached) == (
        FactorSource.ELECTRICITY_MAPS,
        "US-CAL-CISO",
        150,
        True,
    )
    assert factor.region == "US-CA"
    assert len(stub.requests) == seen


def test_after_six_hours_the_value_is_fetched_again(
    stub: LiveStub, store: MemoryStore, clock: FakeClock, monotonic: FakeMonotonic
) -> None:
    resolver = make(stub, store, clock, monotonic)
    resolver.resolve("DE")
    stub.intensity["DE"] = 300
    clock.advance(6 * 3600 + 1)
    factor = resolver.resolve("DE")
    assert (factor.g_co2e_per_kwh, factor.cached) == (300, False)


def test_a_stale_live_value_beats_a_lower_tier_when_the_api_is_down(
    stub: LiveStub, store: MemoryStore, clock: FakeClock, monotonic: FakeMonotonic
) -> None:
    make(stub, store, clock, monotonic).resolve("DE")
    clock.advance(8 * 3600)
    stub.fail_with = 503
    fresh_instance = make(stub, store, clock, monotonic)  # nothing in memory: the stale row comes from the table
    factor = fresh_instance.resolve("DE")
    assert (factor.source, factor.g_co2e_per_kwh) == (FactorSource.ELECTRICITY_MAPS, 380)
    assert factor.stale
    assert factor.cached
    assert factor.confidence is Confidence.MEDIUM
    assert "stale" in factor.confidence_reason
    assert "8.0 h old" in factor.confidence_reason


def test_a_live_value_older_than_a_week_is_not_served(
    stub: LiveStub, store: MemoryStore, clock: FakeClock, monotonic: FakeMonotonic
) -> None:
    make(stub, store, clock, monotonic).resolve("DE")
    clock.advance(8 * 24 * 3600)
    stub.timeout = True
    factor = make(stub, store, clock, monotonic).resolve("DE")
    assert factor.source == FactorSource.COUNTRY_ANNUAL
    assert "live source unavailable" in factor.confidence_reason


def test_without_any_live_value_the_next_tier_answers_and_says_why(
    stub: LiveStub, clock: FakeClock, monotonic: FakeMonotonic
) -> None:
    stub.fail_with = 500
    factor = make(stub, None, clock, monotonic).resolve("azure:eastus")
    assert (factor.source, factor.zone) == (FactorSource.CLOUD_REGION, "azure:eastus")
    assert "live source unavailable" in factor.confidence_reason


def test_cloud_regions_ask_for_their_grid_zone_live(stub: LiveStub, clock: FakeClock, monotonic: FakeMonotonic) -> None:
    factor = make(stub, None, clock, monotonic).resolve("azure:eastus")
    assert (factor.source, factor.zone, factor.g_co2e_per_kwh) == (FactorSource.ELECTRICITY_MAPS, "US-MIDA-PJM", 410)
    assert stub.requests[0].url.params["zone"] == "US-MIDA-PJM"


def test_an_unknown_live_zone_falls_back_without_opening_the_breaker(
    stub: LiveStub, clock: FakeClock, monotonic: FakeMonotonic
) -> None:
    stub.unknown_zones.add("US-CAL-CISO")
    resolver = make(stub, None, clock, monotonic)
    resolver.live_breaker.failure_threshold = 1
    factor = resolver.resolve("US-CAL-CISO")
    assert factor.source == FactorSource.ZONE_ANNUAL
    assert "Electricity Maps has no live data for US-CAL-CISO" in factor.confidence_reason
    assert resolver.live_breaker.state == "closed"
    assert resolver.resolve("DE").source == FactorSource.ELECTRICITY_MAPS


def test_a_dead_store_does_not_stop_answers(
    stub: LiveStub, store: MemoryStore, clock: FakeClock, monotonic: FakeMonotonic
) -> None:
    store.down = True
    resolver = make(stub, store, clock, monotonic)
    assert resolver.resolve("DE").source == FactorSource.ELECTRICITY_MAPS
    stub.fail_with = 502
    assert resolver.resolve("FR").source == FactorSource.COUNTRY_ANNUAL
    health = resolver.health()["sources"]["emission_factors_table"]
    assert health["last_error"].startswith("storage_unavailable")


def test_the_breaker_opens_and_later_calls_skip_the_api(
    stub: LiveStub, clock: FakeClock, monotonic: FakeMonotonic
) -> None:
    stub.timeout = True
    resolver = make(stub, None, clock, monotonic)
    for region in ("DE", "FR", "PL"):
        resolver.resolve(region)
    assert resolver.health()["sources"]["electricity_maps"]["state"] == "open"
    seen = len(stub.requests)
    for region in ("US-CA", "azure:eastus", "GB", "CA-ON"):
        factor = resolver.resolve(region)
        assert factor.source != FactorSource.ELECTRICITY_MAPS
        assert "circuit_open" in factor.confidence_reason
    assert len(stub.requests) == seen


def test_health_reports_state_without_the_key(stub: LiveStub, clock: FakeClock, monotonic: FakeMonotonic) -> None:
    stub.fail_with = 401
    resolver = make(stub, None, clock, monotonic)
    resolver.resolve("DE")
    health = resolver.health()
    assert health["sources"]["electricity_maps"]["configured"] is True
    assert "401" in health["sources"]["electricity_maps"]["last_error"]
    assert API_KEY not in repr(health)
    assert API_KEY not in repr(resolver.live)


def test_refresh_renews_rows_about_to_expire(
    stub: LiveStub, store: MemoryStore, clock: FakeClock, monotonic: FakeMonotonic
) -> None:
    resolver = make(stub, store, clock, monotonic)
    resolver.resolve("DE")
    resolver.resolve("US-CA")
    old_expiry = store.by_id("emission_factors")["DE"]["expires_at"]
    clock.advance(5.5 * 3600)
    stub.intensity["DE"] = 222
    report = resolver.refresh(within_s=3600)
    assert (report.checked, report.refreshed, report.failed) == (2, 2, [])
    assert store.by_id("emission_factors")["DE"]["expires_at"] > old_expiry
    assert store.by_id("emission_factors")["DE"]["factor_kg_co2_per_kwh"] == pytest.approx(0.222)


def test_refresh_without_a_key_does_nothing_and_says_so(store: MemoryStore, clock: FakeClock) -> None:
    report = EmissionFactorResolver.offline(store=store, clock=clock).refresh()
    assert report.refreshed == 0
    assert report.skipped_reason


def test_a_zone_the_key_may_not_read_is_not_an_outage_and_is_not_asked_again_for_hours(
    stub: LiveStub, clock: FakeClock, monotonic: FakeMonotonic
) -> None:
    # Electricity Maps' free tier serves one zone: a 403 for the others must not open the breaker for all
    resolver = make(stub, None, clock, monotonic)
    forbidden = {"FR", "PL", "ES", "IT"}

    def plan_limited(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("zone") in forbidden:
            stub.requests.append(request)
            return httpx.Response(403, json={"error": "Forbidden", "message": "zone not in your plan"})
        return stub(request)

    resolver.live = mock_client(plan_limited, clock)
    for zone in sorted(forbidden):
        factor = resolver.resolve(zone)
        assert factor.source == FactorSource.COUNTRY_ANNUAL
        assert "403" in factor.confidence_reason
    assert resolver.live_breaker.state == "closed"
    assert resolver.resolve("DE").source == FactorSource.ELECTRICITY_MAPS  # the plan's zone still live
    asked = len(stub.requests)
    again = resolver.resolve("FR")
    assert again.source == FactorSource.COUNTRY_ANNUAL
    assert "403" in again.confidence_reason
    assert len(stub.requests) == asked  # remembered: not asked again
    clock.advance(6 * 3600 + 1)
    resolver.resolve("FR")
    assert len(stub.requests) == asked + 1  # asked again after the cache's 6 h
