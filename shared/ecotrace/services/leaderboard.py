"""Use case: the leaderboards (daily, weekly, monthly, all-time), ranked from the ``rollups`` table.

One run:

1. folds the pending deltas that deliveries under contention left behind (``services.rollups``, bounded), so the
   rollups hold every counted activity, and purges expired rows of the global feed (``services.feed``, bounded);
2. works out the periods to refresh (the current period of each requested type, plus the previous one during
   the first hours of a new period: ``ranking.periods_to_refresh``);
3. reads each period's rollup rows (index ``idx_period``: one row per person active in the period, never an
   activity, so a run costs O(users) whatever the history) and the people to leave out (bots and those who
   opted out: ``users.is_bot``, ``users.leaderboard_visible = false``);
4. ranks each period (``ecotrace.domain.ranking`` holds the rule: carbon per kloc changed, lowest first), compares
   with the period's stored rows and writes only what changed: entries of users who dropped out are deleted
   first, so a reader never sees a stale rank; new or changed entries are then bulk-upserted in batches of 100 in
   rank order. Unchanged rows are not rewritten: each write is a realtime event on the ``leaderboards`` row
   channels, which is how clients see the leaderboard move. ``previous_rank`` / ``rank_change`` /
   ``rank_changed_at`` give each entry's movement (``tables.leaderboards``).

Between the deletes and the last upsert batch of a period a reader can briefly see a gap or two entries with the
same rank (bulk writes are atomic per batch of 100, not per period); the next read is consistent.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from appwrite.query import Query

from ..clock import Clock, parse_iso, to_iso, utc_now
from ..domain.ranking import (
    Period,
    PeriodType,
    UserTotals,
    has_units,
    leaderboard_row_id,
    periods_to_refresh,
    rank_users,
)
from ..errors import EcoTraceError, NotFoundError, ValidationError
from ..ports import MAX_BATCH, Row, Store
from ..tables import leaderboards, rollups, users
from .feed import purge_expired
from .rollups import RollupWriter

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 1000
DEFAULT_TIME_BUDGET_S = 45.0  # of the function's 60 s timeout; the rest is left for the writes
FOLD_BUDGET_S = 10.0  # of the run, folding pending deltas first
FOLD_LIMIT = 500


class TimeBudgetExceededError(EcoTraceError):
    """The run would not finish inside the function's timeout; the periods not yet written were left as they were."""

    status = 503
    code = "time_budget_exceeded"


@dataclass(frozen=True)
class LeaderboardOptions:
    min_activities: int = 1  # counted, calculated activities a user needs in a period to be ranked
    page_size: int = DEFAULT_PAGE_SIZE  # rows per list request when reading rollups
    settle: timedelta = timedelta(hours=12)  # the previous period is refreshed while the current is younger
    time_budget_s: float | None = None  # stop before the next period after this long

    def __post_init__(self) -> None:
        if self.min_activities < 1:
            raise ValidationError("min_activities must be at least 1")
        if not 1 <= self.page_size <= 5000:
            raise ValidationError("page_size must be within 1..5000")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LeaderboardOptions:
        """``LEADERBOARD_MIN_ACTIVITIES``, ``LEADERBOARD_PAGE_SIZE``, ``LEADERBOARD_SETTLE_HOURS``,
        ``LEADERBOARD_TIME_BUDGET_S`` (each optional; the budget defaults to 45 s, ``0`` turns it off)."""
        try:
            budget = env.get("LEADERBOARD_TIME_BUDGET_S", str(DEFAULT_TIME_BUDGET_S))
            return cls(
                min_activities=int(env.get("LEADERBOARD_MIN_ACTIVITIES", "1")),
                page_size=int(env.get("LEADERBOARD_PAGE_SIZE", str(DEFAULT_PAGE_SIZE))),
                settle=timedelta(hours=float(env.get("LEADERBOARD_SETTLE_HOURS", "12"))),
                time_budget_s=float(budget) if budget and float(budget) > 0 else None,
            )
        except ValueError as exc:
            raise ValidationError(f"bad leaderboard setting: {exc}") from exc


