"""The whole hierarchy on real parts: the loopback Electricity Maps fake and the emission_factors table of the
local stack (SQLite). With the live source failing, every region still gets a factor from the right tier, and
the circuit breaker keeps the dead source from being asked again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace.adapters.electricity_maps import ElectricityMapsClient
from ecotrace.adapters.shipped_factors import ShippedFactors
from ecotrace.resilience import retry_policy
from ecotrace.services.emission_factors import EmissionFactorResolver, FactorSource
from ecotrace_local.testing import StackHandle, run_stack
from tests.fakes.electricity_maps import FakeElectricityMaps, Scripted

ROOT = Path(__file__).resolve().parents[2]
KEY = "em-hierarchy-secret-key"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def module_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    data = json.loads((ROOT / "appwrite.json").read_text(encoding="utf-8"))
    data["functions"] = []
    base = tmp_path_factory.mktemp("factors-stack")
    with run_stack(ROOT, db_path=base / "local.sqlite3", env={"ECOTRACE_RUN_SCHEDULES": "0"}, appwrite_json=data) as h:
        yield h


@pytest.fixture
def store(module_stack: StackHandle) -> AppwriteStore:
    module_stack.reset()
    return AppwriteStore(module_stack.client())


@pytest.fixture
def fake() -> Iterator[FakeElectricityMaps]:
    with FakeElectricityMaps(api_key=KEY) as server:
        yield server


def resolver(fake: FakeElectricityMaps, store: AppwriteStore | None, clock: Clock) -> EmissionFactorResolver:
    live = ElectricityMapsClient(KEY, base_url=fake.base_url, timeout=httpx.Timeout(0.15, connect=0.3), clock=clock)
    return EmissionFactorResolver(
        ShippedFactors.load(), live, store, clock, retry=retry_policy(attempts=2, base_s=0.01, max_backoff_s=0.02)
    )


# region -> (source, zone) expected when no live value exists
EXPECTED = {
    "aws:eu-west-1": (FactorSource.CLOUD_REGION, "aws:eu-west-1"),
    "azure:eastus": (FactorSource.CLOUD_REGION, "azure:eastus"),
    "azure:westeurope": (FactorSource.CLOUD_REGION, "azure:westeurope"),
    "gcp:us-central1": (FactorSource.CLOUD_REGION, "gcp:us-central1"),
    "azure:germanywestcentral": (FactorSource.COUNTRY_ANNUAL, "DE"),
    "US-CA": (FactorSource.EGRID, "CAMX"),
    "US-TX": (FactorSource.EGRID, "ERCT"),
    "egrid:RFCE": (FactorSource.EGRID, "RFCE"),
    "US-CAL-CISO": (FactorSource.ZONE_ANNUAL, "US-CAL-CISO"),
    "CA-ON": (FactorSource.ZONE_ANNUAL, "CA-ON"),
    "NO-NO1": (FactorSource.ZONE_ANNUAL, "NO-NO1"),
    "DE": (FactorSource.COUNTRY_ANNUAL, "DE"),
    "FR": (FactorSource.COUNTRY_ANNUAL, "FR"),
    "IND": (FactorSource.COUNTRY_ANNUAL, "IN"),
    "BR": (FactorSource.COUNTRY_ANNUAL, "BR"),
    "US": (FactorSource.COUNTRY_ANNUAL, "US"),
    "ZZ": (FactorSource.WORLD_AVERAGE, "WORLD"),
    "WORLD": (FactorSource.WORLD_AVERAGE, "WORLD"),
}


@pytest.mark.parametrize(
    "outage",
    [
        Scripted(hang_s=0.5),  # timeouts
        Scripted(503, {"error": "Service unavailable"}),
        Scripted(429, {"error": "Too many requests"}, headers={"Retry-After": "3600"}),
        Scripted(200, b"<html>captive portal</html>"),
    ],
    ids=["timeouts", "503", "429-long", "malformed"],
)
def test_every_region_gets_a_factor_from_the_right_tier_when_live_fails(
    fake: FakeElectricityMaps, store: AppwriteStore, outage: Scripted
) -> None:
    fake.always = outage
    res = resolver(fake, store, Clock())
    for region, (source, zone) in EXPECTED.items():
        factor = res.resolve(region)
        assert (region, factor.source, factor.zone) == (region, source, zone)
        assert factor.confidence_reason
    # the breaker opened after a few failures: most regions never reached the dead source
    assert fake.hits() <= 6
    assert res.health()["sources"]["electricity_maps"]["state"] == "open"


def test_a_stale_value_in_the_shared_table_beats_the_lower_tier(
    fake: FakeElectricityMaps, store: AppwriteStore
) -> None:
    clock = Clock()
    fake.intensity["US-CAL-CISO"] = 99
    first = resolver(fake, store, clock).resolve({"country": "US", "state_province": "CA"})
    assert (first.source, first.g_co2e_per_kwh) == (FactorSource.ELECTRICITY_MAPS, 99)
    row = store.get("emission_factors", "US-CAL-CISO")
    assert row is not None
    assert row["factor_kg_co2_per_kwh"] == pytest.approx(0.099)

    clock.now += timedelta(hours=7)
    fake.always = Scripted(502, {"error": "Bad gateway"})
    later = resolver(fake, store, clock).resolve("US-CA")  # a new instance: only the table remembers
    assert (later.source, later.g_co2e_per_kwh, later.stale, later.cached) == (
        FactorSource.ELECTRICITY_MAPS,
        99,
        True,
        True,
    )
    assert "7.0 h old" in later.confidence_reason


def test_a_fresh_row_spares_the_api_call(fake: FakeElectricityMaps, store: AppwriteStore) -> None:
    clock = Clock()
    resolver(fake, store, clock).resolve("DE")
    hits = fake.hits()
    again = resolver(fake, store, clock).resolve("DE")
    assert again.cached
    assert fake.hits() == hits


def test_an_unreachable_store_does_not_stop_answers(fake: FakeElectricityMaps) -> None:
    from appwrite.client import Client

    dead = AppwriteStore(Client().set_endpoint("http://127.0.0.1:9/v1").set_project("p").set_key("k"))
    res = resolver(fake, dead, Clock())
    assert res.resolve("DE").source == FactorSource.ELECTRICITY_MAPS
    fake.always = Scripted(500, {"error": "down"})
    assert res.resolve("FR").source == FactorSource.COUNTRY_ANNUAL
    assert res.health()["sources"]["emission_factors_table"]["last_error"].startswith("storage_unavailable")


def test_refresh_finds_expiring_rows_in_the_real_table(fake: FakeElectricityMaps, store: AppwriteStore) -> None:
    clock = Clock()
    res = resolver(fake, store, clock)
    for region in ("DE", "FR", "US-CA"):
        res.resolve(region)
    clock.now += timedelta(hours=2)
    res.resolve("PL")  # expires two hours after the others
    clock.now += timedelta(hours=3, minutes=30)  # DE, FR, US-CAL-CISO expire within the hour; PL does not
    fake.intensity["DE"] = 211
    report = res.refresh(within_s=3600)
    assert (report.checked, report.refreshed, report.failed) == (3, 3, [])
    row = store.get("emission_factors", "DE")
    assert row is not None
    assert row["factor_kg_co2_per_kwh"] == pytest.approx(0.211)
