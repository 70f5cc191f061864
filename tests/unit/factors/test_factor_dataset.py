"""The shipped dataset: rebuilt from the source files it is byte-identical, and every value is attributed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "shared" / "ecotrace" / "data"
SOURCE = ROOT.parent / "shared" / "data" / "emission-factors"


def shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "emission_factors.json").read_text(encoding="utf-8"))
    return data


@pytest.mark.skipif(not SOURCE.is_dir(), reason="../shared/data/emission-factors not present")
def test_the_build_is_deterministic_and_matches_the_committed_files(tmp_path: Path) -> None:
    for out in (tmp_path / "a", tmp_path / "b"):
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "build_emission_factors.py"),
                "--source",
                str(SOURCE),
                "--out",
                str(out),
            ],
            check=True,
            capture_output=True,
        )
    for name in ("emission_factors.json", "DATA_SOURCES.md"):
        built = (tmp_path / "a" / name).read_bytes()
        assert built == (tmp_path / "b" / name).read_bytes()
        assert built == (DATA / name).read_bytes(), f"{name} is out of date: run `make data`"


def values(data: dict[str, Any]) -> list[dict[str, Any]]:
    found = [data["world"], data["egrid_us"]]
    for section in ("countries", "zones", "egrid_subregions", "cloud_regions"):
        found += [v for v in data[section].values() if "g_co2e_per_kwh" in v]
    return found


def test_every_value_names_its_source_and_licence() -> None:
    data = shipped()
    rows = values(data)
    assert len(rows) > 500
    for row in rows:
        source = data["sources"][row["source"]]
        licence_name = source["licence"].split()[0].lower()  # "cc", "odbl", "public", "apache-2.0"
        assert licence_name in row["source_detail"].lower(), row


def test_share_alike_values_carry_their_licence_and_the_notice_ships_with_the_package() -> None:
    data = shipped()
    for row in values(data):
        if row["source"] == "ember":
            assert "CC BY-SA 4.0" in row["source_detail"]
        if row["source"] == "electricity_maps_yearly":
            assert "ODbL" in row["source_detail"]
    notice = (DATA / "DATA_SOURCES.md").read_text(encoding="utf-8")
    for needed in ("CC BY-SA 4.0", "ODbL 1.0", "Electricity Maps", "Ember", "eGRID"):
        assert needed in notice
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"data/*.md"' in pyproject


def test_unusable_source_rows_are_skipped_not_guessed() -> None:
    data = shipped()
    assert "g_co2e_per_kwh" not in data["cloud_regions"]["azure:germanywestcentral"]
    assert any("Germany West Central" in n for n in data["notes"])


def test_every_us_state_maps_to_a_known_subregion_and_zone() -> None:
    data = shipped()
    assert len(data["us_states"]) == 51  # 50 states and DC
    for state in data["us_states"].values():
        assert state["egrid"] in data["egrid_subregions"]
        assert state["zone"] in data["zones"]


def test_every_value_has_its_year_or_says_the_source_states_none() -> None:
    data = shipped()
    for row in values(data):
        if row["year"] is None:
            assert "year not stated" in row["source_detail"], row
        else:
            assert str(row["year"]) in row["source_detail"], row


def test_the_notice_links_each_licence_and_states_the_changes_made() -> None:
    # CC BY 4.0 / CC BY-SA 4.0 ask for the licence's URI and an indication of changes; ODbL for a notice of it.
    notice = (DATA / "DATA_SOURCES.md").read_text(encoding="utf-8")
    for uri in (
        "https://creativecommons.org/licenses/by-sa/4.0/",
        "https://creativecommons.org/licenses/by/4.0/",
        "https://opendatacommons.org/licenses/odbl/1-0/",
        "https://www.apache.org/licenses/LICENSE-2.0",
    ):
        assert uri in notice
    assert "## Changes made" in notice
    data = shipped()
    for key, source in data["sources"].items():
        assert "licence_url" in source, key
