"""What a signed-in user may ask the carbon calculator: ``calculate``, ``recalculate`` and ``estimate``, each a
strict model (unknown fields refused), parsed by :func:`parse_request`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..domain.carbon import CarbonResult
from ..domain.models import Activity, ActivityType
from ..domain.validation import validated
from ..errors import ValidationError
from ..ports import ROW_ID
from .sci import SciRequest


class CalculateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["calculate"]
    activity_id: str = Field(pattern=ROW_ID.pattern)


class RecalculateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["recalculate"]
    cursor: str | None = Field(default=None, pattern=ROW_ID.pattern)


class DescribedActivity(BaseModel):
    """A what-if activity: only the facts the method uses."""

    model_config = ConfigDict(extra="forbid")
    type: ActivityType
    duration_s: float | None = Field(default=None, ge=0, le=30 * 86400, allow_inf_nan=False)
    runner_labels: list[str] = Field(default_factory=list, max_length=20)
    runner_group: str | None = Field(default=None, max_length=100)
    runner_name: str | None = Field(default=None, max_length=255)
    region: str | None = Field(default=None, max_length=64)
    repo_private: bool | None = None
    files_changed: int | None = Field(default=None, ge=0, le=10**7)
    lines_added: int | None = Field(default=None, ge=0, le=10**9)
    lines_deleted: int | None = Field(default=None, ge=0, le=10**9)
    lines_estimated: bool = False
    artifact_bytes: float | None = Field(default=None, ge=0, le=1e13, allow_inf_nan=False)

    def to_activity(self, now: datetime) -> Activity:
        details: dict[str, Any] = {}
        if self.repo_private is not None:
            details["repo_private"] = self.repo_private
        if self.artifact_bytes is not None:
            details["artifact_bytes"] = self.artifact_bytes
        if self.runner_group is not None:
            details["runner_group"] = self.runner_group
        return Activity(
            id="estimate",
            user_id="estimate",
            github_login="estimate",
            type=self.type,
            repo_id="",
            repo_full_name="",
            external_id="estimate",
            source_event="estimate",
            timestamp=now,
            duration_s=self.duration_s,
            runner_labels=[label[:100] for label in self.runner_labels],
            runner_name=self.runner_name,
            region=self.region,
            files_changed=self.files_changed,
            lines_added=self.lines_added,
            lines_deleted=self.lines_deleted,
            lines_estimated=self.lines_estimated,
            details=details,
        )


class EstimateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["estimate"]
    activity: DescribedActivity


Request = CalculateRequest | RecalculateRequest | EstimateRequest | SciRequest

_ACTIONS: dict[str, type[CalculateRequest] | type[RecalculateRequest] | type[EstimateRequest] | type[SciRequest]] = {
    "calculate": CalculateRequest,
    "recalculate": RecalculateRequest,
    "estimate": EstimateRequest,
    "sci": SciRequest,
}


def parse_request(body: Mapping[str, Any]) -> Request:
    """The user's request, or ValidationError naming the action or the first bad field."""
    action = body.get("action")
    if not isinstance(action, str) or action not in _ACTIONS:
        raise ValidationError(f"action: must be one of {', '.join(sorted(_ACTIONS))}", details={"field": "action"})
    return validated(_ACTIONS[action], body, "body")


def result_json(result: CarbonResult) -> dict[str, Any]:
    return result.model_dump(mode="json")
