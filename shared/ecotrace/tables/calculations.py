"""The ``calculations`` table: the audit trail, one row per activity and method version.

The row id is ``CarbonResult.calculation_id`` (from the activity id and the method version), so a recalculation
with the same version replaces the row. The breakdown, the factor, the reasons and the inputs are compact JSON
strings (sorted keys); the row carries the same ``$permissions`` as its activity.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..clock import to_iso
from ..domain.carbon import CarbonResult
from ..ports import Row

NAME = "calculations"
USER_COLUMN = "user_id"  # a per-person table: the person's rows are erased and exported by it


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False, default=str)


def to_row(result: CarbonResult) -> Row:
    """The ``calculations`` row of a result, with its ``$id`` and without ``$permissions`` (see
    :func:`with_permissions`)."""
    factor = result.emission_factor
    breakdown = {
        "compute_kwh": result.energy.compute_kwh,
        "memory_kwh": result.energy.memory_kwh,
        "network_kwh": result.energy.network_kwh,
        "storage_kwh": result.energy.storage_kwh,
        "embodied_kg": result.energy.embodied_kg,
        "pue": result.energy.pue,
        "total_kwh_low": result.energy_kwh_low,
        "total_kwh_high": result.energy_kwh_high,
    }
    factor_json = {
        "value_g_per_kwh": factor.g_co2e_per_kwh,
        "region": factor.region,
        "zone": factor.zone,
        "source": factor.source,
        "source_detail": factor.source_detail,
        "year": factor.year,
        "fetched_at": to_iso(factor.fetched_at),
        "confidence": factor.confidence.value,
        "confidence_reason": factor.confidence_reason,
        "stale": factor.stale,
    }
    return {
        "$id": result.calculation_id,
        "activity_id": result.activity_id,
        "user_id": result.user_id,
        "activity_type": result.activity_type.value,
        "methodology_version": result.methodology_version,
        "carbon_kg": result.carbon_kg,
        "carbon_kg_low": result.carbon_kg_low,
        "carbon_kg_high": result.carbon_kg_high,
        "energy_kwh": result.energy_kwh,
        "energy_breakdown": _json(breakdown),
        "emission_factor": _json(factor_json),
        "grid_intensity_g_per_kwh": factor.g_co2e_per_kwh,
        "emission_factor_source": factor.source[:64],
        "confidence": result.confidence.value,
        "confidence_reasons": _json(list(result.confidence_reasons)),
        "inputs": _json(result.inputs),
        "sci_functional_unit": result.sci_functional_unit,
        "calculated_at": to_iso(result.calculated_at),
    }


def with_permissions(row: Mapping[str, Any], permissions: Iterable[str]) -> Row:
    """A ``calculations`` row (from :func:`to_row`) with the ``$permissions`` of its activity."""
    return {"$permissions": list(permissions), **row}
