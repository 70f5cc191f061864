"""The ``intensity_history`` table: one row per zone and UTC hour (``ecotrace.domain.intensity.IntensityPoint``),
id ``ih_<32 hex>`` from (zone, hour), so a value seen twice (a live fetch, then the history endpoint) is one row,
the later write winning. Server-only: no permissions."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..clock import parse_iso, to_iso
from ..domain.intensity import IntensityPoint, PointSource, hour_start
from ..ports import Row

NAME = "intensity_history"


def row_id(zone: str, hour: datetime) -> str:
    key = f"{zone.upper()}:{to_iso(hour_start(hour))}"
    return "ih_" + hashlib.sha256(key.encode()).hexdigest()[:32]


def to_row(point: IntensityPoint, recorded_at: datetime) -> Row:
    return {
        "$id": row_id(point.zone, point.hour),
        "zone": point.zone[:64],
        "hour": to_iso(hour_start(point.hour)),
        "g_co2e_per_kwh": round(point.g_co2e_per_kwh, 6),
        "source": point.source.value,
        "is_estimated": point.is_estimated,
        "emission_factor_type": (point.emission_factor_type or None) and point.emission_factor_type[:32],
        "recorded_at": to_iso(recorded_at),
    }


def from_row(row: Mapping[str, Any]) -> IntensityPoint | None:
    """The point a row holds; None for a row that cannot be read as one."""
    try:
        return IntensityPoint(
            zone=str(row["zone"]),
            hour=parse_iso(str(row["hour"])),
            g_co2e_per_kwh=float(row["g_co2e_per_kwh"]),
            source=PointSource(str(row["source"])),
            is_estimated=bool(row.get("is_estimated")),
            emission_factor_type=row.get("emission_factor_type") or None,
        )
    except (KeyError, TypeError, ValueError):
        return None
