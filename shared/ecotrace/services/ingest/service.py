"""``WebhookIngest``: one GitHub delivery in, at most one transaction of rows out (see the package docstring)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from ...clock import Clock, utc_now
from ...domain.github import MAX_BODY_BYTES, DeliveryHeaders, Extraction, Outcome, decode_payload, extract
from ...domain.models import Activity, ActivityType
from ...domain.rate_limit import Scope
from ...domain.signature import WebhookSecrets, verify_any
from ...errors import (
    ConflictError,
    EcoTraceError,
    NotConfiguredError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
    StorageError,
    UnprocessableError,
    ValidationError,
)
from ...ports import Row, Store, Write
from ...tables import activities, deliveries, user_stats, users
from ..carbon import IngestCarbon
from ..rate_limits import RateLimiter
from ..rollups import FOLD_AFTER_S, RollupWriter
from . import responses
from .ci_runs import account_runs
from .ledger import LEASE_S, REDELIVER_HINT, ClaimStatus, DeliveryLedger
from .plan import IngestPlan, StoredRows, apply_plan, new_activities, plan, rollup_entries
from .responses import IngestResult

log = logging.getLogger(__name__)

INSECURE_VARIABLE = "ECOTRACE_INSECURE_ALLOW_UNSIGNED"
INSECURE_WARNING = (
    f"INSECURE: signatures are not checked ({INSECURE_VARIABLE}=1 and no GITHUB_WEBHOOK_SECRET); local use only"
)
CONTENTION_BUDGET_S = 0.5  # of the function's 15 s: retrying the counted rows; then they are deferred
DEFERRED_ATTEMPTS = 4  # commits without the contended rows (only a duplicate delivery's rows can conflict)


_REFUSED = {  # what became of a delivery refused by the hook's rate limit
    "kept": "the delivery is kept and counted when replayed (scripts/replay_deliveries.py)",
    "counted": "this delivery was already counted",
    "uncounted": "this event counts nothing, so nothing is lost",
    "not_kept": f"the delivery could not be kept: {REDELIVER_HINT}",
}


class KnownUsers(Protocol):
    """Remembers a ``users`` row the ingest already read, for the carbon step's profile location."""

    def remember(self, user_id: str, row: Row | None) -> None: ...


class CommitEnricher(Protocol):
    """Fills in real line counts for new commit activities (``lines_estimated=False`` where it could)."""

    def enrich(self, repo_full_name: str, commits: Sequence[Activity]) -> list[Activity]: ...


# What a caller of :meth:`WebhookIngest.record` stages with the plan's writes, given the plan (called again if
# the transaction is re-planned after a conflict): the ledger's completion for a delivery, a backfill's progress.
ExtraWrites = Callable[[IngestPlan], Sequence[Write]]
# Called after a delivery's transaction committed (e.g. the pull-request summary); never fails the delivery.
AfterCommit = Callable[[Extraction, IngestPlan], None]


def fresh_push(extraction: Extraction) -> bool:
    """A push's activities are its commits that GitHub marks ``distinct`` (new to the repository): taken to be new,
    so the plan need not read them first (``WebhookIngest.record``'s ``assume_new``). Not for backfills, which
    import history the webhook may have counted already, nor with a commit enricher, whose GitHub API budget goes
    only to commits known to be new."""
    return extraction.event == "push" and not extraction.run_links


