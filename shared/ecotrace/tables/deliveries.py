"""The ``webhook_deliveries`` table: one row per GitHub delivery to one hook, id ``DeliveryHeaders.row_id``.

A counted delivery's row keeps the raw body and its ``x-github-*`` headers until it is processed, so a failed
one can be replayed; its ``status`` moves ``received`` -> ``processed`` (or ``failed``). Ignored events and
pings are one ``ignored`` row. :class:`DeliveryRecord` is a row read back: the state the delivery ledger
(``ecotrace.services.ingest.ledger``) decides on. The table also holds the markers of un-counted workflow runs
(see :func:`uncount_marker`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ..clock import parse_iso, to_iso
from ..domain.github import DeliveryHeaders, Extraction
from ..errors import ValidationError
from ..ports import Row
from .text import read_text, stored_row, stored_text

NAME = "webhook_deliveries"
HEADERS_SIZE = 8192  # the headers column's size
ERROR_SIZE = 2048  # the error column's size
# A failure that processing the same body again cannot fix (the store refused data derived from it): the error
# begins with this, and replays leave the delivery alone (see DeliveryRecord.permanent).
PERMANENT = "permanent: "


class DeliveryStatus(StrEnum):
    RECEIVED = "received"  # claimed by an attempt (or left by one that died: see the lease)
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"


@dataclass(frozen=True)
class DeliveryRecord:
    """A delivery's stored state. Its lease is not stored: it is derived from when the row last changed."""

    row_id: str
    status: DeliveryStatus | None  # None: a value this code does not know (treated like failed)
    attempts: int
    updated_at: datetime | None  # ``$updatedAt`` (else ``received_at``); None when missing or unreadable
    error: str | None
    activity_count: int

    @classmethod
    def from_row(cls, row: Row) -> DeliveryRecord:
        try:
            status: DeliveryStatus | None = DeliveryStatus(str(row.get("status")))
        except ValueError:
            status = None
        stamp = row.get("$updatedAt") or row.get("received_at")
        try:
            updated_at = parse_iso(str(stamp)) if stamp else None
        except ValueError:
            updated_at = None
        return cls(
            row_id=str(row.get("$id")),
            status=status,
            attempts=int(row.get("attempts") or 0),
            updated_at=updated_at,
            error=read_text(str(row["error"])) if row.get("error") else None,
            activity_count=int(row.get("activity_count") or 0),
        )

    @property
    def permanent(self) -> bool:
        """Failed for good: the body itself cannot be processed (see :func:`failed_changes`)."""
        return self.status is DeliveryStatus.FAILED and (self.error or "").startswith(PERMANENT)

    @property
    def finished(self) -> bool:
        return self.status in (DeliveryStatus.PROCESSED, DeliveryStatus.IGNORED)

    def lease_expired(self, now: datetime, lease_s: float) -> bool:
        """Whether the attempt that last touched the row is older than ``lease_s`` (taken as crashed)."""
        if self.updated_at is None:
            return True
        return (now - self.updated_at).total_seconds() > lease_s


def headers_json(github: Mapping[str, str]) -> str:
    """The x-github-* headers as JSON that fits the column: whole headers are left out, never cut mid-JSON."""
    kept: dict[str, str] = {}
    for name, value in github.items():
        trial = json.dumps({**kept, name: value}, sort_keys=True)
        if len(trial) > HEADERS_SIZE:
            continue
        kept[name] = value
    return json.dumps(kept, sort_keys=True)


def _row(head: DeliveryHeaders, extraction: Extraction, status: DeliveryStatus, received_at: datetime) -> Row:
    return {
        "delivery_id": head.delivery_id,
        "hook_id": head.hook_id,
        "event": head.event,
        "action": (extraction.action or "")[:64] or None,
        "status": status.value,
        "attempts": 1,
        "received_at": to_iso(received_at),
        "content_type": head.content_type[:128],
        "signature": (head.signature or "")[:128] or None,
        "headers": headers_json(head.github),
        "sender_login": extraction.actor.login if extraction.actor else None,
        "repo_full_name": extraction.repo_full_name,
    }


def received_row(head: DeliveryHeaders, extraction: Extraction, received_at: datetime, body: bytes) -> Row:
    """A counted delivery as it is claimed: status ``received``, with the body kept for a replay."""
    data = _row(head, extraction, DeliveryStatus.RECEIVED, received_at)
    data.update(body=body.decode("utf-8"), body_sha256=hashlib.sha256(body).hexdigest())
    return data


