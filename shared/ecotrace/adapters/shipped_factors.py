"""The shipped emission-factor dataset (``ecotrace/data/emission_factors.json``), loaded once per process.

Built by ``scripts/build_emission_factors.py``; licences and attribution in ``data/DATA_SOURCES.md``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ..domain.regions import RegionCatalogue, name_key

DATA_PACKAGE = "ecotrace.data"
DATA_FILE = "emission_factors.json"


@dataclass(frozen=True)
class ShippedFactor:
    g_co2e_per_kwh: float
    renewable_percentage: float | None
    year: int | None
    source: str  # ember | owid | electricity_maps_yearly | egrid | ccf
    source_detail: str
    name: str = ""


@dataclass(frozen=True)
class StateInfo:
    name: str
    egrid: str
    zone: str
    split: bool  # served by several subregions: the mapping is an approximation


@dataclass(frozen=True)
class CloudRegionInfo:
    key: str
    name: str
    provider: str
    location: str | None  # "US-VA", "IE", "AU-NSW" ...
    country: str | None
    factor: ShippedFactor | None  # None when the source row was unusable


def _factor(row: Mapping[str, Any] | None, name: str = "") -> ShippedFactor | None:
    if row is None or row.get("g_co2e_per_kwh") is None:
        return None
    renewable = row.get("renewable_percentage")
    year = row.get("year")
    return ShippedFactor(
        g_co2e_per_kwh=float(row["g_co2e_per_kwh"]),
        renewable_percentage=None if renewable is None else float(renewable),
        year=None if year is None else int(year),
        source=str(row["source"]),
        source_detail=str(row.get("source_detail", "")),
        name=str(row.get("name", name)),
    )


class ShippedFactors:
    """Read-only lookups over the dataset. Construct from a dict (tests) or :meth:`load` (the packaged file)."""

    _loaded: ShippedFactors | None = None
    _lock = threading.Lock()

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data
        self._countries: Mapping[str, Any] = data["countries"]
        self._zones: Mapping[str, Any] = data["zones"]
        self._egrid: Mapping[str, Any] = data["egrid_subregions"]
        self._states: Mapping[str, Any] = data["us_states"]
        self._provinces: Mapping[str, Any] = data["ca_provinces"]
        self._cloud: Mapping[str, Any] = data["cloud_regions"]
        world = _factor(data["world"], "World")
        if world is None:
            raise ValueError("shipped dataset has no world average")
        self._world = world
        self.catalogue = RegionCatalogue(
            countries=frozenset(self._countries),
            alpha3=dict(data["iso3_to_iso2"]),
            zones=frozenset(z.upper() for z in self._zones),
            egrid_subregions=frozenset(self._egrid),
            us_states=frozenset(self._states),
            ca_provinces=frozenset(self._provinces),
            cloud_regions=frozenset(self._cloud),
            subdivision_names={
                **{name_key("US", row["name"]): code for code, row in self._states.items()},
                **{name_key("CA", row["name"]): code for code, row in self._provinces.items()},
            },
        )

    @classmethod
    def load(cls) -> ShippedFactors:
        """The packaged dataset, parsed on first use and shared by every caller in the process."""
        if cls._loaded is None:
            with cls._lock:
                if cls._loaded is None:
                    text = resources.files(DATA_PACKAGE).joinpath(DATA_FILE).read_text(encoding="utf-8")
                    cls._loaded = cls(json.loads(text))
        return cls._loaded

    @property
    def sources(self) -> Mapping[str, Any]:
        return dict(self._data.get("sources", {}))

    def world(self) -> ShippedFactor:
        return self._world

    def country(self, code: str) -> ShippedFactor | None:
        return _factor(self._countries.get(code))

    def zone(self, code: str) -> ShippedFactor | None:
        return _factor(self._zones.get(code))

    def egrid(self, subregion: str) -> ShippedFactor | None:
        return _factor(self._egrid.get(subregion), subregion)

    def us_state(self, code: str) -> StateInfo | None:
        row = self._states.get(code)
        if row is None:
            return None
        return StateInfo(name=row["name"], egrid=row["egrid"], zone=row["zone"], split=bool(row["split"]))

    def ca_province_zone(self, code: str) -> str | None:
        row = self._provinces.get(code)
        return None if row is None else row.get("zone")

    def cloud_region(self, key: str) -> CloudRegionInfo | None:
        row = self._cloud.get(key)
        if row is None:
            return None
        return CloudRegionInfo(
            key=key,
            name=str(row.get("name", key)),
            provider=str(row.get("provider", key.split(":", 1)[0])),
            location=row.get("location"),
            country=row.get("country"),
            factor=_factor(row if "source" in row else None),
        )
