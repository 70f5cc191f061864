"""Odd failures never break an answer; cached rows are not served past their own expiry; Retry-After parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
from hypothesis import given
from hypothesis import strategies as st

from ecotrace.adapters.electricity_maps import parse_retry_after
from ecotrace.adapters.shipped_factors import ShippedFactors
from ecotrace.resilience import retry_policy
from ecotrace.services.emission_factors import EmissionFactorResolver, FactorSource
from tests.fakes.memory_store import MemoryStore
from tests.unit.factors.factors_helpers import FakeClock, FakeMonotonic, LiveStub, mock_client


def make(stub: LiveStub, store: MemoryStore | None, clock: FakeClock) -> EmissionFactorResolver:
    return EmissionFactorResolver(
        ShippedFactors.load(),
        mock_client(stub, clock),
        store,
        clock,
        monotonic=FakeMonotonic(),
        retry=retry_policy(attempts=1, sleep=lambda s: None),
    )


def test_a_row_read_from_the_table_is_not_served_past_its_own_expiry(store: MemoryStore, clock: FakeClock) -> None:
    stub = LiveStub({"DE": 380})
    make(stub, store, clock).resolve("DE")  # the row: fetched at 12:00, expires 18:00
    clock.advance(5 * 3600)
    later = make(stub, store, clock)
    assert later.resolve("DE").cached  # 17:00, from the table into memory
    stub.intensity["DE"] = 290
    clock.advance(1.5 * 3600)  # 18:30: the memory entry is young, but the value is 6.5 h old
    factor = later.resolve("DE")
    assert (factor.g_co2e_per_kwh, factor.cached) == (290, False)


def test_an_unexpected_client_failure_falls_back(clock: FakeClock) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("bug in a transport")

    resolver = EmissionFactorResolver(ShippedFactors.load(), mock_client(broken, clock), None, clock)
    factor = resolver.resolve("DE")
    assert factor.source == FactorSource.COUNTRY_ANNUAL
    assert "unexpectedly (RuntimeError)" in factor.confidence_reason


def test_an_unexpected_store_failure_falls_back(store: MemoryStore, clock: FakeClock) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise KeyError("surprise")

    store._get = explode  # type: ignore[method-assign,assignment]
    stub = LiveStub({"DE": 380})
    resolver = make(stub, store, clock)
    assert resolver.resolve("DE").g_co2e_per_kwh == 380
    assert "unexpectedly (KeyError)" in resolver.health()["sources"]["emission_factors_table"]["last_error"]


def test_retry_after_forms() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("²", now) is None
    assert parse_retry_after(None, now) is None


@given(st.text(max_size=60))
def test_retry_after_never_raises(text: str) -> None:
    value = parse_retry_after(text, datetime(2026, 11, 25, tzinfo=UTC))
    assert value is None or value >= 0


def test_a_point_is_resolved_live_and_cached_under_a_valid_row_id(store: MemoryStore, clock: FakeClock) -> None:
    stub = LiveStub({"DE": 333})
    factor = make(stub, store, clock).resolve({"lat": 52.52, "lon": 13.405, "country": "DE"})
    assert (factor.source, factor.zone, factor.region) == (FactorSource.ELECTRICITY_MAPS, "DE", "geo:52.52,13.40")
    assert set(stub.requests[0].url.params) == {"lat", "lon"}
    assert store.by_id("emission_factors")["geo.52.52_13.40"]["region"] == "geo:52.52,13.40"
    stub.fail_with = 503
    assert make(stub, store, clock).resolve({"lat": 52.52, "lon": 13.40}).cached


def test_a_batch_stops_waiting_on_a_slow_live_source(clock: FakeClock) -> None:
    monotonic = FakeMonotonic()

    class SlowStub(LiveStub):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            monotonic.advance(4.0)  # every request takes 4 s
            return super().__call__(request)

    stub = SlowStub({"DE": 300, "FR": 40})
    resolver = EmissionFactorResolver(ShippedFactors.load(), mock_client(stub, clock), None, clock, monotonic=monotonic)
    factors = resolver.resolve_many(["DE", "FR", "PL", "aws:eu-west-1"], live_budget_s=10.0)
    assert [f.source for f in factors] == [
        FactorSource.ELECTRICITY_MAPS,  # 8 s: intensity + breakdown
        FactorSource.ELECTRICITY_MAPS,  # started before the budget ran out
        FactorSource.COUNTRY_ANNUAL,
        FactorSource.CLOUD_REGION,
    ]
    assert "time budget" in factors[2].confidence_reason
    assert len(stub.requests) == 4
    assert resolver.live_breaker.state == "closed"  # a spent budget is not the source's failure


def test_a_refresh_stops_within_its_time_budget_and_says_how_many_are_left(
    store: MemoryStore, clock: FakeClock
) -> None:
    # The schedule runs refresh_cache inside the function's 30 s timeout: a slow API must not make it overrun.
    monotonic = FakeMonotonic()
    slow = False

    class SlowStub(LiveStub):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            if slow:
                monotonic.advance(4.0)  # every request takes 4 s
            return super().__call__(request)

    stub = SlowStub({"DE": 300, "FR": 40, "PL": 600, "ES": 150, "IT": 250})
    resolver = EmissionFactorResolver(
        ShippedFactors.load(), mock_client(stub, clock), store, clock, monotonic=monotonic
    )
    for zone in ("DE", "FR", "PL", "ES", "IT"):
        resolver.resolve(zone)
    clock.advance(5.5 * 3600)  # all five expire within the hour
    slow = True
    report = resolver.refresh(within_s=3600, budget_s=10.0)
    assert (report.checked, report.refreshed, report.not_reached) == (2, 2, 3)  # 8 s per row: the third is not begun
    assert report.skipped_reason is not None
    assert "time budget" in report.skipped_reason
    assert resolver.live_breaker.state == "closed"  # slowness within the timeout is not an outage