def ignored_row(head: DeliveryHeaders, extraction: Extraction, received_at: datetime) -> Row:
    """An ignored event or a ping: recorded as done, with why it is not counted."""
    data = _row(head, extraction, DeliveryStatus.IGNORED, received_at)
    data.update(processed_at=data["received_at"], activity_count=0, error=extraction.reason[:ERROR_SIZE] or None)
    return data


def retry_changes(record: DeliveryRecord) -> Row:
    """Another attempt takes the delivery over."""
    return {"status": DeliveryStatus.RECEIVED.value, "attempts": record.attempts + 1, "error": None}


def processed_changes(processed_at: datetime, activity_count: int) -> Row:
    return {
        "status": DeliveryStatus.PROCESSED.value,
        "processed_at": to_iso(processed_at),
        "activity_count": activity_count,
        "error": None,
    }


def failed_changes(message: str, *, permanent: bool = False) -> Row:
    """Mark the delivery failed; ``permanent``: processing the same body again would fail the same way."""
    text = (PERMANENT + message) if permanent else message
    return {"status": DeliveryStatus.FAILED.value, "error": stored_text(text[:ERROR_SIZE], ERROR_SIZE)}


def uncount_marker(run_row_id: str, head: DeliveryHeaders, now: datetime) -> tuple[str, Row]:
    """A row whose id only the first un-counting of a run can create.

    Two job deliveries that both read the run as counted would both take its share off the totals; Appwrite
    flags an update conflict only when the other commit landed after this one was staged, but a duplicate id
    always fails the commit. So the un-counting creates this row, and the second delivery's transaction fails,
    re-reads (the run is now uncounted) and leaves the totals alone.
    """
    return "u_" + run_row_id.split("_", 1)[-1], stored_row(
        {
            "delivery_id": f"uncount:{run_row_id}",
            "hook_id": head.hook_id,
            "event": "workflow_job",
            "action": "uncount_run",
            "status": DeliveryStatus.PROCESSED.value,
            "received_at": to_iso(now),
            "processed_at": to_iso(now),
            "error": f"marker: run {run_row_id} un-counted by delivery {head.delivery_id}",
            "activity_count": 0,
        }
    )


ERASED_HEADER = "x-ecotrace-erased"  # in ``headers`` of a row whose body an erasure changed (with the time)


def erased(row: Row) -> bool:
    """Whether an erasure changed the row's body since the signature was checked on receipt."""
    try:
        return ERASED_HEADER in json.loads(row.get("headers") or "{}")
    except (json.JSONDecodeError, TypeError):
        return False


def erased_changes(row: Row, body: str, when: datetime, *, sender_erased: bool) -> Row:
    """A kept body with a person's data taken out: GitHub's signature no longer matches it, so the signature is
    dropped and the row marked (a replay trusts what was verified on receipt)."""
    try:
        headers = {str(k): str(v) for k, v in json.loads(row.get("headers") or "{}").items()}
    except (json.JSONDecodeError, AttributeError):
        headers = {}
    headers[ERASED_HEADER] = to_iso(when)
    changes: Row = {
        "body": body,
        "body_sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
        "content_type": "application/json",
        "signature": None,
        "headers": headers_json(headers),
    }
    if sender_erased:
        changes["sender_login"] = None
    return changes


def replay_request(row: Row) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a kept delivery, as GitHub sent them (ValidationError: no body was kept)."""
    body = row.get("body")
    if not isinstance(body, str):
        raise ValidationError(f"delivery {row.get('$id')} kept no body: ask GitHub to redeliver it")
    try:
        headers = {str(k): str(v) for k, v in json.loads(row.get("headers") or "{}").items()}
    except (json.JSONDecodeError, AttributeError):
        headers = {}  # the columns below still say what the delivery was
    for name, column in (
        ("x-github-event", "event"),
        ("x-github-delivery", "delivery_id"),
        ("x-github-hook-id", "hook_id"),
    ):
        if row.get(column):
            headers[name] = str(row[column])
    headers["content-type"] = str(row.get("content_type") or "application/json")
    if row.get("signature"):
        headers["x-hub-signature-256"] = str(row["signature"])
    return body.encode("utf-8"), headers
