"""What every emission-factor answer names: the source it came from, and its reasons joined into one string."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class FactorSource(StrEnum):
    ELECTRICITY_MAPS = "electricity_maps"
    CLOUD_REGION = "cloud_region"
    EGRID = "egrid"
    ZONE_ANNUAL = "zone_annual"  # Electricity Maps yearly average of a (sub-national) zone
    COUNTRY_ANNUAL = "country_annual"  # Ember / OWID country average
    WORLD_AVERAGE = "world_average"


def join_reasons(parts: Sequence[str]) -> str:
    """The non-empty reasons, in order, cut to the ``confidence_reason`` column's 512 characters."""
    return "; ".join(part for part in parts if part)[:512]