@dataclass(frozen=True)
class RunRequest:
    period_types: tuple[PeriodType, ...] = tuple(PeriodType)
    now: datetime | None = None  # reference time for backfills; default: the clock


def parse_run_request(data: Mapping[str, Any]) -> RunRequest:
    """``{"periods": ["daily", ...], "now": "2026-11-25T12:00:00Z"}``, both optional (``"action": "run"`` too)."""
    unknown = sorted(set(data) - {"action", "periods", "now"})
    if unknown:
        raise ValidationError(f"unknown field(s): {', '.join(unknown)}; allowed: action, periods, now")
    if data.get("action", "run") != "run":
        raise ValidationError(f"unknown action {data.get('action')!r}; allowed: run, reconcile")
    raw_periods = data.get("periods")
    period_types: tuple[PeriodType, ...] = tuple(PeriodType)
    if raw_periods is not None:
        allowed = ", ".join(p.value for p in PeriodType)
        if not isinstance(raw_periods, list) or not raw_periods:
            raise ValidationError(f"periods must be a non-empty list of: {allowed}")
        try:
            period_types = tuple(dict.fromkeys(PeriodType(str(p)) for p in raw_periods))
        except ValueError as exc:
            raise ValidationError(f"unknown period in {raw_periods!r}; allowed: {allowed}") from exc
    now: datetime | None = None
    raw_now = data.get("now")
    if raw_now is not None:
        if not isinstance(raw_now, str):
            raise ValidationError("now must be an ISO 8601 string, e.g. 2026-11-25T12:00:00Z")
        try:
            now = parse_iso(raw_now)
        except ValueError as exc:
            raise ValidationError(f"now is not an ISO 8601 time: {raw_now!r}") from exc
    return RunRequest(period_types, now)


@dataclass
class PeriodReport:
    period_type: str
    period_key: str
    period_start: str
    rollup_rows_read: int = 0
    users_ranked: int = 0
    users_below_minimum: int = 0  # fewer counted, calculated activities than LEADERBOARD_MIN_ACTIVITIES
    users_without_units: int = 0  # no commit lines (R = 0) in the period: nothing to be efficient per
    users_left_out: int = 0  # bots and people who opted out
    rows_written: int = 0
    rows_unchanged: int = 0
    rows_removed: int = 0


@dataclass
class LeaderboardRun:
    now: str
    periods: list[PeriodReport] = field(default_factory=list)
    rollup_rows_read: int = 0
    users_ranked: int = 0  # distinct users ranked in at least one of the periods
    rows_written: int = 0
    rows_removed: int = 0
    pending_folded: int = 0
    pending_left: int = 0
    feed_purged: int = 0
    duration_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def update_leaderboards(
    store: Store,
    request: RunRequest | None = None,
    *,
    options: LeaderboardOptions | None = None,
    clock: Clock = utc_now,
    monotonic: Callable[[], float] = time.monotonic,
) -> LeaderboardRun:
    """Refresh the requested leaderboards; see the module docstring. The bounded periods are written first and
    all-time last; past the time budget the periods not yet written are left as they were."""
    request = request or RunRequest()
    options = options or LeaderboardOptions()
    started = monotonic()
    now = request.now or clock()
    run = LeaderboardRun(now=to_iso(now))
    folded = RollupWriter(store, clock=clock, monotonic=monotonic).fold_pending(
        limit=FOLD_LIMIT, budget_s=FOLD_BUDGET_S
    )
    run.pending_folded, run.pending_left = folded.folded, folded.left
    run.feed_purged = purge_expired(store, clock())
    left_out = left_out_user_ids(store)
    ranked_users: set[str] = set()
    periods = sorted(periods_to_refresh(request.period_types, now, settle=options.settle), key=lambda p: p.end is None)
    written: list[Period] = []
    for period in periods:
        if options.time_budget_s is not None and monotonic() - started > options.time_budget_s:
            _over_budget(monotonic() - started, options.time_budget_s, written, periods)
        report = _refresh(store, period, left_out, options, to_iso(clock()), ranked_users)
        run.periods.append(report)
        run.rollup_rows_read += report.rollup_rows_read
        run.rows_written += report.rows_written
        run.rows_removed += report.rows_removed
        written.append(period)
    run.users_ranked = len(ranked_users)
    run.duration_s = round(monotonic() - started, 3)
    log.info(
        "leaderboards updated: %d rollup rows, %d rows written, %d removed, %d deltas folded, %.2f s",
        run.rollup_rows_read,
        run.rows_written,
        run.rows_removed,
        run.pending_folded,
        run.duration_s,
    )
    return run


