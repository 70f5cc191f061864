"""Use case: SCI per functional unit for a repository and period (``{"action": "sci", ...}`` on the
carbon-calculator function), from stored results only, over the signed-in user's own activities.

Reads are bounded: the caller's ``users`` rows (index ``idx_account_id``), then the activities of one repository,
of those users, in the period (index ``idx_repo_user_time``), by cursor pages, at most ``MAX_ROWS``; a larger set
is answered from the first ``MAX_ROWS`` rows with ``truncated: true``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from appwrite.query import Query
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ..clock import to_iso
from ..domain.carbon import default_methodology
from ..domain.carbon.sci import StoredWork, sci_per_unit
from ..errors import ValidationError
from ..ports import Row, Store
from ..tables import activities

ACTIVITIES = "activities"
USERS = "users"
MAX_ROWS = 5000
PAGE_SIZE = 100
MAX_PERIOD_DAYS = 366


class SciRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    action: Literal["sci"]
    repo: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")

    # Field validators, so that a refusal names the field (``from`` or ``to``) in the 400 answer.
    @field_validator("start")
    @classmethod
    def _start_zoned(cls, start: datetime) -> datetime:
        return _zoned(start)

    @field_validator("end")
    @classmethod
    def _period(cls, end: datetime, info: ValidationInfo) -> datetime:
        end = _zoned(end)
        start = info.data.get("start")
        if start is None:  # ``from`` was refused: its own error names it
            return end
        if not start < end:
            raise ValueError("must be after from")
        if (end - start).days > MAX_PERIOD_DAYS:
            raise ValueError(f"the period from `from` is at most {MAX_PERIOD_DAYS} days")
        return end


def _zoned(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("needs a time zone (e.g. 2026-11-01T00:00:00Z)")
    return value


def _work(row: Row) -> StoredWork | None:
    """A stored activity with its carbon (read by the table's own codec), or None when it has none yet."""
    activity = activities.from_row(row)
    if activity.carbon_kg is None:
        return None
    central = activity.carbon_kg
    return StoredWork(
        id=activity.id,
        type=activity.type.value,
        external_id=activity.external_id,
        ref=activity.ref,
        timestamp=activity.timestamp,
        counted=activity.counted,
        duration_s=activity.duration_s,
        details=activity.details,
        carbon_kg=central,
        carbon_kg_low=activity.carbon_kg_low if activity.carbon_kg_low is not None else central,
        carbon_kg_high=activity.carbon_kg_high if activity.carbon_kg_high is not None else central,
    )


def sci_report(store: Store, account_id: str, request: SciRequest) -> dict[str, Any]:
    """The SCI report of ``request.repo`` over [from, to) for the caller's own activities."""
    user_ids = [str(u["$id"]) for u in store.find(USERS, [Query.equal("account_id", account_id), Query.limit(10)])]
    period = {"from": to_iso(request.start), "to": to_iso(request.end)}
    rows: list[StoredWork] = []
    read = uncalculated = 0
    versions: set[str] = set()
    truncated = False
    if user_ids:
        queries = [
            Query.equal("repo_full_name", request.repo),
            Query.equal("user_id", user_ids),
            Query.greater_than_equal("timestamp", period["from"]),
            Query.less_than("timestamp", period["to"]),
        ]
        for row in store.iterate(ACTIVITIES, queries, page_size=PAGE_SIZE):
            if read >= MAX_ROWS:
                truncated = True
                break
            read += 1
            try:
                work = _work(row)
            except ValidationError:  # a malformed row: counted as unreadable, not fatal
                uncalculated += 1
                continue
            if work is None:
                uncalculated += 1
            else:
                rows.append(work)
                versions.add(str(row.get("methodology_version") or ""))
    return {
        "ok": True,
        "status": "reported",
        "repo": request.repo,
        "period": period,
        "methodology_version": default_methodology().version,
        "methodology_versions_read": sorted(versions),  # older ones until `recalculate` has run
        "rows_read": read,
        "rows_without_carbon": uncalculated,
        "truncated": truncated,
        **sci_per_unit(rows),
    }
