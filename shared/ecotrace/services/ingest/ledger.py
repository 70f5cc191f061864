"""The delivery ledger: each counted GitHub delivery is processed exactly once, whatever GitHub retries.

Modelled on AWS Powertools' idempotency utility, which keeps the persistence record (``DataRecord``: status and
expiry) apart from the handler that orchestrates: here the record is ``tables.deliveries.DeliveryRecord`` and
the orchestration is ``WebhookIngest``. The ledger holds the rules over the store:

- :meth:`DeliveryLedger.claim`: an atomic create of the delivery's row (id from hook id + delivery GUID, the
  raw body kept). If the row exists, a processed or ignored delivery is a duplicate; one still ``received``
  is in progress unless its lease expired (derived from ``$updatedAt``: the attempt is taken as crashed and
  this one takes over, counting an attempt); a failed one is taken over.
- :meth:`DeliveryLedger.completion`: the write that marks it processed, staged in the delivery's own
  transaction, so the rows and the status commit together.
- :meth:`DeliveryLedger.fail`: marks it failed (best effort); the kept body makes it replayable, unless the failure
  is permanent (the store refused data derived from the body: a replay would fail the same way).
- :meth:`DeliveryLedger.record_ignored`: one best-effort ``ignored`` row for pings and uncounted events.
- :meth:`DeliveryLedger.kept` and :meth:`DeliveryLedger.replay_request`: the deliveries to replay, and each
  one's body and headers as GitHub sent them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from appwrite.query import Query

from ...clock import Clock, utc_now
from ...domain.github import DeliveryHeaders, Extraction
from ...errors import ConflictError, EcoTraceError, StorageError, ValidationError
from ...ports import Row, Store, Update
from ...tables import deliveries
from ...tables.deliveries import DeliveryRecord, DeliveryStatus

log = logging.getLogger(__name__)

LEASE_S = 60.0  # an attempt older than this (function timeout 15 s) is taken as crashed and may be retried
REDELIVER_HINT = (
    "GitHub keeps the delivery: redeliver it from the webhook's Recent Deliveries page or with "
    "POST /repos/{owner}/{repo}/hooks/{hook_id}/deliveries/{delivery_id}/attempts "
    "(scripts/replay_deliveries.py --github does this for failed deliveries)"
)


class ClaimStatus(StrEnum):
    CLAIMED = "claimed"  # this attempt processes the delivery
    DUPLICATE = "duplicate"  # already processed (or ignored): nothing to do
    IN_PROGRESS = "in_progress"  # another attempt holds a live lease


@dataclass(frozen=True)
class Claim:
    status: ClaimStatus
    record: DeliveryRecord | None = None  # the stored record, when the delivery had been seen before


class DeliveryLedger:
    def __init__(self, store: Store, *, clock: Clock = utc_now, lease_s: float = LEASE_S) -> None:
        self.store = store
        self.clock = clock
        self.lease_s = lease_s

    def claim(self, head: DeliveryHeaders, extraction: Extraction, body: bytes) -> Claim:
        """Claim a counted delivery for this attempt. StorageError (with how to get it redelivered) when the
        store cannot say."""
        data = deliveries.received_row(head, extraction, self.clock(), body)
        try:
            self.store.create(deliveries.NAME, head.row_id, data)
            return Claim(ClaimStatus.CLAIMED)
        except ConflictError:
            pass
        except StorageError as exc:
            raise StorageError(f"cannot record the delivery ({exc.message}); {REDELIVER_HINT}") from exc
        try:
            row = self.store.get(deliveries.NAME, head.row_id)
            if row is None:  # deleted in between: claim again
                self.store.create(deliveries.NAME, head.row_id, data)
                return Claim(ClaimStatus.CLAIMED)
            record = DeliveryRecord.from_row(row)
            if record.finished:
                return Claim(ClaimStatus.DUPLICATE, record)
            if record.status is DeliveryStatus.RECEIVED and not record.lease_expired(self.clock(), self.lease_s):
                return Claim(ClaimStatus.IN_PROGRESS, record)
            self.store.update(deliveries.NAME, head.row_id, deliveries.retry_changes(record))
            return Claim(ClaimStatus.CLAIMED, record)
        except ConflictError as exc:
            raise StorageError(f"delivery {head.delivery_id} is contended; {REDELIVER_HINT}") from exc
        except StorageError as exc:
            raise StorageError(f"cannot record the delivery ({exc.message}); {REDELIVER_HINT}") from exc

    def completion(self, head: DeliveryHeaders, activity_count: int) -> Update:
        """The write that marks the delivery processed (stage it in the delivery's transaction)."""
        return Update(deliveries.NAME, head.row_id, deliveries.processed_changes(self.clock(), activity_count))

    def fail(self, head: DeliveryHeaders, message: str, *, permanent: bool = False) -> None:
        try:
            self.store.update(deliveries.NAME, head.row_id, deliveries.failed_changes(message, permanent=permanent))
        except EcoTraceError as exc:  # the lease then lets a replay pick it up
            log.error("could not mark delivery %s failed: %s", head.delivery_id, exc.message)

    def keep_refused(self, head: DeliveryHeaders, extraction: Extraction, body: bytes, reason: str) -> str:
        """Keep a counted delivery refused before processing (rate limit) as ``failed``, body and signature
        included, so a replay counts it. Returns ``kept`` (now, or already by an earlier attempt), ``counted`` (a
        redelivery of a processed delivery: nothing to keep) or ``not_kept`` (the store failed: GitHub still has
        it for a manual redelivery)."""
        data = {**deliveries.received_row(head, extraction, self.clock(), body), **deliveries.failed_changes(reason)}
        data["attempts"] = 0
        try:
            self.store.create(deliveries.NAME, head.row_id, data)
            return "kept"
        except ConflictError:
            try:
                row = self.store.get(deliveries.NAME, head.row_id)
            except EcoTraceError:
                row = None
            return "counted" if row is not None and DeliveryRecord.from_row(row).finished else "kept"
        except EcoTraceError as exc:
            log.error("could not keep refused delivery %s: %s", head.delivery_id, exc.message)
            return "not_kept"

    def record_ignored(self, head: DeliveryHeaders, extraction: Extraction) -> bool:
        """Record a ping or an uncounted event; False when the store could not (nothing is lost: nothing counts)."""
        try:
            self.store.create(deliveries.NAME, head.row_id, deliveries.ignored_row(head, extraction, self.clock()))
        except ConflictError:
            pass  # a redelivery: already recorded
        except (StorageError, ValidationError) as exc:
            log.warning("could not record ignored delivery %s: %s", head.delivery_id, exc.message)
            return False
        return True

    def kept(self, limit: int) -> list[Row]:
        """Failed or unfinished deliveries worth replaying that still hold their body (retention purges it after
        ECOTRACE_FAILED_DELIVERY_RETENTION_DAYS), oldest first (index idx_status_time), at most ``limit``;
        permanent failures are left out."""
        statuses = [DeliveryStatus.FAILED.value, DeliveryStatus.RECEIVED.value]
        queries = [Query.equal("status", statuses), Query.is_not_null("body"), Query.order_asc("received_at")]
        out: list[Row] = []
        for row in self.store.iterate(deliveries.NAME, queries, page_size=min(limit, 100)):
            if DeliveryRecord.from_row(row).permanent:
                continue
            out.append(row)
            if len(out) >= limit:
                break
        return out

    @staticmethod
    def replay_request(row: Row) -> tuple[bytes, dict[str, str]]:
        """A kept delivery's body and headers (ValidationError when it kept no body)."""
        return deliveries.replay_request(row)
