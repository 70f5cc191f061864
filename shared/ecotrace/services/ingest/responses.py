"""What the webhook answers GitHub (and whoever replays a delivery): status code and JSON body per outcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...domain.github import DeliveryHeaders, Extraction, Outcome
from ...domain.models import Activity
from ...tables.deliveries import DeliveryRecord
from .plan import IngestPlan

MAX_LISTED = 100  # activities listed in a response (a push may carry up to 2,048 commits)


@dataclass(frozen=True)
class IngestResult:
    status: int
    body: dict[str, Any]


def uncounted(head: DeliveryHeaders, extraction: Extraction, *, recorded: bool) -> IngestResult:
    """A ping (200 pong) or an event EcoTrace does not count (202, with the reason)."""
    body: dict[str, Any] = {"ok": True, "delivery_id": head.delivery_id, "event": head.event, "recorded": recorded}
    if extraction.outcome is Outcome.PING:
        body.update(status="pong", hook_id=extraction.hook_id, zen=extraction.extra.get("zen"))
        return IngestResult(200, body)
    body.update(status="ignored", action=extraction.action, reason=extraction.reason)
    return IngestResult(202, body)


def duplicate(head: DeliveryHeaders, extraction: Extraction, record: DeliveryRecord | None) -> IngestResult:
    return IngestResult(
        200,
        {
            "ok": True,
            "status": "duplicate",
            "delivery_id": head.delivery_id,
            "event": head.event,
            "action": extraction.action,
            "activity_count": record.activity_count if record else 0,
            "message": "this delivery was already processed; nothing was counted again",
        },
    )


def in_progress(head: DeliveryHeaders) -> IngestResult:
    return IngestResult(
        202,
        {
            "ok": True,
            "status": "in_progress",
            "delivery_id": head.delivery_id,
            "event": head.event,
            "message": "the same delivery is being processed by another attempt",
        },
    )


def _listed(activity: Activity) -> dict[str, Any]:
    return {
        "id": activity.id,
        "type": activity.type.value,
        "external_id": activity.external_id,
        "user_id": activity.user_id,
        "counted": activity.counted,
        "lines_added": activity.lines_added,
        "lines_deleted": activity.lines_deleted,
        "lines_estimated": activity.lines_estimated,
        "duration_s": activity.duration_s,
        "carbon_kg": activity.carbon_kg,
    }


def processed(head: DeliveryHeaders, extraction: Extraction, ingest_plan: IngestPlan) -> IngestResult:
    created = ingest_plan.created
    return IngestResult(
        200,
        {
            "ok": True,
            "status": "processed",
            "delivery_id": head.delivery_id,
            "event": head.event,
            "action": extraction.action,
            "created": len(created),
            "already_recorded": len(ingest_plan.already_recorded),
            "updated": len(ingest_plan.updated),
            "activities": [_listed(a) for a in created[:MAX_LISTED]],
            "activities_listed": min(len(created), MAX_LISTED),
        },
    )
