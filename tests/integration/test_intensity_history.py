"""The hourly intensity history: Electricity Maps' history endpoint against the strict fake, a point kept for every
live factor the resolver fetches, and the schedule's daily collection of the live zones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from ecotrace.adapters.electricity_maps import ElectricityMapsClient, ElectricityMapsError, Target
from ecotrace.adapters.shipped_factors import ShippedFactors
from ecotrace.domain.intensity import PointSource
from ecotrace.services.emission_factors import EmissionFactorResolver
from ecotrace.services.emission_factors.history import IntensityHistory
from ecotrace.tables import intensity_history
from tests.fakes.electricity_maps import HISTORY_PATH, FakeElectricityMaps, fixture
from tests.fakes.memory_store import MemoryStore

KEY = "em-history-key-0123456789"
NOW = datetime(2026, 11, 25, 12, 30, tzinfo=UTC)


@pytest.fixture
def em() -> Iterator[FakeElectricityMaps]:
    with FakeElectricityMaps(api_key=KEY) as fake:
        fake.now = NOW
        yield fake


def client(em: FakeElectricityMaps) -> ElectricityMapsClient:
    return ElectricityMapsClient(KEY, base_url=em.base_url, timeout=httpx.Timeout(2.0, connect=1.0), clock=lambda: NOW)


def test_the_history_endpoint_gives_the_last_24_hours_oldest_first(em: FakeElectricityMaps) -> None:
    readings = client(em).history(Target(zone="DE"))
    recorded = [item["carbonIntensity"] for item in fixture("carbon_intensity_history.json")["history"]]
    assert [r.g_co2e_per_kwh for r in readings] == recorded
    assert readings[0].measured_at == datetime(2026, 11, 24, 12, tzinfo=UTC)
    assert readings[-1].measured_at == datetime(2026, 11, 25, 11, tzinfo=UTC)
    assert [r.is_estimated for r in readings][-2:] == [True, True]
    assert (em.requests[0].path, em.requests[0].query) == (HISTORY_PATH, {"zone": "DE"})


def test_a_plan_without_history_access_is_a_refusal(em: FakeElectricityMaps) -> None:
    em.history_refused.add("DE")
    with pytest.raises(ElectricityMapsError) as caught:
        client(em).history(Target(zone="DE"))
    assert caught.value.kind == "forbidden"


def test_every_live_factor_fetched_keeps_its_hour(em: FakeElectricityMaps) -> None:
    store = MemoryStore(lambda: NOW)
    em.intensity["DE"] = 321
    resolver = EmissionFactorResolver(ShippedFactors.load(), client(em), store, lambda: NOW)
    factor = resolver.resolve("DE")
    assert factor.source == "electricity_maps"
    rows = store.rows(intensity_history.NAME)
    points = [intensity_history.from_row(row) for row in rows]
    assert [(p.zone, p.g_co2e_per_kwh, p.source) for p in points if p] == [("DE", 321.0, PointSource.LATEST)]
    assert rows[0]["hour"] == "2024-03-06T19:00:00.000+00:00"  # the hour the recorded answer is for
    resolver.resolve("DE")  # served from the cache: nothing fetched, nothing added
    assert len(store.rows(intensity_history.NAME)) == 1


def test_a_failing_history_table_does_not_fail_the_factor(em: FakeElectricityMaps) -> None:
    store = MemoryStore(lambda: NOW)
    store.fail("bulk_upsert", intensity_history.NAME, times=5)
    em.intensity["FR"] = 40
    resolver = EmissionFactorResolver(ShippedFactors.load(), client(em), store, lambda: NOW)
    assert resolver.resolve("FR").g_co2e_per_kwh == 40
    assert store.rows(intensity_history.NAME) == []


def test_the_schedule_collects_each_live_zone_once_a_day(em: FakeElectricityMaps) -> None:
    clock = {"now": NOW}
    store = MemoryStore(lambda: clock["now"])
    resolver = EmissionFactorResolver(ShippedFactors.load(), client(em), store, lambda: clock["now"])
    resolver.resolve("DE")  # DE becomes a live zone in the emission_factors table
    history = IntensityHistory(store, live=client(em), clock=lambda: clock["now"])

    assert history.collect() == {"zones": 1, "collected": {"DE": 24}}
    assert len(store.rows(intensity_history.NAME)) == 25  # 24 from the endpoint + the live reading's own hour
    assert history.collect() == {"zones": 1, "collected": {}}  # fresh enough: not asked again
    assert em.hits(HISTORY_PATH) == 1
    clock["now"] = NOW + timedelta(hours=21)
    em.now = clock["now"]
    assert history.collect()["collected"] == {"DE": 24}
    assert em.hits(HISTORY_PATH) == 2


def test_without_a_key_nothing_is_asked() -> None:
    history = IntensityHistory(MemoryStore(lambda: NOW), live=None, clock=lambda: NOW)
    assert history.collect() == {"skipped": "no Electricity Maps API key configured"}
    assert history.fetch_day("DE") == 0
