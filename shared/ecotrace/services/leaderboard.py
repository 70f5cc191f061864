"""Use case: recompute the leaderboards (daily, weekly, monthly, all-time) from the ``activities`` table.

One run:

1. works out the periods to refresh (the current period of each requested type, plus the previous one
   during the first hours of a new period: see ``ranking.periods_to_refresh``);
2. reads activities by cursor pagination, selecting only the columns ranking needs, each row once: first
   the union of the day/week/month windows (ranked and written right away), then, for all-time, the rows
   outside that window; each activity is added to every period whose window contains it;
3. ranks each period (``ecotrace.domain.ranking`` holds the rule and what counts);
4. compares with the period's stored rows and writes only what changed: entries of users who dropped out of
   the period (no longer eligible, became a bot, their activities were re-marked) are deleted first, so a
   reader never sees a stale rank; new or changed entries are then bulk-upserted in batches of 100 in rank
   order. Unchanged rows are not rewritten: each write is a realtime event on the ``leaderboards`` row
   channels, which is how clients see the leaderboard move, so a write without a change would be noise.

Between the deletes and the last upsert batch of a period a reader can briefly see a gap or two entries
with the same rank (bulk writes are atomic per batch of 100, not per period); the next read is consistent.
Activities still waiting for a carbon result are counted as pending and reported, not ranked.
"""

from __future__ import annotations

import contextlib
import dataclasses
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
    PeriodTally,
    PeriodType,
    leaderboard_row_id,
    periods_to_refresh,
    rank_users,
)
from ..errors import EcoTraceError, NotFoundError, ValidationError
from ..ports import MAX_BATCH, Row, Store
from ..tables import activities, leaderboards, users

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 1000
DEFAULT_TIME_BUDGET_S = 45.0  # of the function's 60 s timeout; the rest is left for the writes


class TimeBudgetExceededError(EcoTraceError):
    """The run would not finish inside the function's timeout; nothing was written."""

    status = 503
    code = "time_budget_exceeded"


@dataclass(frozen=True)
class LeaderboardOptions:
    min_activities: int = 1  # counted, calculated activities a user needs in a period to be ranked
    page_size: int = DEFAULT_PAGE_SIZE  # rows per list request when reading activities
    settle: timedelta = timedelta(hours=12)  # the previous period is refreshed while the current is younger
    time_budget_s: float | None = None  # stop reading (and write nothing) after this long

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
    """``{"periods": ["daily", ...], "now": "2026-11-25T12:00:00Z"}``, both optional."""
    unknown = sorted(set(data) - {"periods", "now"})
    if unknown:
        raise ValidationError(f"unknown field(s): {', '.join(unknown)}; allowed: periods, now")
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
    users_ranked: int = 0
    users_below_minimum: int = 0
    rows_written: int = 0
    rows_unchanged: int = 0
    rows_removed: int = 0
    pending_activities: int = 0
    bot_activities_skipped: int = 0
    not_counted_skipped: int = 0


