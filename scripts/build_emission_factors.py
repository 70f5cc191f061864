"""Build the shipped emission-factor dataset from the public source files.

    python scripts/build_emission_factors.py [--source DIR] [--out DIR]

Reads the raw files in ``../shared/data/emission-factors`` (see SOURCES.md there) and writes
``shared/ecotrace/data/emission_factors.json`` plus the licence and attribution notice
``shared/ecotrace/data/DATA_SOURCES.md``. The output is deterministic (sorted keys, no timestamps), so a
rebuild from the same files gives the same bytes. Every value keeps its source, year, licence and
attribution; the product reads only the built file, never the source folder.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pycountry

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "emission-factors"
DEFAULT_OUT = ROOT / "shared" / "ecotrace" / "data"
FORMAT_VERSION = 1

Record = dict[str, Any]

SOURCES: dict[str, Record] = {
    "ember": {
        "title": "Ember yearly electricity data (country annual grid carbon intensity)",
        "via": "The Green Web Foundation co2.js, data/output/average-intensities.json",
        "licence": "CC BY-SA 4.0",
        "licence_url": "https://creativecommons.org/licenses/by-sa/4.0/",
        "share_alike": True,
        "attribution": "Ember (ember-energy.org), republished by The Green Web Foundation (co2.js)",
        "url": "https://ember-energy.org/data/yearly-electricity-data/",
        "file": "ember-2024-country-intensity.json",
    },
    "owid": {
        "title": "Our World in Data energy dataset (carbon intensity, renewable and total generation)",
        "via": "mlco2/codecarbon codecarbon/data/private_infra/global_energy_mix.json (MIT)",
        "licence": "CC BY 4.0",
        "licence_url": "https://creativecommons.org/licenses/by/4.0/",
        "share_alike": False,
        "attribution": "Our World in Data, based on Ember and the Energy Institute Statistical Review of World Energy",
        "url": "https://github.com/owid/energy-data",
        "file": "codecarbon-owid-country-energy-mix.json",
    },
    "electricity_maps_yearly": {
        "title": "Electricity Maps yearly zone data (carbon intensity, renewable %)",
        "via": "The Green Web Foundation co2.js",
        "licence": "ODbL 1.0",
        "licence_url": "https://opendatacommons.org/licenses/odbl/1-0/",
        "share_alike": True,
        "attribution": "Electricity Maps (electricitymaps.com)",
        "url": "https://www.electricitymaps.com/data-portal",
        "file": "electricity-maps-yearly-2024.json, electricity-maps-yearly-2025.json",
    },
    "egrid": {
        "title": "US EPA eGRID2022 subregion output emission rates",
        "via": "e-mission/e-mission-common (BSD-3-Clause)",
        "licence": "Public domain (US Government work)",
        "licence_url": "https://www.usa.gov/government-copyright",
        "share_alike": False,
        "attribution": "US Environmental Protection Agency, eGRID2022",
        "url": "https://www.epa.gov/egrid",
        "file": "egrid2022-subregion-intensity.json",
    },
    "ccf": {
        "title": "Cloud Carbon Footprint grid emission factors per cloud region",
        "via": "cloud-carbon-footprint/cloud-carbon-coefficients data/",
        "licence": "Apache-2.0",
        "licence_url": "https://www.apache.org/licenses/LICENSE-2.0",
        "share_alike": False,
        "attribution": "Cloud Carbon Footprint (Thoughtworks) and the upstream source named per row",
        "url": "https://github.com/cloud-carbon-footprint/cloud-carbon-coefficients",
        "file": "ccf-grid-emissions-factors-{aws,azure,gcp}.csv",
    },
    "green_algorithms": {
        "title": "Green Algorithms cloud data-centre locations",
        "via": "GreenAlgorithms/green-algorithms-tool data/latest/cloudProviders_datacenters.csv",
        "licence": "CC BY 4.0",
        "licence_url": "https://creativecommons.org/licenses/by/4.0/",
        "share_alike": False,
        "attribution": "Lannelongue, Grealey and Inouye (2021), Green Algorithms",
        "url": "https://github.com/GreenAlgorithms/green-algorithms-tool",
        "file": "green-algorithms-cloudProviders_datacenters.csv",
    },
    "ecotrace": {
        "title": "EcoTrace's own mappings (US state -> eGRID subregion and Electricity Maps zone; AWS locations)",
        "via": "this repository",
        "licence": "MIT",
        "licence_url": "https://opensource.org/license/mit",
        "share_alike": False,
        "attribution": "EcoTrace contributors",
        "url": "",
        "file": "scripts/build_emission_factors.py",
    },
}

# US state -> (dominant eGRID subregion, Electricity Maps zone of the balancing authority serving most load).
# Basis: EPA's eGRID2022 subregion representational map and Electricity Maps' US zone map, read by hand: the
# subregion / balancing authority covering most of the state's population. Split states are approximations,
# marked in DATA_SOURCES.md: AL (SRSO; north is SRTV), IL (RFCW = ComEd; downstate SRMW), MS (SRMV; also SRSO,
# SRTV), NV (AZNM = Las Vegas; north NWPP), NY (NYUP; NYC is NYCW, Long Island NYLI), PA (RFCW; Philadelphia RFCE),
# WY (NWPP; east RMPA), KY (SRTV; west SRMW), MO (SRMW; west SPNO).
US_STATES: dict[str, tuple[str, str]] = {
    "AK": ("AKGD", "US-AK"),
    "AL": ("SRSO", "US-SE-SOCO"),
    "AR": ("SRMV", "US-MIDW-MISO"),
    "AZ": ("AZNM", "US-SW-AZPS"),
    "CA": ("CAMX", "US-CAL-CISO"),
    "CO": ("RMPA", "US-NW-PSCO"),
    "CT": ("NEWE", "US-NE-ISNE"),
    "DC": ("RFCE", "US-MIDA-PJM"),
    "DE": ("RFCE", "US-MIDA-PJM"),
    "FL": ("FRCC", "US-FLA-FPL"),
    "GA": ("SRSO", "US-SE-SOCO"),
    "HI": ("HIOA", "US-HI"),
    "IA": ("MROW", "US-MIDW-MISO"),
    "ID": ("NWPP", "US-NW-IPCO"),
    "IL": ("RFCW", "US-MIDA-PJM"),
    "IN": ("RFCW", "US-MIDW-MISO"),
    "KS": ("SPNO", "US-CENT-SWPP"),
    "KY": ("SRTV", "US-MIDW-LGEE"),
    "LA": ("SRMV", "US-MIDW-MISO"),
    "MA": ("NEWE", "US-NE-ISNE"),
    "MD": ("RFCE", "US-MIDA-PJM"),
    "ME": ("NEWE", "US-NE-ISNE"),
    "MI": ("RFCM", "US-MIDW-MISO"),
    "MN": ("MROW", "US-MIDW-MISO"),
    "MO": ("SRMW", "US-MIDW-MISO"),
    "MS": ("SRMV", "US-MIDW-MISO"),
    "MT": ("NWPP", "US-NW-NWMT"),
    "NC": ("SRVC", "US-CAR-DUK"),
    "ND": ("MROW", "US-MIDW-MISO"),
    "NE": ("MROW", "US-CENT-SWPP"),
    "NH": ("NEWE", "US-NE-ISNE"),
    "NJ": ("RFCE", "US-MIDA-PJM"),
    "NM": ("AZNM", "US-SW-PNM"),
    "NV": ("AZNM", "US-NW-NEVP"),
    "NY": ("NYUP", "US-NY-NYIS"),
    "OH": ("RFCW", "US-MIDA-PJM"),
    "OK": ("SPSO", "US-CENT-SWPP"),
    "OR": ("NWPP", "US-NW-BPAT"),
    "PA": ("RFCW", "US-MIDA-PJM"),
    "RI": ("NEWE", "US-NE-ISNE"),
    "SC": ("SRVC", "US-CAR-SCEG"),
    "SD": ("MROW", "US-CENT-SWPP"),
    "TN": ("SRTV", "US-TEN-TVA"),
    "TX": ("ERCT", "US-TEX-ERCO"),
    "UT": ("NWPP", "US-NW-PACE"),
    "VA": ("SRVC", "US-MIDA-PJM"),
    "VT": ("NEWE", "US-NE-ISNE"),
    "WA": ("NWPP", "US-NW-BPAT"),
    "WI": ("MROE", "US-MIDW-MISO"),
    "WV": ("RFCW", "US-MIDA-PJM"),
    "WY": ("NWPP", "US-NW-PACE"),
}
SPLIT_STATES = ("AL", "IL", "KY", "MO", "MS", "NV", "NY", "PA", "WY")

# AWS region -> location (ISO 3166 or "US-<state>"), from the region names in AWS's documentation
# ("US East (N. Virginia)" ...). Green Algorithms lists Azure and GCP locations but not AWS's. Regions newer than
# Cloud Carbon Footprint's list (no factor there) are kept with their location, so they fall back to its grid.
AWS_LOCATIONS: dict[str, str] = {
    "af-south-1": "ZA",
    "ap-south-2": "IN",  # Asia Pacific (Hyderabad)
    "ap-southeast-3": "ID",  # Asia Pacific (Jakarta)
    "ap-southeast-4": "AU-VIC",  # Asia Pacific (Melbourne)
    "ap-southeast-5": "MY",  # Asia Pacific (Malaysia)
    "ap-southeast-7": "TH",  # Asia Pacific (Thailand)
    "ca-west-1": "CA-AB",  # Canada West (Calgary)
    "eu-central-2": "CH",  # Europe (Zurich)
    "eu-south-2": "ES",  # Europe (Spain)
    "il-central-1": "IL",  # Israel (Tel Aviv)
    "me-central-1": "AE",  # Middle East (UAE)
    "mx-central-1": "MX",  # Mexico (Central)
    "ap-east-1": "HK",
    "ap-northeast-1": "JP",
    "ap-northeast-2": "KR",
    "ap-northeast-3": "JP",
    "ap-south-1": "IN",
    "ap-southeast-1": "SG",
    "ap-southeast-2": "AU-NSW",
    "ca-central-1": "CA-QC",
    "cn-north-1": "CN",
    "cn-northwest-1": "CN",
    "eu-central-1": "DE",
    "eu-north-1": "SE",
    "eu-south-1": "IT",
    "eu-west-1": "IE",
    "eu-west-2": "GB",
    "eu-west-3": "FR",
    "me-south-1": "BH",
    "sa-east-1": "BR",
    "us-east-1": "US-VA",
    "us-east-2": "US-OH",
    "us-gov-east-1": "US-OH",
    "us-gov-west-1": "US",
    "us-west-1": "US-CA",
    "us-west-2": "US-OR",
}
# Location codes in the Green Algorithms file that are not ISO 3166 alpha-2 (or an Electricity Maps zone).
LOCATION_FIXES = {"CN-HK": "HK", "AU-ACT": "AU-NSW"}
# Azure regions that Cloud Carbon Footprint lists but Green Algorithms does not (or lists without a location):
# the location is CCF's own "Location" column, resolved to ISO 3166 by hand.
AZURE_LOCATIONS = {
    "azure:belgiumcentral": "BE",
    "azure:eastus3": "US-GA",
    "azure:finlandcentral": "FI",
    "azure:qatarcentral": "QA",
    "azure:swedencentral": "SE",
}
# ISO 3166 alpha-3 codes outside the standard list (user-assigned) used by the sources.
EXTRA_ISO3 = {"XKX": ("XK", "Kosovo")}


def _num(text: str) -> float:
    return float(Decimal(text))


def _g_per_kwh_from_t(text: str) -> float | None:
    """Metric tonnes per kWh (CCF) to grams per kWh; None when the cell is not a plain decimal below 1."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    # CCF values are fractions of a tonne written "0.000..." ; "000077" (leading "0." missing) is rejected.
    if not text.strip().startswith("0.") or value >= 1:
        return None
    return float(value * Decimal(1_000_000))


