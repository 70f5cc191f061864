"""The webhook delivery use case: verify, understand, count exactly once, lose nothing.

Steps for one delivery (``WebhookIngest.handle``):

1. Size (> 25 MB: 413), secret configured (else 503), signature (401), headers and payload (400): all before
   any write, so bad input writes nothing.
2. Ignored events and pings: one best-effort ``webhook_deliveries`` row (status ``ignored``), 202 / 200.
3. Counted events: claim the delivery by an atomic create of its ``webhook_deliveries`` row (id from hook id +
   delivery GUID) holding the raw body. A second create of the same id fails: a processed delivery answers
   "duplicate" with the original count; one still in flight answers 202 unless its lease (derived from the
   row's ``$updatedAt``) expired, in which case this attempt takes over (a crashed attempt is retried).
4. Read which activity rows already exist (one ``get_many``), the sender's ``users`` and ``user_stats`` rows;
   build ONE transaction: new activities (bulk create), ``calculations`` rows from the optional carbon step,
   ``users`` create/update, ``user_stats`` create or increments, and the delivery's status. Creates of
   deterministic ids make a concurrent duplicate's commit fail (409); then everything is re-read and the
   transaction rebuilt once, now without the rows the other delivery wrote.
5. The store failing (StorageError) marks the delivery ``failed`` when possible and answers 503: the kept body
   is replayed by ``scripts/replay_deliveries.py``; without a kept body GitHub still has it (redeliver from the
   hook's "Recent Deliveries" or ``POST /repos/{owner}/{repo}/hooks/{hook_id}/deliveries/{id}/attempts``).

Workflow runs and their jobs: a job's energy is on its job row. The first job of a run creates the run's row as
a placeholder with ``counted=False``; the run's own ``completed`` event then fills that row in and leaves it
uncounted. A run that arrives before any of its jobs is counted; when a job of it arrives later, the run row is
switched to ``counted=False`` and its share is taken off the owner's ``user_stats`` in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ..clock import Clock, parse_iso, to_iso, utc_now
from ..domain.github import (
    MAX_BODY_BYTES,
    Actor,
    DeliveryHeaders,
    Extraction,
    Outcome,
    decode_payload,
    extract,
    opens_pull_request,
)
from ..domain.models import Activity, ActivityType
from ..domain.signature import verify
from ..errors import (
    ConflictError,
    EcoTraceError,
    NotConfiguredError,
    PayloadTooLargeError,
    StorageError,
    ValidationError,
)
from ..ports import Row, Store

log = logging.getLogger(__name__)

DELIVERIES = "webhook_deliveries"
ACTIVITIES = "activities"
USERS = "users"
USER_STATS = "user_stats"
CALCULATIONS = "calculations"

MAX_LISTED = 100  # activities listed in a response (a push may carry up to 2,048 commits)
LEASE_S = 60.0  # an attempt older than this (function timeout 15 s) is taken as crashed and may be retried

INSECURE_VARIABLE = "ECOTRACE_INSECURE_ALLOW_UNSIGNED"
INSECURE_WARNING = (
    f"INSECURE: signatures are not checked ({INSECURE_VARIABLE}=1 and no GITHUB_WEBHOOK_SECRET); local use only"
)

CarbonFn = Callable[[Sequence[Activity]], tuple[list[Activity], list[dict[str, Any]]]]

REDELIVER_HINT = (
    "GitHub keeps the delivery: redeliver it from the webhook's Recent Deliveries page or with "
    "POST /repos/{owner}/{repo}/hooks/{hook_id}/deliveries/{delivery_id}/attempts "
    "(scripts/replay_deliveries.py --github does this for failed deliveries)"
)

_COUNT_COLUMN = {
    ActivityType.COMMIT: "commit_count",
    ActivityType.PR: "pr_count",
    ActivityType.CI_RUN: "ci_run_count",
    ActivityType.DEPLOYMENT: "deployment_count",
}


class CommitEnricher(Protocol):
    """Fills in real line counts for new commit activities (``lines_estimated=False`` where it could)."""

    def enrich(self, repo_full_name: str, commits: Sequence[Activity]) -> list[Activity]: ...


@dataclass(frozen=True)
class IngestResult:
    status: int
    body: dict[str, Any]


def read_user(row: Row) -> str | None:
    """The Appwrite account linked to a users row, if the person signed up."""
    account = row.get("account_id")
    return str(account) if account else None


def owner_permissions(account_id: str | None) -> list[str]:
    return [f'read("user:{account_id}")'] if account_id else []


def activity_row(activity: Activity, permissions: Sequence[str] = ()) -> Row:
    """An Activity as an ``activities`` row (Appwrite JSON: ISO datetimes, ``details`` as a JSON string)."""
    data = activity.model_dump(mode="json", exclude={"id"})
    data["timestamp"] = to_iso(activity.timestamp)
    data["calculated_at"] = to_iso(activity.calculated_at) if activity.calculated_at else None
    data["details"] = json.dumps(activity.details, separators=(",", ":"), sort_keys=True, default=str)
    return {"$id": activity.id, "$permissions": list(permissions), **data}


@dataclass
class _StatsDelta:
    login: str
    columns: dict[str, float] = field(default_factory=dict)
    last_activity_at: datetime | None = None

    def add(self, column: str, value: float) -> None:
        if value:
            self.columns[column] = self.columns.get(column, 0) + value

    def count(self, activity: Activity, sign: int = 1) -> None:
        self.add("activity_count", sign)
        if activity.type is not ActivityType.PR or opens_pull_request(activity.type.value, activity.external_id):
            self.add(_COUNT_COLUMN[activity.type], sign)
        if activity.type is ActivityType.CI_RUN and activity.duration_s:
            self.add("ci_minutes", sign * activity.duration_s / 60.0)
        if activity.type is ActivityType.COMMIT:
            # PR rows repeat their commits' lines, so only commits feed lines_changed.
            self.add("lines_changed", sign * ((activity.lines_added or 0) + (activity.lines_deleted or 0)))
        if activity.carbon_kg:
            self.add("carbon_kg", sign * activity.carbon_kg)
        if sign > 0 and (self.last_activity_at is None or activity.timestamp > self.last_activity_at):
            self.last_activity_at = activity.timestamp


@dataclass
class _Plan:
    created: list[Activity]
    existing: list[str]
    updated: list[str]
    ops: Callable[[Any], None]


class WebhookIngest:
    """One GitHub delivery in, at most one transaction of rows out. Dependencies are passed in."""

    def __init__(
        self,
        store: Store,
        *,
        secret: str | None,
        allow_unsigned: bool = False,
        clock: Clock = utc_now,
        carbon: CarbonFn | None = None,
        enricher: CommitEnricher | None = None,
        lease_s: float = LEASE_S,
    ) -> None:
        self.store = store
        self._secret = secret
        self.allow_unsigned = allow_unsigned
        self.clock = clock
        self.carbon = carbon
        self.enricher = enricher
        self.lease_s = lease_s

    def __repr__(self) -> str:  # never show the secret
        return f"WebhookIngest(store={self.store!r}, signed={self._secret is not None})"

    # ---- the edge -------------------------------------------------------------------------------------
    def handle(self, body: bytes, headers: Mapping[str, str]) -> IngestResult:
        low = {str(k).lower(): str(v) for k, v in headers.items()}
        if len(body) > MAX_BODY_BYTES:
            raise PayloadTooLargeError(f"delivery is {len(body)} bytes; GitHub never sends more than {MAX_BODY_BYTES}")
        if self._secret:
            verify(self._secret, body, low.get("x-hub-signature-256"))
        elif self.allow_unsigned:
            log.warning("INSECURE: accepting an unsigned webhook delivery (%s=1)", INSECURE_VARIABLE)
        else:
            raise NotConfiguredError(
                "GITHUB_WEBHOOK_SECRET is not set, so every delivery is refused: set it to the webhook's secret"
            )
        head = DeliveryHeaders.parse(low)
        payload = decode_payload(body, head.content_type)
        extraction = extract(head.event, payload, head.delivery_id)
        if extraction.outcome is Outcome.ACTIVITIES:
            result = self._process(head, extraction, body)
        else:
            result = self._record_uncounted(head, extraction)
        if not self._secret:  # only reachable in the explicit insecure mode: say so in every answer too
            result.body["warning"] = INSECURE_WARNING
        return result

    def replay(self, row: Row) -> IngestResult:
        """Run a kept ``webhook_deliveries`` row through the same path as a live delivery."""
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
        return self.handle(body.encode("utf-8"), headers)

    # ---- ignored events and pings ---------------------------------------------------------------------
    def _delivery_data(self, head: DeliveryHeaders, x: Extraction, status: str) -> Row:
        return {
            "delivery_id": head.delivery_id,
            "hook_id": head.hook_id,
            "event": head.event,
            "action": (x.action or "")[:64] or None,
            "status": status,
            "attempts": 1,
            "received_at": to_iso(self.clock()),
            "content_type": head.content_type[:128],
            "signature": (head.signature or "")[:128] or None,
            "headers": _headers_json(head.github),
            "sender_login": x.actor.login if x.actor else None,
            "repo_full_name": x.repo_full_name,
        }

    def _record_uncounted(self, head: DeliveryHeaders, x: Extraction) -> IngestResult:
        data = self._delivery_data(head, x, "ignored")
        data.update(processed_at=data["received_at"], activity_count=0, error=x.reason[:2048] or None)
        recorded = True
        try:
            self.store.create(DELIVERIES, head.row_id, data)
        except ConflictError:
            pass  # a redelivery: already recorded
        except (StorageError, ValidationError) as exc:  # nothing to count, so nothing is lost: still acknowledge
            log.warning("could not record ignored delivery %s: %s", head.delivery_id, exc.message)
            recorded = False
        body: dict[str, Any] = {"ok": True, "delivery_id": head.delivery_id, "event": head.event, "recorded": recorded}
        if x.outcome is Outcome.PING:
            body.update(status="pong", hook_id=x.hook_id, zen=x.extra.get("zen"))
            return IngestResult(200, body)
        body.update(status="ignored", action=x.action, reason=x.reason)
        return IngestResult(202, body)

    # ---- counted events -------------------------------------------------------------------------------
    def _claim(self, head: DeliveryHeaders, x: Extraction, body: bytes) -> IngestResult | None:
        data = self._delivery_data(head, x, "received")
        data.update(body=body.decode("utf-8"), body_sha256=hashlib.sha256(body).hexdigest())
        try:
            self.store.create(DELIVERIES, head.row_id, data)
            return None
        except ConflictError:
            pass
        except StorageError as exc:
            raise StorageError(f"cannot record the delivery ({exc.message}); {REDELIVER_HINT}") from exc
        try:
            row = self.store.get(DELIVERIES, head.row_id)
            if row is None:  # deleted in between: claim again
                self.store.create(DELIVERIES, head.row_id, data)
                return None
            status = str(row.get("status"))
            if status in ("processed", "ignored"):
                return IngestResult(
                    200,
                    {
                        "ok": True,
                        "status": "duplicate",
                        "delivery_id": head.delivery_id,
                        "event": head.event,
                        "action": x.action,
                        "activity_count": row.get("activity_count") or 0,
                        "message": "this delivery was already processed; nothing was counted again",
                    },
                )
            if status == "received" and not self._lease_expired(row):
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
            attempts = int(row.get("attempts") or 0) + 1
            self.store.update(DELIVERIES, head.row_id, {"status": "received", "attempts": attempts, "error": None})
            return None
        except ConflictError as exc:
            raise StorageError(f"delivery {head.delivery_id} is contended; {REDELIVER_HINT}") from exc
        except StorageError as exc:
            raise StorageError(f"cannot record the delivery ({exc.message}); {REDELIVER_HINT}") from exc

    def _lease_expired(self, row: Row) -> bool:
        stamp = row.get("$updatedAt") or row.get("received_at")
        if not stamp:
            return True
        try:
            since = parse_iso(str(stamp))
        except ValueError:
            return True
        return (self.clock() - since).total_seconds() > self.lease_s

    def _process(self, head: DeliveryHeaders, x: Extraction, body: bytes) -> IngestResult:
        early = self._claim(head, x, body)
        if early is not None:
            return early
        enriched: dict[str, Activity] = {}
        try:
            for attempt in (1, 2):
                try:
                    plan = self._plan(head, x, enriched)
                    with self.store.transaction() as tx:
                        plan.ops(tx)
                    break
                except ConflictError:
                    if attempt == 2:
                        raise
                    log.info("delivery %s met a concurrent write; re-reading once", head.delivery_id)
        except ConflictError as exc:
            self._mark_failed(head, f"conflict: {exc.message}")
            raise StorageError(f"delivery {head.delivery_id} conflicted twice with concurrent writes") from exc
        except StorageError as exc:
            self._mark_failed(head, exc.message)
            raise StorageError(f"{exc.message}; the delivery is kept for replay", details=exc.details) from exc
        except ValidationError as exc:  # the store refused data derived from this payload
            self._mark_failed(head, exc.message)
            raise
        return IngestResult(
            200,
            {
                "ok": True,
                "status": "processed",
                "delivery_id": head.delivery_id,
                "event": head.event,
                "action": x.action,
                "created": len(plan.created),
                "already_recorded": len(plan.existing),
                "updated": len(plan.updated),
                "activities": [
                    {
                        "id": a.id,
                        "type": a.type.value,
                        "external_id": a.external_id,
                        "user_id": a.user_id,
                        "counted": a.counted,
                        "lines_added": a.lines_added,
                        "lines_deleted": a.lines_deleted,
                        "lines_estimated": a.lines_estimated,
                        "duration_s": a.duration_s,
                        "carbon_kg": a.carbon_kg,
                    }
                    for a in plan.created[:MAX_LISTED]
                ],
                "activities_listed": min(len(plan.created), MAX_LISTED),
            },
        )

    def _mark_failed(self, head: DeliveryHeaders, message: str) -> None:
        try:
            self.store.update(DELIVERIES, head.row_id, {"status": "failed", "error": message[:2048]})
        except EcoTraceError as exc:  # the lease then lets a replay pick it up
            log.error("could not mark delivery %s failed: %s", head.delivery_id, exc.message)

    # ---- the one transaction --------------------------------------------------------------------------
    def _plan(self, head: DeliveryHeaders, x: Extraction, enriched: dict[str, Activity]) -> _Plan:
        assert x.actor is not None  # counted events always carry a sender
        actor = x.actor
        wanted = [a.id for a in x.activities] + [link.run_row_id for link in x.run_links]
        existing = self.store.get_many(ACTIVITIES, wanted)
        user_row = self.store.get(USERS, actor.user_id)
        stats_rows: dict[str, Row | None] = {actor.user_id: self.store.get(USER_STATS, actor.user_id)}
        account = read_user(user_row) if user_row else None
        perms = owner_permissions(account)
        now = self.clock()

        new = [a for a in x.activities if a.id not in existing]
        already = [a.id for a in x.activities if a.id in existing]
        updates: list[tuple[str, Row]] = []
        deltas: dict[str, _StatsDelta] = {actor.user_id: _StatsDelta(actor.login)}

        if x.run_row_is_total:  # workflow_run: fill in a placeholder its jobs created, uncounted
            for activity in x.activities:
                row = existing.get(activity.id)
                if row is not None and _is_placeholder(row):
                    data = activity_row(activity.model_copy(update={"counted": False}))
                    updates.append((activity.id, _updatable(data)))
                    already.remove(activity.id)
        placeholders: list[Activity] = []
        markers: list[str] = []  # runs this delivery un-counts: one marker row each, see _uncount_marker
        if x.run_links and new:  # workflow_job: its run must not count the same energy again
            for link in x.run_links:
                run = existing.get(link.run_row_id)
                if run is None:
                    placeholders.append(link.placeholder)
                elif run.get("counted") is not False:
                    updates.append((link.run_row_id, _uncounted(run)))
                    markers.append(link.run_row_id)
                    owner = str(run.get("user_id"))
                    if owner not in stats_rows:
                        stats_rows[owner] = self.store.get(USER_STATS, owner)
                    deltas.setdefault(owner, _StatsDelta(str(run.get("github_login") or owner)))
                    deltas[owner].count(_activity_from_row(run), sign=-1)

        new = self._enrich(x, new, enriched)
        calc_rows: list[dict[str, Any]] = []
        counted_new = [a for a in new if a.counted]
        if self.carbon is not None and counted_new:
            try:
                with_carbon, calc_rows = self.carbon(counted_new)
            except (EcoTraceError, ArithmeticError, ValueError) as exc:  # the calculator's row trigger retries it
                log.warning("carbon at ingest skipped (filled in later): %s", exc)
                with_carbon, calc_rows = [], []
            by_id = {a.id: a for a in with_carbon}
            new = [by_id.get(a.id, a) for a in new]
        for activity in new:
            if activity.counted:
                deltas[actor.user_id].count(activity)
        created = [*new, *placeholders]
        rows = [activity_row(a, perms) for a in created]

        def ops(tx: Any) -> None:
            if user_row is None:
                tx.create(
                    USERS,
                    actor.user_id,
                    {
                        "github_id": actor.github_id,
                        "username": actor.login,
                        "is_bot": actor.is_bot,
                        "avatar_url": actor.avatar_url,
                        "first_seen_at": to_iso(now),
                        "$permissions": [],
                    },
                )
            elif user_row.get("username") != actor.login or (
                actor.avatar_url and user_row.get("avatar_url") != actor.avatar_url
            ):
                tx.update(USERS, actor.user_id, {"username": actor.login, "avatar_url": actor.avatar_url})
            if rows:
                tx.bulk_create(ACTIVITIES, rows)
            for row_id, data in updates:
                tx.update(ACTIVITIES, row_id, data)
            for run_id in markers:
                tx.create(DELIVERIES, *_uncount_marker(run_id, head, now))
            if calc_rows:
                tx.bulk_upsert(CALCULATIONS, [{"$permissions": perms, **c} for c in calc_rows])
            for user_id, delta in deltas.items():
                _stats_ops(tx, user_id, delta, stats_rows.get(user_id), perms if user_id == actor.user_id else [])
            tx.update(
                DELIVERIES,
                head.row_id,
                {
                    "status": "processed",
                    "processed_at": to_iso(self.clock()),
                    "activity_count": len(new),
                    "error": None,
                },
            )

        return _Plan(created=new, existing=already, updated=[u[0] for u in updates], ops=ops)

    def _enrich(self, x: Extraction, new: list[Activity], enriched: dict[str, Activity]) -> list[Activity]:
        commits = [a for a in new if a.type is ActivityType.COMMIT and a.id not in enriched]
        if self.enricher is not None and commits and x.repo_full_name:
            try:
                for activity in self.enricher.enrich(x.repo_full_name, commits):
                    enriched[activity.id] = activity
            except EcoTraceError as exc:  # enrichment is a bonus: estimates stay
                log.warning("commit enrichment skipped: %s", exc.message)
        return [enriched.get(a.id, a) for a in new]


HEADERS_SIZE = 8192  # webhook_deliveries.headers column size


def _headers_json(github: Mapping[str, str]) -> str:
    """The x-github-* headers as JSON that fits the column: whole headers are left out, never cut mid-JSON."""
    kept: dict[str, str] = {}
    for name, value in github.items():
        trial = json.dumps({**kept, name: value}, sort_keys=True)
        if len(trial) > HEADERS_SIZE:
            continue
        kept[name] = value
    return json.dumps(kept, sort_keys=True)


def _uncount_marker(run_row_id: str, head: DeliveryHeaders, now: datetime) -> tuple[str, Row]:
    """A row whose id only the first un-counting of a run can create.

    Two job deliveries that both read the run as counted would both take its share off the totals; Appwrite
    flags an update conflict only when the other commit landed after this one was staged, but a duplicate id
    always fails the commit. So the un-counting creates this row, and the second delivery's transaction fails,
    re-reads (the run is now uncounted) and leaves the totals alone.
    """
    return "u_" + run_row_id.split("_", 1)[-1], {
        "delivery_id": f"uncount:{run_row_id}",
        "hook_id": head.hook_id,
        "event": "workflow_job",
        "action": "uncount_run",
        "status": "processed",
        "received_at": to_iso(now),
        "processed_at": to_iso(now),
        "error": f"marker: run {run_row_id} un-counted by delivery {head.delivery_id}",
        "activity_count": 0,
    }


def _is_placeholder(row: Row) -> bool:
    return bool(_details(row).get("placeholder"))


def _details(row: Row) -> dict[str, Any]:
    raw = row.get("details")
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw) if isinstance(raw, str) else {}
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


_READONLY = ("$id", "$permissions", "user_id", "github_login", "is_bot", "repo_id", "repo_full_name")


def _updatable(data: Row) -> Row:
    """Row data for an update of an existing row: who and where stay as first written."""
    return {k: v for k, v in data.items() if k not in _READONLY}


def _uncounted(row: Row) -> Row:
    data: Row = {"counted": False}
    for column in ("carbon_kg", "carbon_kg_low", "carbon_kg_high", "energy_kwh"):
        if row.get(column) is not None:
            data[column] = 0.0
    details = _details(row)
    details["uncounted_because"] = "its jobs are recorded as separate ci_run rows"
    data["details"] = json.dumps(details, separators=(",", ":"), sort_keys=True)
    return data


def _activity_from_row(row: Row) -> Activity:
    """Enough of an existing row to take its share off the owner's totals."""
    return Activity(
        id=str(row["$id"]),
        user_id=str(row.get("user_id") or "unknown"),
        github_login=str(row.get("github_login") or "unknown"),
        type=ActivityType(str(row.get("type") or "ci_run")),
        repo_id=str(row.get("repo_id") or ""),
        repo_full_name=str(row.get("repo_full_name") or ""),
        external_id=str(row.get("external_id") or "unknown"),
        source_event=str(row.get("source_event") or ""),
        timestamp=parse_iso(str(row.get("timestamp"))) if row.get("timestamp") else utc_now(),
        duration_s=float(row["duration_s"]) if row.get("duration_s") is not None else None,
        lines_added=row.get("lines_added"),
        lines_deleted=row.get("lines_deleted"),
        carbon_kg=float(row["carbon_kg"]) if row.get("carbon_kg") is not None else None,
    )


