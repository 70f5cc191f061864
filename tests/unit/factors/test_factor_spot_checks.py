"""Spot checks against the public source files: regions across every tier return the published values.

Reads ../shared/data/emission-factors (the raw files) independently of the build script.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from ecotrace.services.emission_factors import EmissionFactorResolver, FactorSource

SOURCE = Path(__file__).resolve().parents[4] / "shared" / "data" / "emission-factors"
pytestmark = pytest.mark.skipif(not SOURCE.is_dir(), reason="../shared/data/emission-factors not present")


def load(name: str) -> Any:
    return json.loads((SOURCE / name).read_text(encoding="utf-8"))


def ccf(provider: str, region: str) -> float:
    with (SOURCE / f"ccf-grid-emissions-factors-{provider}.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["Region"] == region:
                return float(row["CO2e (metric ton/kWh)"]) * 1e6  # t/kWh -> g/kWh
    raise LookupError(region)


def ember(iso3: str) -> float:
    return float(load("ember-2024-country-intensity.json")[iso3]["emissions_intensity_gco2_per_kwh"])


def owid(iso3: str) -> float:
    return float(load("codecarbon-owid-country-energy-mix.json")[iso3]["carbon_intensity"])


def em_yearly(zone: str) -> float:
    return float(load("electricity-maps-yearly-2025.json")[zone]["carbonIntensity"]["value"])


def egrid(subregion: str) -> float:
    return float(load("egrid2022-subregion-intensity.json")["regions_kg_per_mwh"][subregion])  # kg/MWh = g/kWh


CASES = [
    # cloud regions (Cloud Carbon Footprint)
    ("aws:us-east-1", FactorSource.CLOUD_REGION, lambda: ccf("aws", "us-east-1")),
    ("aws:eu-north-1", FactorSource.CLOUD_REGION, lambda: ccf("aws", "eu-north-1")),
    ("aws:ap-southeast-1", FactorSource.CLOUD_REGION, lambda: ccf("aws", "ap-southeast-1")),
    ("azure:eastus", FactorSource.CLOUD_REGION, lambda: ccf("azure", "East US")),
    ("azure:westeurope", FactorSource.CLOUD_REGION, lambda: ccf("azure", "West Europe")),
    ("azure:southcentralus", FactorSource.CLOUD_REGION, lambda: ccf("azure", "South Central US")),
    ("gcp:europe-west1", FactorSource.CLOUD_REGION, lambda: ccf("gcp", "europe-west1")),
    ("gcp:us-central1", FactorSource.CLOUD_REGION, lambda: ccf("gcp", "us-central1")),
    # eGRID subregions, directly and through US states
    ("egrid:CAMX", FactorSource.EGRID, lambda: egrid("CAMX")),
    ("NYUP", FactorSource.EGRID, lambda: egrid("NYUP")),
    ("egrid:RFCW", FactorSource.EGRID, lambda: egrid("RFCW")),
    ("US-TX", FactorSource.EGRID, lambda: egrid("ERCT")),
    ({"country": "US", "state_province": "WA"}, FactorSource.EGRID, lambda: egrid("NWPP")),
    ("US-FL", FactorSource.EGRID, lambda: egrid("FRCC")),
    # Electricity Maps yearly, sub-national zones
    ("US-CAL-CISO", FactorSource.ZONE_ANNUAL, lambda: em_yearly("US-CAL-CISO")),
    ("CA-ON", FactorSource.ZONE_ANNUAL, lambda: em_yearly("CA-ON")),
    ("DK-DK1", FactorSource.ZONE_ANNUAL, lambda: em_yearly("DK-DK1")),
    ("SE-SE3", FactorSource.ZONE_ANNUAL, lambda: em_yearly("SE-SE3")),
    ("AU-NSW", FactorSource.ZONE_ANNUAL, lambda: em_yearly("AU-NSW")),
    ("JP-TK", FactorSource.ZONE_ANNUAL, lambda: em_yearly("JP-TK")),
    # country annual averages (Ember; OWID where Ember has none)
    ("DE", FactorSource.COUNTRY_ANNUAL, lambda: ember("DEU")),
    ("FRA", FactorSource.COUNTRY_ANNUAL, lambda: ember("FRA")),
    ("GB", FactorSource.COUNTRY_ANNUAL, lambda: ember("GBR")),
    ("IN", FactorSource.COUNTRY_ANNUAL, lambda: ember("IND")),
    ("US", FactorSource.COUNTRY_ANNUAL, lambda: ember("USA")),
    ("BR", FactorSource.COUNTRY_ANNUAL, lambda: ember("BRA")),
    ("BM", FactorSource.COUNTRY_ANNUAL, lambda: owid("BMU")),
    ("GI", FactorSource.COUNTRY_ANNUAL, lambda: owid("GIB")),
    # world average
    (
        "WORLD",
        FactorSource.WORLD_AVERAGE,
        lambda: float(load("ember-2024-country-intensity.json")["World"]["emissions_intensity_gco2_per_kwh"]),
    ),
]


@pytest.mark.parametrize(("region", "source", "published"), CASES, ids=[str(c[0]) for c in CASES])
def test_published_value(region: object, source: FactorSource, published: Any) -> None:
    factor = EmissionFactorResolver.offline().resolve(region)
    assert factor.source == source
    assert factor.g_co2e_per_kwh == pytest.approx(published(), rel=1e-6)


def test_enough_regions_and_every_tier_is_checked() -> None:
    assert len(CASES) >= 20
    assert {c[1] for c in CASES} == set(FactorSource) - {FactorSource.ELECTRICITY_MAPS}


def test_renewable_share_is_owid_renewables_over_total() -> None:
    row = load("codecarbon-owid-country-energy-mix.json")["FRA"]
    factor = EmissionFactorResolver.offline().resolve("FR")
    assert factor.renewable_percentage == pytest.approx(100 * row["renewables_TWh"] / row["total_TWh"], abs=0.01)


def test_zone_renewable_share_is_electricity_maps() -> None:
    factor = EmissionFactorResolver.offline().resolve("CA-QC")
    published = load("electricity-maps-yearly-2025.json")["CA-QC"]["renewableEnergy"]["value"]
    assert factor.renewable_percentage == published
