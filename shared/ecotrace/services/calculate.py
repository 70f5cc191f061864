"""Use case: the carbon-calculator function. Computes the carbon of stored activities with the versioned method
and writes it with its audit trail.

Entry points of :class:`CarbonCalculator`: its schedule (the sweep, ``ecotrace.services.sweep``: activities
left without carbon, and pending rollup deltas), and the signed-in user's actions ``calculate``, ``recalculate``
(resumable batches) and ``estimate`` (what-if, nothing stored). The webhook's carbon step at delivery time is
``ecotrace.services.carbon.carbon_for_ingest``. It no longer runs per created activity: the webhook already
computed that carbon, so each such execution did nothing but cost one.

A batch of results is written in ONE transaction by ``ecotrace.services.carbon.CarbonWrite``, the same write
the webhook uses: the ``calculations`` rows, the activities' carbon columns, the change (new - old) to
``user_stats/<user_id>.carbon_kg`` when that row exists, and the change of each activity's contribution to its
owner's rollups (``ecotrace.services.rollups``).
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from appwrite.query import Query

from ..clock import Clock, utc_now
from ..domain.carbon import CalculationConfig, CarbonResult, calculate, default_methodology, plan_for
from ..domain.invocation import Invocation
from ..errors import ConflictError, NotFoundError, UnauthorizedError, ValidationError
from ..ports import MAX_BATCH, ROW_ID, Row, Store
from ..tables import activities, user_stats, users
from ..tables.permissions import permissions_of
from .calculate_requests import (
    CalculateRequest,
    DescribedActivity,
    EstimateRequest,
    RecalculateRequest,
    parse_request,
    result_json,
)
from .carbon import (
    LIVE_BUDGET_S,
    CarbonOutcome,
    CarbonWrite,
    FactorLookup,
    RegionLookup,
    calculate_activity,
    config_for,
    factors_for,
)
from .rollups import FOLD_AFTER_S, CountedState, RollupWriter, counted_writes, entries_of
from .sci import SciRequest, sci_report
from .sweep import sweep

log = logging.getLogger(__name__)

PAGE_SIZE = 50
ACTIVITIES_PER_TRANSACTION = 40  # 1 bulk upsert + 1 update each + 1 increment per user, under Appwrite's 100
DEFAULT_BUDGET_S = 20.0  # of the function's 30 s timeout; the rest is margin for the last write
WRITE_ATTEMPTS = 6  # concurrent writers of the same user_stats row make a transaction conflict (409)
BACKOFF_S = 0.05
LIVE_CALL_RESERVE_S = 11.0  # a live fetch, once started, may take this long (2 tries x 5 s read timeout + backoff)

# ---- the service ----------------------------------------------------------------------------------


class CarbonCalculator:
    def __init__(
        self,
        store: Store,
        factors: FactorLookup,
        clock: Clock = utc_now,
        config: CalculationConfig | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        budget_s: float = DEFAULT_BUDGET_S,
        sleep: Callable[[float], None] = time.sleep,
        regions: RegionLookup | None = None,
    ) -> None:
        self.store = store
        self.factors = factors
        self.clock = clock
        self.config = config or CalculationConfig()
        self.monotonic = monotonic
        self.budget_s = budget_s
        self.sleep = sleep
        self.regions = regions  # people's profile locations, for activities that report none
        self.version = default_methodology().version
        self.rollups = RollupWriter(store, clock=clock, monotonic=monotonic, sleep=sleep)

    # ---- dispatch -------------------------------------------------------------------------------
    def handle(self, body: Mapping[str, Any], invocation: Invocation) -> dict[str, Any]:
        if invocation.trigger == "schedule":
            return sweep(self, batch=ACTIVITIES_PER_TRANSACTION).to_dict()
        if invocation.trigger == "event":  # no event is configured any more (appwrite.json): a stale deployment
            return {"ok": True, "status": "ignored", "reason": "activities are completed by the scheduled sweep"}
        if not invocation.user_id:
            raise UnauthorizedError("sign in to use the carbon calculator (no x-appwrite-user-id)")
        request = parse_request(body)
        if isinstance(request, CalculateRequest):
            return self.calculate_for(invocation.user_id, request.activity_id)
        if isinstance(request, RecalculateRequest):
            return self.recalculate(invocation.user_id, request.cursor)
        if isinstance(request, SciRequest):
            return sci_report(self.store, invocation.user_id, request)
        assert isinstance(request, EstimateRequest)
        return self.estimate(request.activity)

    # ---- direct executions --------------------------------------------------------------------------
    def calculate_for(self, account_id: str, activity_id: str) -> dict[str, Any]:
        row = self.store.get(activities.NAME, activity_id)
        if row is None or not self._owned_by(account_id, str(row.get("user_id") or "")):
            raise NotFoundError(f"activity {activity_id} not found")
        found, results = self.calculate_and_write([activity_id], only_stale=False)
        if not found:
            raise NotFoundError(f"activity {activity_id} not found")
        return {"ok": True, "status": "calculated", "result": result_json(results[0])}

    def recalculate(self, account_id: str, cursor: str | None) -> dict[str, Any]:
        """The caller's activities whose method version differs, in $id order after ``cursor``, until the
        time budget is spent. Returns ``next_cursor`` (None when done). Rerunning is harmless."""
        started = self.monotonic()
        deadline = started + self.budget_s
        user_ids = [str(u["$id"]) for u in self.store.find(users.NAME, [Query.equal("account_id", account_id)])]
        if not user_ids:
            return {
                "ok": True,
                "done": True,
                "next_cursor": None,
                "checked": 0,
                "recalculated": 0,
                "skipped": [],
                "methodology_version": self.version,
            }
        checked = recalculated = 0
        skipped: list[dict[str, str]] = []
        position = cursor
        done = False
        while self.monotonic() - started < self.budget_s:
            queries = [Query.equal("user_id", user_ids), Query.order_asc("$id"), Query.limit(PAGE_SIZE)]
            if position is not None:
                queries.append(Query.greater_than("$id", position))
            page = self.store.find(activities.NAME, queries)
            stale: list[str] = []
            for row in page:
                if not self._stale(row):
                    continue
                try:
                    activities.from_row(row)
                except ValidationError as exc:  # one malformed row must not block the rest, forever
                    skipped.append({"activity_id": str(row["$id"]), "error": exc.message[:200]})
                    continue
                stale.append(str(row["$id"]))
            for i in range(0, len(stale), ACTIVITIES_PER_TRANSACTION):
                batch = stale[i : i + ACTIVITIES_PER_TRANSACTION]
                _, results = self.calculate_and_write(batch, only_stale=True, deadline=deadline)
                recalculated += len(results)
            checked += len(page)
            if page:
                position = str(page[-1]["$id"])
            if len(page) < PAGE_SIZE:
                done = True
                break
        return {
            "ok": True,
            "done": done,
            "next_cursor": None if done else position,
            "checked": checked,
            "recalculated": recalculated,
            "skipped": skipped[:20],
            "methodology_version": self.version,
        }

    def estimate(self, described: DescribedActivity) -> dict[str, Any]:
        now = self.clock()
        result = calculate_activity(described.to_activity(now), self.factors, now, self.config)
        return {"ok": True, "status": "estimated", "stored": False, "result": result_json(result)}

    # ---- helpers --------------------------------------------------------------------------------------
    def _owned_by(self, account_id: str, user_id: str) -> bool:
        if not user_id or not ROW_ID.match(user_id):
            return False
        user = self.store.get(users.NAME, user_id)
        return user is not None and users.account_of(user) == account_id

    def _stale(self, row: Row) -> bool:
        return row.get("methodology_version") != self.version or row.get("carbon_kg") is None

    def calculate_and_write(
        self, row_ids: Sequence[str], *, only_stale: bool, deadline: float | None = None
    ) -> tuple[bool, list[CarbonResult]]:
        """Read the rows fresh, calculate, write in one transaction; on a conflict (another writer touched
        one of the rows, typically the same ``user_stats`` row) read again and retry with backoff.
        With a ``deadline`` (monotonic), no live fetch is started that could run past it.
        Returns (whether any row exists, the results written)."""
        for attempt in range(WRITE_ATTEMPTS):
            rows = self.store.get_many(activities.NAME, row_ids)
            todo = [rows[i] for i in row_ids if i in rows and (self._stale(rows[i]) or not only_stale)]
            if not todo:
                return bool(rows), []
            outcomes = self._compute(todo, deadline)
            try:
                self._write(outcomes, defer=attempt == WRITE_ATTEMPTS - 1)
            except ConflictError:
                if attempt == WRITE_ATTEMPTS - 1:
                    raise
                delay = BACKOFF_S * 2**attempt * (1 + random.random())  # noqa: S311 - jitter, not security
                log.info("carbon write conflicted (attempt %d); retrying in %.3f s", attempt + 1, delay)
                self.sleep(delay)
                continue
            return True, [result for _, result in outcomes]
        raise AssertionError("unreachable")  # pragma: no cover

    def _compute(self, rows: Sequence[Row], deadline: float | None) -> list[tuple[CarbonOutcome, CarbonResult]]:
        now = self.clock()
        stored = [activities.from_row(row) for row in rows]
        plans = [plan_for(activity, config_for(self.config, activity.user_id, self.regions)) for activity in stored]
        live_budget_s = LIVE_BUDGET_S
        if deadline is not None:
            live_budget_s = min(live_budget_s, deadline - LIVE_CALL_RESERVE_S - self.monotonic())
        found = factors_for(self.factors, [plan.region for plan in plans], live_budget_s)
        out: list[tuple[CarbonOutcome, CarbonResult]] = []
        for row, activity, plan in zip(rows, stored, plans, strict=True):
            result = calculate(plan, found[plan.region], now)
            out.append((CarbonOutcome.recalculated(activity, result, permissions_of(row)), result))
        return out

    def _write(self, outcomes: Sequence[tuple[CarbonOutcome, CarbonResult]], *, defer: bool = False) -> None:
        """One transaction: the carbon write and, for each activity, the change of its rollups; the counted part is
        deferred to pending deltas on the last attempt or when it would not fit."""
        write = CarbonWrite([outcome for outcome, _ in outcomes])
        stats = self.store.get_many(user_stats.NAME, [u for u in write.users_changed() if ROW_ID.match(u)])
        entries = entries_of(write.changes())
        carbon = write.carbon_writes()
        counted = counted_writes(
            entries,
            write.stats,
            CountedState({} if defer else self.rollups.read(entries), stats),
            source=_source(write),
            room=MAX_BATCH - len(carbon),
            now=self.clock(),
            defer=defer,
            create_stats=False,
        )
        with self.store.transaction() as tx:
            tx.stage(*carbon, *counted.writes)
        if counted.pending:
            self.rollups.fold_people(counted.pending_users, budget_s=FOLD_AFTER_S, retry=False)
        for _, result in outcomes:
            log.info(
                "carbon %s %s kg (%s) v%s",
                result.activity_id,
                f"{result.carbon_kg:.6g}",
                result.confidence.value,
                result.methodology_version,
            )


def _source(write: CarbonWrite) -> str:
    """What a batch of results changes, as an id: the same change of the same stored rows has the same source, so
    its pending delta could not be created twice."""
    parts = [
        f"{o.activity.id}:{o.stored.carbon_kg if o.stored else None}:{o.activity.carbon_kg}" for o in write.outcomes
    ]
    return "calc:" + hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()[:40]
