"""Every shipped value is traceable: it equals the value in the source file its record names, for its year.

Reads ../shared/data/emission-factors directly (not through the build script); spot checks of the served
answers are in test_factor_spot_checks.py.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
SOURCE = ROOT.parent / "shared" / "data" / "emission-factors"
pytestmark = pytest.mark.skipif(not SOURCE.is_dir(), reason="../shared/data/emission-factors not present")


def load(name: str) -> Any:
    return json.loads((SOURCE / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (ROOT / "shared" / "ecotrace" / "data" / "emission_factors.json").read_text(encoding="utf-8")
    )
    return data


def published(source: str, key: str, iso3: str | None, year: int | None) -> tuple[float, int | None]:
    """The value and year the named source file publishes for this key."""
    if source == "ember":
        row = load("ember-2024-country-intensity.json")[iso3 or "World"]
        return float(row["emissions_intensity_gco2_per_kwh"]), int(row["year"])
    if source == "owid":
        row = load("codecarbon-owid-country-energy-mix.json")[iso3]
        return float(row["carbon_intensity"]), int(row["year"])
    if source == "electricity_maps_yearly":
        row = load(f"electricity-maps-yearly-{year}.json")[key]
        return float(row["carbonIntensity"]["value"]), year
    if source == "egrid":
        egrid = load("egrid2022-subregion-intensity.json")
        return float(egrid["regions_kg_per_mwh"][key]), int(egrid["metadata"]["year"])
    raise AssertionError(f"unexpected source {source}")


def ccf_value(provider: str, name: str) -> float:
    with (SOURCE / f"ccf-grid-emissions-factors-{provider}.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["Region"].strip() == name:
                return float(row["CO2e (metric ton/kWh)"]) * 1e6
    raise LookupError(name)


def test_every_country_zone_and_subregion_value_is_the_published_one(shipped: dict[str, Any]) -> None:
    checked = 0
    sections = [("countries", True), ("zones", False), ("egrid_subregions", False)]
    for section, is_country in sections:
        for key, row in shipped[section].items():
            value, year = published(row["source"], key, row.get("iso3") if is_country else None, row["year"])
            assert row["g_co2e_per_kwh"] == pytest.approx(value, abs=1e-4), (section, key)
            assert row["year"] == year, (section, key)
            checked += 1
    world_value, world_year = published("ember", "World", None, None)
    assert (shipped["world"]["g_co2e_per_kwh"], shipped["world"]["year"]) == (world_value, world_year)
    assert checked > 550


def test_every_cloud_region_value_is_the_published_one(shipped: dict[str, Any]) -> None:
    with_factor = {k: r for k, r in shipped["cloud_regions"].items() if "g_co2e_per_kwh" in r}
    assert len(with_factor) > 60
    for key, row in with_factor.items():
        assert row["g_co2e_per_kwh"] == pytest.approx(ccf_value(row["provider"], row["name"]), rel=1e-9), key


def test_the_latest_electricity_maps_year_is_used(shipped: dict[str, Any]) -> None:
    newer = load("electricity-maps-yearly-2025.json")
    for key, row in shipped["zones"].items():
        has_2025 = (newer.get(key, {}).get("carbonIntensity") or {}).get("value") is not None
        assert row["year"] == (2025 if has_2025 else 2024), key
