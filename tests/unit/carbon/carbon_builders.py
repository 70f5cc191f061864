"""Shared builders for the carbon tests: activities and emission factors built directly."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ecotrace.domain.models import Activity, Confidence, EmissionFactor

REPO_ROOT = Path(__file__).resolve().parents[3]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data" / "emission-factors"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

# CCF grid factor for Azure East US (0.000415755 t/kWh, upstream EPA eGRID): the stated golden region.
EASTUS_G_PER_KWH = 415.755


def make_activity(**overrides: Any) -> Activity:
    fields: dict[str, Any] = {
        "id": "act-1",
        "user_id": "gh_1",
        "github_login": "octocat",
        "type": "ci_run",
        "repo_id": "42",
        "repo_full_name": "octo/repo",
        "external_id": "job-1",
        "source_event": "workflow_job",
        "timestamp": NOW,
    }
    fields.update(overrides)
    return Activity(**fields)


def make_factor(
    g_per_kwh: float = EASTUS_G_PER_KWH,
    confidence: Confidence = Confidence.HIGH,
    region: str = "azure:eastus",
    **overrides: Any,
) -> EmissionFactor:
    fields: dict[str, Any] = {
        "region": region,
        "zone": region,
        "g_co2e_per_kwh": g_per_kwh,
        "source": "cloud_region",
        "source_detail": "CCF grid factor for Azure East US (Apache-2.0; upstream EPA)",
        "fetched_at": NOW,
        "confidence": confidence,
    }
    fields.update(overrides)
    return EmissionFactor(**fields)