def azure_key(display_name: str) -> str:
    """Azure's programmatic region name: "East US 2" -> "eastus2"; "(Public)"-style notes dropped."""
    base = display_name.split("(")[0]
    return "".join(ch for ch in base.lower() if ch.isalnum())


def _subdivisions(country_code: str) -> list[Any]:
    found: Any = pycountry.subdivisions.get(country_code=country_code)  # type: ignore[no-untyped-call]
    return sorted(found or [], key=lambda sub: str(sub.code))


def _iso2(iso3: str) -> tuple[str, str] | None:
    if iso3 in EXTRA_ISO3:
        return EXTRA_ISO3[iso3]
    country = pycountry.countries.get(alpha_3=iso3)
    if country is None:
        return None
    return str(country.alpha_2), str(getattr(country, "common_name", None) or country.name)


def build(source: Path) -> tuple[dict[str, Any], list[str]]:
    notes: list[str] = []
    ember = json.loads((source / "ember-2024-country-intensity.json").read_text("utf-8"))
    owid = json.loads((source / "codecarbon-owid-country-energy-mix.json").read_text("utf-8"))
    em: dict[int, dict[str, Any]] = {
        year: json.loads((source / f"electricity-maps-yearly-{year}.json").read_text("utf-8")) for year in (2024, 2025)
    }
    egrid_raw = json.loads((source / "egrid2022-subregion-intensity.json").read_text("utf-8"))

    # ---- Electricity Maps zones (latest year that has the zone) --------------------------------------------
    zones: dict[str, Record] = {}
    for year in sorted(em):
        for code, row in em[year].items():
            value = (row.get("carbonIntensity") or {}).get("value")
            if value is None:
                continue
            share = (row.get("renewableEnergy") or {}).get("value")
            info = row.get("zone") or {}
            zones[code] = {
                "name": info.get("displayName") or info.get("zoneName") or code,
                "g_co2e_per_kwh": float(value),
                "renewable_percentage": None if share is None else float(share),
                "year": year,
                "source": "electricity_maps_yearly",
                "source_detail": f"Electricity Maps yearly {year}, zone {code} (ODbL 1.0; attribute Electricity Maps)",
            }

    # ---- countries: Ember intensity, OWID renewable share; OWID, then Electricity Maps, where Ember lacks --
    countries: dict[str, Record] = {}
    iso3_to_iso2: dict[str, str] = {}
    for iso3 in sorted(set(ember) | set(owid)):
        erow = ember.get(iso3)
        if erow is not None and not erow.get("country_code"):
            continue  # regional aggregate (EU, Asia, World ...)
        mapped = _iso2(iso3)
        if mapped is None:
            notes.append(f"skipped country {iso3}: not an ISO 3166 alpha-3 code")
            continue
        iso2, name = mapped
        iso3_to_iso2[iso3] = iso2
        orow = owid.get(iso3)
        renewable: float | None = None
        renewable_year: int | None = None
        if orow is not None and orow.get("total_TWh"):
            renewable = round(100.0 * float(orow["renewables_TWh"]) / float(orow["total_TWh"]), 2)
            renewable = min(renewable, 100.0)
            renewable_year = int(orow["year"])
        if erow is not None:
            record: Record = {
                "g_co2e_per_kwh": float(erow["emissions_intensity_gco2_per_kwh"]),
                "year": int(erow["year"]),
                "source": "ember",
                "source_detail": f"Ember {erow['year']} annual average via co2.js (CC BY-SA 4.0; attribute Ember)",
            }
        else:
            assert orow is not None
            record = {
                "g_co2e_per_kwh": float(orow["carbon_intensity"]),
                "year": int(orow["year"]),
                "source": "owid",
                "source_detail": f"Our World in Data {orow['year']} annual average (CC BY 4.0)",
            }
        record["renewable_percentage"] = renewable
        if renewable is not None:
            record["source_detail"] += f"; renewable share: Our World in Data {renewable_year} (CC BY 4.0)"
        countries[iso2] = {"iso3": iso3, "name": name, **record}
    for code, zone in zones.items():
        country = pycountry.countries.get(alpha_2=code) if "-" not in code else None
        if country is not None and code not in countries:
            iso3 = str(country.alpha_3)
            iso3_to_iso2[iso3] = code
            countries[code] = {"iso3": iso3, **zone}
            notes.append(f"country {code}: no Ember/OWID value, Electricity Maps yearly used")

    world_row = ember["World"]
    world: Record = {
        "name": "World",
        "g_co2e_per_kwh": float(world_row["emissions_intensity_gco2_per_kwh"]),
        "renewable_percentage": None,
        "year": int(world_row["year"]),
        "source": "ember",
        "source_detail": f"Ember {world_row['year']} world average via co2.js (CC BY-SA 4.0; attribute Ember)",
    }

    # ---- eGRID ---------------------------------------------------------------------------------------------
    egrid_year = int(egrid_raw["metadata"]["year"])
    egrid: dict[str, Record] = {}
    for code, value in sorted(egrid_raw["regions_kg_per_mwh"].items()):
        egrid[code] = {
            "g_co2e_per_kwh": round(float(value), 4),
            "renewable_percentage": None,
            "year": egrid_year,
            "source": "egrid",
            "source_detail": f"US EPA eGRID{egrid_year} subregion {code} output emission rate (public domain)",
        }
    egrid_us: Record = {
        "g_co2e_per_kwh": round(float(egrid_raw["national_kg_per_mwh"]), 4),
        "renewable_percentage": None,
        "year": egrid_year,
        "source": "egrid",
        "source_detail": f"US EPA eGRID{egrid_year} US national output emission rate (public domain)",
    }

    # ---- US states and Canadian provinces ----------------------------------------------------------------------
    us_states: dict[str, Record] = {}
    for sub in _subdivisions("US"):
        code = str(sub.code).split("-", 1)[1]
        if code not in US_STATES:
            continue  # territories have their own ISO country codes (PR, GU ...)
        subregion, state_zone = US_STATES[code]
        if subregion not in egrid or state_zone not in zones:
            raise SystemExit(f"mapping for {code} names unknown eGRID subregion or zone: {subregion}, {state_zone}")
        us_states[code] = {"name": str(sub.name), "egrid": subregion, "zone": state_zone, "split": code in SPLIT_STATES}
    missing = set(US_STATES) - set(us_states)
    if missing:
        raise SystemExit(f"US states missing from ISO 3166-2: {sorted(missing)}")
    ca_provinces: dict[str, Record] = {}
    for sub in _subdivisions("CA"):
        code = str(sub.code).split("-", 1)[1]
        zone_code = f"CA-{code}"
        ca_provinces[code] = {"name": str(sub.name), "zone": zone_code if zone_code in zones else None}

    # ---- cloud regions -----------------------------------------------------------------------------------------
    locations: dict[str, str] = {f"aws:{k}": v for k, v in AWS_LOCATIONS.items()} | AZURE_LOCATIONS
    names: dict[str, str] = {}
    with (source / "green-algorithms-cloudProviders_datacenters.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[1]
    for raw in rows[2:]:
        row = dict(zip(header, raw, strict=False))
        provider, name, location = row.get("provider", ""), row.get("Name", "").strip(), row.get("location", "")
        if provider not in ("azure", "gcp") or not name:
            continue
        key = f"azure:{azure_key(name)}" if provider == "azure" else f"gcp:{name}"
        location = LOCATION_FIXES.get(location, location)
        if location:
            locations[key] = location
        names[key] = name
    cloud: dict[str, Record] = {}
    for provider in ("aws", "azure", "gcp"):
        with (source / f"ccf-grid-emissions-factors-{provider}.csv").open(encoding="utf-8", newline="") as fh:
            table = list(csv.reader(fh))
        head = table[0]
        col = head.index("CO2e (metric ton/kWh)")
        for raw in table[1:]:
            if not raw or not raw[0].strip():
                continue
            name = raw[0].strip()
            key = f"{provider}:{azure_key(name)}" if provider == "azure" else f"{provider}:{name}"
            upstream = raw[col + 1].strip() if len(raw) > col + 1 else ""
            g = _g_per_kwh_from_t(raw[col]) if len(raw) > col else None
            if g is None:
                notes.append(f"CCF {provider} {name!r}: value {raw[col]!r} is not a valid t/kWh decimal; not used")
                cloud.setdefault(key, {"name": name})
                continue
            cloud[key] = {
                "name": name,
                "g_co2e_per_kwh": g,
                "renewable_percentage": None,
                "year": None,
                "source": "ccf",
                "source_detail": f"Cloud Carbon Footprint grid factor for {provider} {name}, year not stated by the "
                f"source (Apache-2.0; upstream: {upstream or 'unstated'})",
            }
    for key, name in names.items():
        cloud.setdefault(key, {"name": name})
    for region in AWS_LOCATIONS:
        if f"aws:{region}" not in cloud:
            cloud[f"aws:{region}"] = {"name": region}
            notes.append(f"cloud region aws:{region}: no Cloud Carbon Footprint factor; falls back to its location")
    for key, entry in cloud.items():
        location = locations.get(key)
        entry["location"] = location
        entry["country"] = location.split("-")[0] if location else None
        entry["provider"] = key.split(":", 1)[0]
        if location is None:
            notes.append(f"cloud region {key}: location unknown")

    dataset: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "generated_by": "scripts/build_emission_factors.py",
        "units": "g CO2e per kWh (location-based)",
        "sources": SOURCES,
        "world": world,
        "countries": dict(sorted(countries.items())),
        "zones": dict(sorted(zones.items())),
        "egrid_subregions": egrid,
        "egrid_us": egrid_us,
        "us_states": dict(sorted(us_states.items())),
        "ca_provinces": dict(sorted(ca_provinces.items())),
        "cloud_regions": dict(sorted(cloud.items())),
        "iso3_to_iso2": dict(sorted(iso3_to_iso2.items())),
        "notes": sorted(notes),
    }
    return dataset, sorted(notes)