def _over_budget(elapsed_s: float, budget_s: float, written: list[Period], periods: list[Period]) -> None:
    done = ", ".join(p.label for p in written) or "nothing"
    left = ", ".join(p.label for p in periods if p not in written)
    raise TimeBudgetExceededError(
        f"the run took {elapsed_s:.1f} s (budget {budget_s:.0f} s); {done} written, {left} left as they were",
        details={"written": [p.label for p in written]},
    )


def left_out_user_ids(store: Store) -> frozenset[str]:
    """People never ranked: labelled bots, and those who opted out (few rows: both columns are indexed)."""
    out: set[str] = set()
    for queries in ([Query.equal("is_bot", True)], [Query.equal("leaderboard_visible", False)]):
        out.update(str(row["$id"]) for row in store.iterate(users.NAME, [*queries, Query.select(["$id"])], MAX_BATCH))
    return frozenset(out)


def period_totals(store: Store, period: Period, page_size: int = DEFAULT_PAGE_SIZE) -> list[UserTotals]:
    """Every person's sums in one period, from its rollup rows."""
    queries = [Query.equal("period_type", period.type.value), Query.equal("period_key", period.key)]
    return [rollups.totals_of(row) for row in store.iterate(rollups.NAME, queries, page_size=page_size)]


def stored_entries(store: Store, period: Period, page_size: int = MAX_BATCH) -> dict[str, Row]:
    queries = [Query.equal("period_type", period.type.value), Query.equal("period_key", period.key)]
    return {str(row["$id"]): row for row in store.iterate(leaderboards.NAME, queries, page_size=page_size)}


def _refresh(
    store: Store,
    period: Period,
    left_out: frozenset[str],
    options: LeaderboardOptions,
    written_at: str,
    ranked_users: set[str],
) -> PeriodReport:
    report = PeriodReport(period.type.value, period.key, to_iso(period.start))
    everyone = period_totals(store, period, options.page_size)
    report.rollup_rows_read = len(everyone)
    active = [t for t in everyone if t.activity_count > 0]
    candidates = [t for t in active if t.user_id not in left_out]
    report.users_left_out = len(active) - len(candidates)
    ranked = rank_users(candidates, min_activities=options.min_activities)
    ranked_users.update(e.totals.user_id for e in ranked)
    report.users_ranked = len(ranked)
    report.users_without_units = sum(1 for t in candidates if not has_units(t))
    report.users_below_minimum = sum(
        1 for t in candidates if has_units(t) and t.activity_count < options.min_activities
    )
    stored = stored_entries(store, period, page_size=options.page_size)
    wanted: dict[str, dict[str, Any]] = {}
    for entry in ranked:
        row_id = leaderboard_row_id(period.type, period.key, entry.totals.user_id)
        wanted[row_id] = leaderboards.entry_columns(period, entry, stored.get(row_id), written_at)

    for row_id in sorted(set(stored) - set(wanted)):
        with contextlib.suppress(NotFoundError):  # another run removed it first
            store.delete(leaderboards.NAME, row_id)
        report.rows_removed += 1

    changed: list[Row] = []
    for row_id, columns in wanted.items():  # rank order
        old = stored.get(row_id)
        if old is not None and leaderboards.unchanged(old, columns):
            report.rows_unchanged += 1
            continue
        changed.append(leaderboards.to_row(row_id, columns, written_at))
    _bulk_upsert(store, changed)
    report.rows_written = len(changed)
    return report


def _bulk_upsert(store: Store, rows: Iterable[Row]) -> None:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) == MAX_BATCH:
            store.bulk_upsert(leaderboards.NAME, batch)
            batch = []
    if batch:
        store.bulk_upsert(leaderboards.NAME, batch)
