"""Resolve a region to a grid carbon intensity through a hierarchy of sources that never fails.

Best first:

1. Electricity Maps, live (needs an API key): the latest hourly value for the region's zone or point;
2. cloud-region factors (Cloud Carbon Footprint, shipped) for ``aws:`` / ``azure:`` / ``gcp:`` regions;
3. US EPA eGRID subregions (shipped); US states use their dominant subregion (mapping in DATA_SOURCES.md);
4. annual averages (shipped): Electricity Maps yearly for sub-national zones, Ember / OWID for countries;
5. the world average, low confidence.

Live values go through an in-memory TTL cache (6 h) in front of the ``emission_factors`` table, which all
function instances share. When the live source is down (errors, open circuit), the last live value for the
zone, even expired, beats a lower tier and is marked stale. Every answer names its source, says whether it
was cached or stale, and gives a confidence with the reason.

Modules: ``resolver`` (the hierarchy and the caches), ``live_source`` (Electricity Maps through a breaker and
retries), ``factor_table`` (the shared table), ``shipped_tiers`` (the offline tiers), ``sources`` (source names).
Import from this package: the names below are its public API.
"""

from __future__ import annotations

from .factor_table import STORE_SOURCE, TABLE
from .live_source import LIVE_SOURCE, ZONE_REFUSALS
from .resolver import (
    BATCH_LIVE_BUDGET_S,
    CACHE_TTL_S,
    MAX_STALE_S,
    MEMORY_ENTRIES,
    REFRESH_BUDGET_S,
    EmissionFactorResolver,
    RefreshReport,
)
from .shipped_tiers import OLD_DATA_YEARS
from .sources import FactorSource

__all__ = [
    "BATCH_LIVE_BUDGET_S",
    "CACHE_TTL_S",
    "LIVE_SOURCE",
    "MAX_STALE_S",
    "MEMORY_ENTRIES",
    "OLD_DATA_YEARS",
    "REFRESH_BUDGET_S",
    "STORE_SOURCE",
    "TABLE",
    "ZONE_REFUSALS",
    "EmissionFactorResolver",
    "FactorSource",
    "RefreshReport",
]
