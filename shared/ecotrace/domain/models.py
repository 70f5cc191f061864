"""Shared domain types. Pure: no I/O. Field names follow the `activities` table (schema/tables.json)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ActivityType(StrEnum):
    COMMIT = "commit"
    PR = "pr"
    CI_RUN = "ci_run"
    DEPLOYMENT = "deployment"


class Confidence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return {"high": 3, "medium": 2, "low": 1}[self.value]

    @classmethod
    def lowest(cls, *levels: Confidence) -> Confidence:
        return min(levels, key=lambda c: c.rank) if levels else cls.HIGH


class Activity(BaseModel):
    """A development action that used energy: one row of the `activities` table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=36)
    user_id: str = Field(min_length=1, max_length=64)
    github_login: str = Field(min_length=1, max_length=100)
    is_bot: bool = False
    type: ActivityType
    repo_id: str = Field(max_length=32)
    repo_full_name: str = Field(max_length=255)
    ref: str | None = Field(default=None, max_length=255)
    external_id: str = Field(min_length=1, max_length=128)
    source_event: str = Field(max_length=32)
    delivery_id: str | None = Field(default=None, max_length=64)
    timestamp: datetime
    title: str | None = Field(default=None, max_length=512)
    url: str | None = Field(default=None, max_length=2048)
    files_changed: int | None = Field(default=None, ge=0)
    lines_added: int | None = Field(default=None, ge=0)
    lines_deleted: int | None = Field(default=None, ge=0)
    lines_estimated: bool = False
    duration_s: float | None = Field(default=None, ge=0)
    runner_labels: list[str] = Field(default_factory=list)
    runner_name: str | None = Field(default=None, max_length=255)
    region: str | None = Field(default=None, max_length=64)
    counted: bool = True
    details: dict[str, Any] = Field(default_factory=dict)
    # Filled in by the carbon calculation.
    carbon_kg: float | None = Field(default=None, ge=0)
    carbon_kg_low: float | None = Field(default=None, ge=0)
    carbon_kg_high: float | None = Field(default=None, ge=0)
    energy_kwh: float | None = Field(default=None, ge=0)
    calculation_confidence: Confidence | None = None
    methodology_version: str | None = None
    calculation_id: str | None = None
    calculated_at: datetime | None = None


class EmissionFactor(BaseModel):
    """A grid carbon intensity resolved for a region, with where it came from and how much to trust it."""

    model_config = ConfigDict(frozen=True)

    region: str  # normalised region key that was asked for, e.g. "DE", "US-CA", "azure:eastus"
    zone: str  # the zone/area the value actually describes, e.g. "US-CAL-CISO", "CAMX", "WORLD"
    g_co2e_per_kwh: float = Field(ge=0)
    renewable_percentage: float | None = Field(default=None, ge=0, le=100)
    source: str  # e.g. "electricity_maps", "cloud_region", "egrid", "country_annual", "world_average"
    source_detail: str = ""  # dataset, year, licence/attribution
    year: int | None = None
    fetched_at: datetime
    confidence: Confidence
    confidence_reason: str = ""
    cached: bool = False
    stale: bool = False

    @property
    def kg_co2e_per_kwh(self) -> float:
        return self.g_co2e_per_kwh / 1000.0