class WebhookIngest:
    """One GitHub delivery in, at most one transaction of rows out. Dependencies are passed in."""

    def __init__(
        self,
        store: Store,
        *,
        secret: str | WebhookSecrets | None,
        allow_unsigned: bool = False,
        clock: Clock = utc_now,
        carbon: IngestCarbon | None = None,
        enricher: CommitEnricher | None = None,
        lease_s: float = LEASE_S,
        limiter: RateLimiter | None = None,
        known_users: KnownUsers | None = None,
        contention_budget_s: float = CONTENTION_BUDGET_S,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        after_commit: AfterCommit | None = None,
    ) -> None:
        self.store = store
        self._secrets = secret if isinstance(secret, WebhookSecrets) else WebhookSecrets(secret)
        self.limiter = limiter  # per-hook budget; None for replays (an operator's, not GitHub's, traffic)
        self.known_users = known_users
        self.allow_unsigned = allow_unsigned
        self.clock = clock
        self.carbon = carbon
        self.enricher = enricher
        self.after_commit = after_commit
        self.ledger = DeliveryLedger(store, clock=clock, lease_s=lease_s)
        self.rollups = RollupWriter(store, clock=clock, monotonic=monotonic, sleep=sleep)
        self.contention_budget_s = contention_budget_s

    def __repr__(self) -> str:  # never show the secret
        return f"WebhookIngest(store={self.store!r}, signed={self._secrets.current is not None})"

    # ---- the edge -------------------------------------------------------------------------------------
    def handle(self, body: bytes, headers: Mapping[str, str], *, verified: bool = False) -> IngestResult:
        """One delivery. ``verified``: a kept row whose body was checked on receipt and changed since by an
        erasure (``tables.deliveries.erased``), so GitHub's signature no longer matches it."""
        low = {str(k).lower(): str(v) for k, v in headers.items()}
        if len(body) > MAX_BODY_BYTES:
            raise PayloadTooLargeError(f"delivery is {len(body)} bytes; GitHub never sends more than {MAX_BODY_BYTES}")
        accepted = self._secrets.accepted(self.clock())
        signed_with_previous = False
        if verified:
            pass
        elif accepted:
            signed_with_previous = verify_any(accepted, body, low.get("x-hub-signature-256")) == 1
        elif self.allow_unsigned:
            log.warning("INSECURE: accepting an unsigned webhook delivery (%s=1)", INSECURE_VARIABLE)
        else:
            raise NotConfiguredError(
                "GITHUB_WEBHOOK_SECRET is not set, so every delivery is refused: set it to the webhook's secret"
            )
        head = DeliveryHeaders.parse(low)
        payload = decode_payload(body, head.content_type)
        extraction = extract(head.event, payload, head.delivery_id)
        if self.limiter is not None:
            self._limit(head, extraction, body)
        if extraction.outcome is Outcome.ACTIVITIES:
            result = self.count(head, extraction, body)
        else:
            recorded = self.ledger.record_ignored(head, extraction)
            result = responses.uncounted(head, extraction, recorded=recorded)
        if not self._secrets.current and not verified:  # the explicit insecure mode: say so in every answer
            result.body["warning"] = INSECURE_WARNING
        if signed_with_previous:  # visible in GitHub's delivery log: the hook still signs with the old secret
            result.body["signature"] = "previous_secret"
        return result

    def replay(self, row: Row) -> IngestResult:
        """Run a kept ``webhook_deliveries`` row through the same path as a live delivery."""
        body, headers = self.ledger.replay_request(row)
        return self.handle(body, headers, verified=deliveries.erased(row))

    def _limit(self, head: DeliveryHeaders, extraction: Extraction, body: bytes) -> None:
        """The hook's budget. GitHub does not retry a refused delivery by itself, so a counted one is kept as
        ``failed`` (body and signature) before the 429: ``scripts/replay_deliveries.py`` counts it later."""
        assert self.limiter is not None
        try:
            self.limiter.hit(Scope.HOOK, head.hook_id or "no-hook-id")
        except RateLimitedError as exc:
            state = "uncounted"
            if extraction.outcome is Outcome.ACTIVITIES:
                state = self.ledger.keep_refused(head, extraction, body, f"rate_limited: {exc.message}")
            raise RateLimitedError(
                f"{exc.message}; {_REFUSED[state]}",
                retry_after_s=exc.retry_after_s,
                details={**exc.details, "delivery": state, "delivery_id": head.delivery_id},
            ) from None

    # ---- counted events -------------------------------------------------------------------------------
    def count(self, head: DeliveryHeaders, extraction: Extraction, body: bytes) -> IngestResult:
        """Count the extracted activities of one delivery exactly once, whoever else counts the same ones.

        The public path for anything that turns GitHub data into activities: a live delivery, a replay, or a
        backfill that builds an ``Extraction`` itself (give it a ``DeliveryHeaders`` whose ``row_id`` names the
        source, e.g. from ``backfill:<run id>``, and the body kept for a replay). The delivery ledger claims
        ``head.row_id``; activity ids are derived from the work, so a row another source already wrote is not
        counted again."""
        if extraction.outcome is not Outcome.ACTIVITIES:
            raise ValidationError("count() takes an extraction with activities")
        return self._process(head, extraction, body)

    def _process(self, head: DeliveryHeaders, extraction: Extraction, body: bytes) -> IngestResult:
        claim = self.ledger.claim(head, extraction, body)
        if claim.status is ClaimStatus.DUPLICATE:
            return responses.duplicate(head, extraction, claim.record)
        if claim.status is ClaimStatus.IN_PROGRESS:
            return responses.in_progress(head)
        try:
            ingest_plan = self.record(
                head,
                extraction,
                lambda p: [self.ledger.completion(head, len(p.created))],
                assume_new=self.enricher is None and fresh_push(extraction),  # enrich only what is new
            )
        except ConflictError as exc:
            self.ledger.fail(head, f"conflict: {exc.message}")
            raise StorageError(f"delivery {head.delivery_id} kept conflicting with concurrent writes") from exc
        except StorageError as exc:
            self.ledger.fail(head, exc.message)
            raise StorageError(f"{exc.message}; the delivery is kept for replay", details=exc.details) from exc
        except ValidationError as exc:  # the store refused data derived from this payload: a replay cannot help
            self.ledger.fail(head, exc.message, permanent=True)
            raise UnprocessableError(
                f"delivery {head.delivery_id} cannot be processed: {exc.message}", details=exc.details
            ) from exc
        if self.after_commit is not None:
            try:
                self.after_commit(extraction, ingest_plan)
            except Exception:  # a bonus after the commit: the delivery is recorded whatever happens here
                log.exception("after-commit step failed for delivery %s (the delivery is recorded)", head.delivery_id)
        return responses.processed(head, extraction, ingest_plan)

    def record(
        self,
        head: DeliveryHeaders,
        extraction: Extraction,
        extra: ExtraWrites,
        *,
        feed: bool = True,
        assume_new: bool = False,
    ) -> IngestPlan:
        """Count an extraction's activities exactly once: read, enrich, compute carbon, plan, and commit the plan
        with ``extra(plan)`` in ONE transaction (see :meth:`_commit` for conflicts); counting deferred to pending
        deltas is folded right after. Activities whose rows exist are not counted again. The webhook calls it for
        a claimed delivery (``extra``: the ledger's completion), the backfill for the work it imports from the
        REST API (``extra``: its progress; ``feed=False``: history it imports is not news for the global feed).

        ``assume_new`` (see :func:`fresh_push`): plan without reading the activities first. The transaction creates
        them, so if one exists after all the commit is refused whole (409) and the plan is made again from a read:
        nothing is counted twice, and a delivery of new work saves a request."""
        ingest_plan = self._commit(head, extraction, extra, feed=feed, assume_new=assume_new)
        if ingest_plan.pending_users:
            self.rollups.fold_people(ingest_plan.pending_users, budget_s=FOLD_AFTER_S, retry=False)
        return ingest_plan

    def _commit(
        self,
        head: DeliveryHeaders,
        extraction: Extraction,
        extra: ExtraWrites,
        *,
        feed: bool = True,
        assume_new: bool = False,
    ) -> IngestPlan:
        """Plan and commit the delivery's transaction; on a conflict re-read, re-plan and retry with backoff. Past
        the contention budget the counted rows (rollups, user_stats) are deferred to pending deltas, so only a
        concurrent duplicate's rows can still conflict."""
        enriched: dict[str, Activity] = {}
        backoff = self.rollups.backoff(self.contention_budget_s)
        defer = False
        deferred_attempts = 0
        while True:
            ingest_plan = self._plan(head, extraction, enriched, defer=defer, feed=feed, assume_new=assume_new)
            try:
                with self.store.transaction() as tx:
                    apply_plan(ingest_plan, tx)
                    tx.stage(*extra(ingest_plan))
                return ingest_plan
            except (ConflictError, NotFoundError) as exc:
                assume_new = False  # maybe an activity was there after all (a replay): the re-plan reads them
                deferred_attempts += defer
                if deferred_attempts >= DEFERRED_ATTEMPTS:
                    raise ConflictError(exc.message, details=exc.details) from exc
                if not defer and not backoff.wait():
                    log.info(
                        "delivery %s: contended past %.1f s; deferring its counting",
                        head.delivery_id,
                        self.contention_budget_s,
                    )
                    defer = True
                log.debug("delivery %s met a concurrent write (%s); re-reading", head.delivery_id, exc.message)

    def _plan(
        self,
        head: DeliveryHeaders,
        extraction: Extraction,
        enriched: dict[str, Activity],
        *,
        defer: bool = False,
        feed: bool = True,
        assume_new: bool = False,
    ) -> IngestPlan:
        """Read what the delivery's rows depend on, run the I/O steps (enrichment, carbon), then plan purely."""
        stored = self._read(extraction, stats=not defer, assume_new=assume_new)
        now = self.clock()
        new = self._enrich(extraction, new_activities(extraction, stored.activities), enriched)
        carbon = self._carbon(new)
        if not defer:
            entries = rollup_entries(extraction, stored.activities, new, carbon)
            stored = StoredRows(stored.activities, stored.user, stored.stats, self.rollups.read(entries))
        return plan(extraction, head, stored, new, now, carbon=carbon, defer=defer, feed=feed)

    def _read(self, extraction: Extraction, *, stats: bool = True, assume_new: bool = False) -> StoredRows:
        """The rows the plan depends on; ``stats``: the user_stats rows too (a deferred plan does not need them);
        ``assume_new``: no activity row is read (all are taken to be new)."""
        actor = extraction.actor
        if actor is None:
            raise ValueError("a counted delivery always has a sender")
        wanted = [a.id for a in extraction.activities] + [link.run_row_id for link in extraction.run_links]
        existing = {} if assume_new else self.store.get_many(activities.NAME, wanted)
        user_row = self.store.get(users.NAME, actor.user_id)
        if self.known_users is not None:
            self.known_users.remember(actor.user_id, user_row)
        if not stats:
            return StoredRows(existing, user_row)
        rows: dict[str, Row | None] = {actor.user_id: self.store.get(user_stats.NAME, actor.user_id)}
        has_new = bool(new_activities(extraction, existing))
        for run in account_runs(extraction, existing, has_new=has_new).uncounted:  # their owners' totals change
            if run.user_id not in rows:
                rows[run.user_id] = self.store.get(user_stats.NAME, run.user_id)
        return StoredRows(existing, user_row, rows)

    def _enrich(self, extraction: Extraction, new: list[Activity], enriched: dict[str, Activity]) -> list[Activity]:
        commits = [a for a in new if a.type is ActivityType.COMMIT and a.id not in enriched]
        if self.enricher is not None and commits and extraction.repo_full_name:
            try:
                for activity in self.enricher.enrich(extraction.repo_full_name, commits):
                    enriched[activity.id] = activity
            except EcoTraceError as exc:  # enrichment is a bonus: estimates stay
                log.warning("commit enrichment skipped: %s", exc.message)
        return [enriched.get(a.id, a) for a in new]

    def _carbon(self, new: Sequence[Activity]) -> list[tuple[Activity, Row]]:
        """The counted new activities with carbon, each with its ``calculations`` row; none when the step fails
        (the carbon-calculator's scheduled sweep fills them in later)."""
        counted = [a for a in new if a.counted]
        if self.carbon is None or not counted:
            return []
        try:
            filled, rows = self.carbon(counted)
            return list(zip(filled, rows, strict=True))
        except (EcoTraceError, ArithmeticError, ValueError) as exc:
            log.warning("carbon at ingest skipped (filled in later): %s", exc)
            return []