_INT_COLUMNS = {
    "activity_count",
    "commit_count",
    "pr_count",
    "ci_run_count",
    "deployment_count",
    "lines_changed",
}


def _stats_ops(tx: Any, user_id: str, delta: _StatsDelta, row: Row | None, perms: list[str]) -> None:
    columns = {k: (round(v) if k in _INT_COLUMNS else v) for k, v in delta.columns.items()}
    if row is None:
        positive = {k: v for k, v in columns.items() if v > 0}
        if not positive:
            return
        data: Row = {"user_id": user_id, "github_login": delta.login, **positive, "$permissions": perms}
        if delta.last_activity_at is not None:
            data["last_activity_at"] = to_iso(delta.last_activity_at)
        tx.create(USER_STATS, user_id, data)
        return
    for column, value in columns.items():
        tx.increment(USER_STATS, user_id, column, value)
    latest = row.get("last_activity_at")
    if delta.last_activity_at is not None and (not latest or parse_iso(str(latest)) < delta.last_activity_at):
        tx.update(USER_STATS, user_id, {"last_activity_at": to_iso(delta.last_activity_at)})


__all__ = [
    "LEASE_S",
    "REDELIVER_HINT",
    "Actor",
    "CarbonFn",
    "CommitEnricher",
    "IngestResult",
    "WebhookIngest",
    "activity_row",
    "owner_permissions",
]
