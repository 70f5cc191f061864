"""The shipped tiers: each kind of region is answered by the right tier, with a confidence and a reason."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecotrace.adapters.shipped_factors import ShippedFactors
from ecotrace.domain.models import Confidence
from ecotrace.services.emission_factors import EmissionFactorResolver, FactorSource
from tests.unit.factors.factors_helpers import FakeClock


@pytest.fixture
def offline(clock: FakeClock) -> EmissionFactorResolver:
    return EmissionFactorResolver.offline(clock=clock)


@pytest.mark.parametrize(
    ("region", "source", "zone", "confidence"),
    [
        ("aws:us-east-1", FactorSource.CLOUD_REGION, "aws:us-east-1", Confidence.MEDIUM),
        ("azure:eastus", FactorSource.CLOUD_REGION, "azure:eastus", Confidence.MEDIUM),
        ("gcp:europe-west1", FactorSource.CLOUD_REGION, "gcp:europe-west1", Confidence.MEDIUM),
        ("US-CA", FactorSource.EGRID, "CAMX", Confidence.MEDIUM),
        ({"country": "US", "state_province": "TX"}, FactorSource.EGRID, "ERCT", Confidence.MEDIUM),
        ("US-NY", FactorSource.EGRID, "NYUP", Confidence.LOW),  # split state: approximation
        ("egrid:NYCW", FactorSource.EGRID, "NYCW", Confidence.MEDIUM),
        ("US-CAL-CISO", FactorSource.ZONE_ANNUAL, "US-CAL-CISO", Confidence.MEDIUM),
        ("CA-QC", FactorSource.ZONE_ANNUAL, "CA-QC", Confidence.MEDIUM),
        ("DE", FactorSource.COUNTRY_ANNUAL, "DE", Confidence.MEDIUM),
        ("IND", FactorSource.COUNTRY_ANNUAL, "IN", Confidence.MEDIUM),
        ("DE-BY", FactorSource.COUNTRY_ANNUAL, "DE", Confidence.LOW),
        ("WORLD", FactorSource.WORLD_AVERAGE, "WORLD", Confidence.LOW),
        ("narnia", FactorSource.WORLD_AVERAGE, "WORLD", Confidence.LOW),
        (None, FactorSource.WORLD_AVERAGE, "WORLD", Confidence.LOW),
    ],
)
def test_each_region_kind_gets_its_tier(
    offline: EmissionFactorResolver, region: object, source: FactorSource, zone: str, confidence: Confidence
) -> None:
    factor = offline.resolve(region)
    assert (factor.source, factor.zone, factor.confidence) == (source, zone, confidence)
    assert factor.confidence_reason
    assert factor.source_detail
    assert not factor.cached
    assert not factor.stale


def test_a_cloud_region_without_a_usable_factor_uses_its_location(offline: EmissionFactorResolver) -> None:
    # CCF's row for Germany West Central is unreadable ("000402"): the region falls to Germany's average
    factor = offline.resolve("azure:germanywestcentral")
    assert factor.source == FactorSource.COUNTRY_ANNUAL
    assert factor.zone == "DE"
    assert factor.confidence is Confidence.LOW
    assert "no usable cloud-region factor" in factor.confidence_reason


def test_a_cloud_region_in_a_us_state_falls_to_egrid_when_it_has_no_factor(clock: FakeClock) -> None:
    data = ShippedFactors.load()._data
    cloud = dict(data["cloud_regions"])
    cloud["azure:eastus"] = {k: v for k, v in cloud["azure:eastus"].items() if k not in ("g_co2e_per_kwh", "source")}
    resolver = EmissionFactorResolver(ShippedFactors({**data, "cloud_regions": cloud}), clock=clock)
    factor = resolver.resolve("azure:eastus")
    assert (factor.source, factor.zone) == (FactorSource.EGRID, "SRVC")  # Virginia's subregion


def test_world_fallback_says_why(offline: EmissionFactorResolver) -> None:
    factor = offline.resolve("aws:mars-east-1")
    assert factor.region == "WORLD"
    assert "unknown aws region" in factor.confidence_reason
    assert factor.g_co2e_per_kwh == offline.shipped.world().g_co2e_per_kwh


def test_old_annual_data_is_low_confidence(offline: EmissionFactorResolver) -> None:
    # the clock says 2026; a country whose only value is more than four years old is low confidence
    years = {
        code: (offline.shipped.country(code) or offline.shipped.world()).year
        for code in offline.shipped.catalogue.countries
    }
    old = sorted(code for code, year in years.items() if year is not None and year < 2022)
    assert old, "the dataset has a value from before 2022 (OWID's Western Sahara, 2009)"
    factor = offline.resolve(old[0])
    assert factor.confidence is Confidence.LOW
    assert f"data year {factor.year} is old" in factor.confidence_reason


def test_renewable_share_comes_with_country_averages(offline: EmissionFactorResolver) -> None:
    factor = offline.resolve("FR")
    assert factor.renewable_percentage is not None
    assert 0 < factor.renewable_percentage < 100
    assert "renewable share" in factor.source_detail


def test_offline_answers_name_the_missing_live_source(offline: EmissionFactorResolver) -> None:
    assert "offline" in offline.resolve("DE").confidence_reason


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.text(max_size=70), st.dictionaries(st.text(max_size=15), st.text(max_size=10))))
def test_resolve_never_raises(value: object) -> None:
    factor = EmissionFactorResolver.offline().resolve(value)
    assert factor.g_co2e_per_kwh > 0
    assert factor.source in set(FactorSource)


@pytest.mark.parametrize(
    ("region", "zone"),
    [("aws:il-central-1", "IL"), ("aws:eu-central-2", "CH"), ("aws:ca-west-1", "CA-AB"), ("aws:ap-south-2", "IN")],
)
def test_a_newer_aws_region_without_a_ccf_factor_uses_its_location(
    offline: EmissionFactorResolver, region: str, zone: str
) -> None:
    # Cloud Carbon Footprint's list stops at 2021's regions; the newer ones are located, not sent to the world
    factor = offline.resolve(region)
    assert (factor.region, factor.zone) == (region, zone)
    assert factor.source in (FactorSource.COUNTRY_ANNUAL, FactorSource.ZONE_ANNUAL)
    assert "no usable cloud-region factor" in factor.confidence_reason