def notice(dataset: dict[str, Any]) -> str:
    lines = [
        "# Emission-factor data: sources, licences, attribution",
        "",
        "`emission_factors.json` (next to this file) is built by `scripts/build_emission_factors.py` from the",
        "public files listed below. Every value in it carries its `source` and a `source_detail` naming the",
        "dataset, year and licence; EcoTrace shows that text with each factor it serves. Generated file: edit",
        "the script, not this file.",
        "",
        "## Licences",
        "",
        "The EcoTrace code is MIT. The data values keep their own licences, value by value:",
        "",
        "- Values with source `ember` are adapted from Ember's data (as republished by The Green Web Foundation's",
        "  co2.js) and are licensed **CC BY-SA 4.0** (share-alike: redistributions of these values, changed or",
        "  not, must keep this attribution and licence).",
        "- Values with source `electricity_maps_yearly` are extracted from Electricity Maps' yearly data and are",
        "  made available under the **Open Database License (ODbL) 1.0** (share-alike: a database derived from",
        "  them must be offered under ODbL, with attribution to Electricity Maps).",
        "- Other sources: see the table. Nothing here is legal advice.",
        "",
        "| source id | data | licence | attribution | via |",
        "|---|---|---|---|---|",
    ]
    for key, src in dataset["sources"].items():
        licence = f"[{src['licence']}]({src['licence_url']})"
        lines.append(f"| `{key}` | {src['title']} | {licence} | {src['attribution']} | {src['via']} |")
    lines += [
        "",
        "## Changes made",
        "",
        "- Values are copied as published; only the file format changed (one JSON file, keyed by ISO 3166",
        "  alpha-2 code, Electricity Maps zone, eGRID subregion or cloud region).",
        "- Cloud Carbon Footprint factors are converted from metric tonnes to grams per kWh (x 1,000,000); eGRID",
        "  rates are kg/MWh, equal to g/kWh, rounded to 4 decimals.",
        "- A country's renewable share is computed from Our World in Data: renewables TWh / total TWh x 100.",
        "- Electricity Maps yearly zones: the 2025 value where present, else 2024.",
        "- Rows that could not be read are left out (listed under Build notes), never guessed.",
        "",
        "Live values fetched at run time from the Electricity Maps API are not part of this dataset; they are",
        "Electricity Maps' data, used under the API's terms and attributed in each answer.",
        "",
        "## US state -> eGRID subregion and Electricity Maps zone (EcoTrace's mapping)",
        "",
        "Basis: EPA's eGRID2022 subregion representational map and Electricity Maps' US zone map, read by hand;",
        "each state gets the subregion / balancing authority that serves most of its population. States marked",
        "*split* are served by several subregions and the value is an approximation.",
        "",
        "| state | name | eGRID subregion | Electricity Maps zone | note |",
        "|---|---|---|---|---|",
    ]
    for code, st in dataset["us_states"].items():
        lines.append(f"| {code} | {st['name']} | {st['egrid']} | {st['zone']} | {'split' if st['split'] else ''} |")
    lines += [
        "",
        "## Cloud region locations",
        "",
        "Azure and GCP: Green Algorithms' data-centre list (CC BY 4.0); Azure regions it lacks: CCF's Location",
        "column. AWS: the region names in AWS's documentation (EcoTrace's mapping). The location picks the live",
        "Electricity Maps zone and the fallback when a region has no usable Cloud Carbon Footprint factor.",
        "",
        "## Build notes",
        "",
    ]
    lines += [f"- {n}" for n in dataset["notes"]] or ["- none"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(f"source folder not found: {args.source}", file=sys.stderr)
        return 2
    dataset, notes = build(args.source)
    args.out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(dataset, indent=1, sort_keys=False, ensure_ascii=False) + "\n"
    (args.out / "emission_factors.json").write_text(text, encoding="utf-8")
    (args.out / "DATA_SOURCES.md").write_text(notice(dataset), encoding="utf-8")
    print(
        f"wrote {args.out / 'emission_factors.json'}: {len(dataset['countries'])} countries, "
        f"{len(dataset['zones'])} zones, {len(dataset['egrid_subregions'])} eGRID subregions, "
        f"{len(dataset['cloud_regions'])} cloud regions; {len(notes)} notes"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