@dataclass
class LeaderboardRun:
    now: str
    periods: list[PeriodReport] = field(default_factory=list)
    activities_read: int = 0
    malformed_activities: int = 0
    pending_activities: int = 0  # distinct activities in the refreshed windows still without a carbon result
    users_ranked: int = 0  # distinct users ranked in at least one of the periods
    rows_written: int = 0
    rows_removed: int = 0
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
    """Refresh the requested leaderboards; see the module docstring.

    Two phases, so that a large all-time history cannot hold back the daily, weekly and monthly boards:
    (1) read the window of the bounded periods, rank and write them; (2) if all-time is requested, read the
    activities outside that window (before it, and any dated after it), rank and write all-time. The time
    budget is checked while reading: over budget in phase 1 nothing is written; in phase 2 the bounded
    periods are already written and all-time is left as it was.
    """
    request = request or RunRequest()
    options = options or LeaderboardOptions()
    started = monotonic()
    now = request.now or clock()
    periods = periods_to_refresh(request.period_types, now, settle=options.settle)
    run = LeaderboardRun(now=to_iso(now))
    tallies = {p: PeriodTally(p) for p in periods}
    bounded = [p for p in periods if p.end is not None]
    unbounded = [p for p in periods if p.end is None]
    select = Query.select(["$id", *activities.RANKING_COLUMNS])
    bots = bot_user_ids(store)
    hidden = hidden_user_ids(store)
    ranked_users: set[str] = set()

    def scan(queries: list[str], targets: list[PeriodTally], written: list[Period]) -> None:
        for row in store.iterate(activities.NAME, queries, page_size=options.page_size):
            run.activities_read += 1
            if options.time_budget_s is not None and run.activities_read % options.page_size == 0:
                _check_budget(monotonic() - started, options.time_budget_s, run.activities_read, written)
            fact = activities.facts_from_row(row)
            if fact is None:
                run.malformed_activities += 1
                continue
            if fact.user_id in hidden:  # opted out: not ranked anywhere
                continue
            if fact.user_id in bots and not fact.is_bot:
                fact = dataclasses.replace(fact, is_bot=True)
            seen = False
            for target in targets:
                if target.period.contains(fact.timestamp):
                    target.add(fact)
                    seen = True
            if seen and not fact.is_bot and fact.counted and fact.carbon_kg is None:
                run.pending_activities += 1
        if options.time_budget_s is not None:
            _check_budget(monotonic() - started, options.time_budget_s, run.activities_read, written)

    def write(group: list[Period]) -> None:
        written_at = to_iso(clock())
        for period in group:
            report = _write_period(store, tallies[period], options, written_at, ranked_users)
            run.periods.append(report)
            run.rows_written += report.rows_written
            run.rows_removed += report.rows_removed

    outside: list[list[str]] = [[select]]
    if bounded:
        start = to_iso(min(p.start for p in bounded))
        end = to_iso(max(p.end for p in bounded if p.end is not None))
        window = [Query.greater_than_equal("timestamp", start), Query.less_than("timestamp", end)]
        scan([select, *window], list(tallies.values()), [])
        write(bounded)
        outside = [[select, Query.less_than("timestamp", start)], [select, Query.greater_than_equal("timestamp", end)]]
    if unbounded:
        for queries in outside:
            scan(queries, [tallies[p] for p in unbounded], bounded)
        write(unbounded)

    run.users_ranked = len(ranked_users)
    run.duration_s = round(monotonic() - started, 3)
    log.info(
        "leaderboards updated: %d activities, %d rows written, %d removed, %d pending, %.2f s",
        run.activities_read,
        run.rows_written,
        run.rows_removed,
        run.pending_activities,
        run.duration_s,
    )
    return run


def _check_budget(elapsed_s: float, budget_s: float, read: int, written: list[Period]) -> None:
    if elapsed_s <= budget_s:
        return
    done = ", ".join(p.label for p in written)
    outcome = f"{done} were written; all-time was left as it was" if written else "nothing was written"
    raise TimeBudgetExceededError(
        f"reading activities took {elapsed_s:.1f} s (budget {budget_s:.0f} s) after {read} rows; {outcome}: "
        "raise the function timeout and LEADERBOARD_TIME_BUDGET_S, or refresh all-time less often",
        details={"activities_read": read, "written": [p.label for p in written]},
    )


def bot_user_ids(store: Store) -> frozenset[str]:
    """Users labelled as bots in the ``users`` table, whatever their activity rows say (few rows)."""
    queries = [Query.equal("is_bot", True), Query.select(["$id"])]
    return frozenset(str(row["$id"]) for row in store.iterate(users.NAME, queries, page_size=MAX_BATCH))


def hidden_user_ids(store: Store) -> frozenset[str]:
    """People who opted out of the leaderboards (``users.leaderboard_visible`` false; few rows)."""
    queries = [Query.equal("leaderboard_visible", False), Query.select(["$id"])]
    return frozenset(str(row["$id"]) for row in store.iterate(users.NAME, queries, page_size=MAX_BATCH))


def stored_entries(store: Store, period: Period, page_size: int = MAX_BATCH) -> dict[str, Row]:
    queries = [Query.equal("period_type", period.type.value), Query.equal("period_key", period.key)]
    return {str(row["$id"]): row for row in store.iterate(leaderboards.NAME, queries, page_size=page_size)}


def _write_period(
    store: Store, period_tally: PeriodTally, options: LeaderboardOptions, written_at: str, ranked_users: set[str]
) -> PeriodReport:
    period = period_tally.period
    ranked = rank_users(period_tally.users.values(), min_activities=options.min_activities)
    ranked_users.update(e.totals.user_id for e in ranked)
    report = PeriodReport(
        period_type=period.type.value,
        period_key=period.key,
        period_start=to_iso(period.start),
        users_ranked=len(ranked),
        users_below_minimum=len(period_tally.users) - len(ranked),
        pending_activities=period_tally.pending,
        bot_activities_skipped=period_tally.bots_skipped,
        not_counted_skipped=period_tally.not_counted,
    )
    stored = stored_entries(store, period, page_size=options.page_size)
    wanted: dict[str, dict[str, Any]] = {}
    for entry in ranked:
        row_id = leaderboard_row_id(period.type, period.key, entry.totals.user_id)
        wanted[row_id] = leaderboards.entry_columns(period, entry)

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
