"""The result of one calculation, and the activity it is applied to. How a result is stored (the activity's
carbon columns, the ``calculations`` audit row) is ``ecotrace.tables``' business."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..models import Activity, ActivityType, Confidence, EmissionFactor

SCI_UNITS: dict[ActivityType, str] = {
    ActivityType.COMMIT: "commit",
    ActivityType.PR: "pull_request",
    ActivityType.CI_RUN: "ci_job",
    ActivityType.DEPLOYMENT: "deployment",
}


class EnergyBreakdown(BaseModel):
    """Central energy by component (kWh at the wall, PUE included) and embodied carbon (kg)."""

    model_config = ConfigDict(frozen=True)

    compute_kwh: float = Field(ge=0)
    memory_kwh: float = Field(ge=0)
    network_kwh: float = Field(ge=0)
    storage_kwh: float = Field(ge=0)
    embodied_kg: float = Field(ge=0)
    pue: float = Field(ge=0)

    @property
    def total_kwh(self) -> float:
        return self.compute_kwh + self.memory_kwh + self.network_kwh + self.storage_kwh


class FactorUsed(BaseModel):
    """The grid intensity the result was computed with."""

    model_config = ConfigDict(frozen=True)

    g_co2e_per_kwh: float
    region: str
    zone: str
    source: str
    source_detail: str
    year: int | None
    fetched_at: datetime
    confidence: Confidence
    confidence_reason: str
    stale: bool

    @classmethod
    def of(cls, factor: EmissionFactor) -> FactorUsed:
        return cls(
            g_co2e_per_kwh=factor.g_co2e_per_kwh,
            region=factor.region,
            zone=factor.zone,
            source=factor.source,
            source_detail=factor.source_detail,
            year=factor.year,
            fetched_at=factor.fetched_at,
            confidence=factor.confidence,
            confidence_reason=factor.confidence_reason,
            stale=factor.stale,
        )


class CarbonResult(BaseModel):
    """One activity's footprint under one methodology version."""

    model_config = ConfigDict(frozen=True)

    activity_id: str
    user_id: str
    activity_type: ActivityType
    methodology_version: str
    calculation_id: str
    calculated_at: datetime
    energy: EnergyBreakdown
    energy_kwh: float = Field(ge=0)
    energy_kwh_low: float = Field(ge=0)
    energy_kwh_high: float = Field(ge=0)
    emission_factor: FactorUsed
    carbon_kg: float = Field(ge=0)
    carbon_kg_low: float = Field(ge=0)
    carbon_kg_high: float = Field(ge=0)
    confidence: Confidence
    confidence_reasons: tuple[str, ...]
    sci_functional_unit: str
    sci_g_per_unit: float = Field(ge=0)
    inputs: dict[str, Any]


def calculation_id(activity_id: str, methodology_version: str) -> str:
    """Deterministic ``calculations`` row id: one row per activity and method version (33 chars)."""
    digest = hashlib.blake2b(f"{activity_id}\n{methodology_version}".encode(), digest_size=16).hexdigest()
    return "c" + digest


def apply_result(activity: Activity, result: CarbonResult) -> Activity:
    """The activity with its carbon fields filled from ``result``."""
    return activity.model_copy(
        update={
            "carbon_kg": result.carbon_kg,
            "carbon_kg_low": result.carbon_kg_low,
            "carbon_kg_high": result.carbon_kg_high,
            "energy_kwh": result.energy_kwh,
            "calculation_confidence": result.confidence,
            "methodology_version": result.methodology_version,
            "calculation_id": result.calculation_id,
            "calculated_at": result.calculated_at,
        }
    )
