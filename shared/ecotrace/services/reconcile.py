"""Use case: reconcile one period's rollups with the activities they sum (leaderboard-updater, action reconcile).

Rollups are kept by increments, so a bug, a lost write or a manual edit would stay in them for good. This
rebuilds what a period's rollup rows should hold from the activities themselves (``domain.rollups.contribution``,
the rule every writer counts by) and reports every difference; unless ``dry_run``, it corrects each through the
rollup writer's row writes (an increment by the difference, or a create).

It works in slices of people (``users`` by id, ``limit`` per slice) until its time budget is spent and returns a
``next_cursor`` to resume from. For each slice: read the rollup rows, the people's pending deltas (counted already,
not folded yet: they are subtracted from what the activities say) and their activities in the period window
(index ``idx_user_time``), then read the rollup rows again: a person whose rows changed meanwhile (a delivery
counted something) is reported as ``busy`` and left for the next run rather than "corrected" with a stale view.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from appwrite.query import Query

from ..clock import parse_iso, to_iso
from ..domain.ranking import Period, PeriodType, period_for, period_row_id
from ..domain.rollups import COUNT_COLUMNS, ZERO, RollupDelta, RowChange, contribution, rows_of
from ..errors import ConflictError, NotFoundError, ValidationError
from ..ports import MAX_BATCH, Row, Store
from ..tables import activities, pending_deltas, rollups, users

DEFAULT_SLICE = 100
DEFAULT_BUDGET_S = 40.0  # of the function's 60 s
MAX_LISTED = 200  # differences listed in one answer (all are counted)


@dataclass(frozen=True)
class ReconcileRequest:
    period: Period
    cursor: str | None = None  # resume after this users row id
    limit: int = DEFAULT_SLICE  # people per slice
    dry_run: bool = False


def parse_reconcile_request(data: Mapping[str, Any], now: datetime) -> ReconcileRequest:
    """``{"action": "reconcile", "period": "weekly", "key": "2026-W48" | "at": "<ISO time>", "cursor", "limit",
    "dry_run"}``; without ``key`` or ``at`` the current period."""
    allowed = {"action", "period", "key", "at", "cursor", "limit", "dry_run"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError(f"unknown field(s): {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
    try:
        period_type = PeriodType(str(data.get("period", "")))
    except ValueError as exc:
        raise ValidationError(f"period must be one of: {', '.join(p.value for p in PeriodType)}") from exc
    moment = now
    if data.get("at") is not None:
        try:
            moment = parse_iso(str(data["at"]))
        except ValueError as exc:
            raise ValidationError(f"at is not an ISO 8601 time: {data['at']!r}") from exc
    period = period_for(period_type, moment)
    if data.get("key") is not None and str(data["key"]) != period.key:
        period = _period_of_key(period_type, str(data["key"]))
    limit = data.get("limit", DEFAULT_SLICE)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_BATCH:
        raise ValidationError(f"limit must be an integer within 1..{MAX_BATCH}")
    cursor = data.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise ValidationError("cursor must be the next_cursor of an earlier answer")
    return ReconcileRequest(period, cursor, limit, bool(data.get("dry_run", False)))


def _period_of_key(period_type: PeriodType, key: str) -> Period:
    try:
        if period_type is PeriodType.DAILY:
            day = date.fromisoformat(key)
        elif period_type is PeriodType.WEEKLY:
            year, week = key.split("-W")
            day = date.fromisocalendar(int(year), int(week), 1)
        elif period_type is PeriodType.MONTHLY:
            year, month = key.split("-")
            day = date(int(year), int(month), 1)
        else:
            day = date(2000, 1, 1)
    except ValueError as exc:
        raise ValidationError(f"key {key!r} is not a {period_type.value} period key") from exc
    period = rows_of(day)[list(PeriodType).index(period_type)]
    if period.key != key:
        raise ValidationError(f"key {key!r} is not a {period_type.value} period key (did you mean {period.key}?)")
    return period


@dataclass
class ReconcileReport:
    period_type: str
    period_key: str
    dry_run: bool
    done: bool = False
    next_cursor: str | None = None
    users_checked: int = 0
    activities_read: int = 0
    differences_found: int = 0
    rows_corrected: int = 0
    differences: list[dict[str, Any]] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)  # rows changed while being reconciled: run again

    def to_dict(self) -> dict[str, Any]:
        return {"ok": True, **self.__dict__}


@dataclass
class _Expected:
    delta: RollupDelta = ZERO
    days: dict[date, int] = field(default_factory=dict)  # activity_count per day
    login: str = ""

    def add(self, day: date, delta: RollupDelta, login: str) -> None:
        self.delta = self.delta + delta
        self.days[day] = self.days.get(day, 0) + int(delta.get("activity_count"))
        self.login = login or self.login

    @property
    def active_days(self) -> int:
        return sum(1 for count in self.days.values() if count > 0)


def reconcile(
    store: Store,
    request: ReconcileRequest,
    *,
    monotonic: Callable[[], float] = time.monotonic,
    budget_s: float = DEFAULT_BUDGET_S,
) -> ReconcileReport:
    period = request.period
    report = ReconcileReport(period.type.value, period.key, request.dry_run, next_cursor=request.cursor)
    started = monotonic()
    while True:  # at least one slice per call, so every call makes progress
        queries = [Query.order_asc("$id"), Query.select(["$id"]), Query.limit(request.limit)]
        if report.next_cursor is not None:
            queries.append(Query.cursor_after(report.next_cursor))
        people = [str(row["$id"]) for row in store.find(users.NAME, queries)]
        if people:
            _slice(store, period, people, report, request.dry_run)
            report.users_checked += len(people)
            report.next_cursor = people[-1]
        if len(people) < request.limit:
            report.done, report.next_cursor = True, None
            break
        if monotonic() - started >= budget_s:
            break
    return report


def _slice(store: Store, period: Period, people: Sequence[str], report: ReconcileReport, dry_run: bool) -> None:
    ids = {user_id: period_row_id(period.type, period.key, user_id) for user_id in people}
    before = store.get_many(rollups.NAME, list(ids.values()))
    expected = {user_id: _Expected() for user_id in people}
    position = list(PeriodType).index(period.type)
    for row in _pending_rows(store, people):
        for entry in pending_deltas.from_row(row).entries:  # counted by a source, not folded into rows yet
            if rows_of(entry.day)[position].key == period.key:
                expected[entry.user_id].add(entry.day, -entry.delta, "")
    window = [Query.equal("user_id", list(people)), Query.greater_than_equal("timestamp", to_iso(period.start))]
    if period.end is not None:
        window.append(Query.less_than("timestamp", to_iso(period.end)))
    select = Query.select(["$id", *activities.RANKING_COLUMNS])
    for row in store.iterate(activities.NAME, [*window, select], page_size=1000):
        report.activities_read += 1
        fact = activities.facts_from_row(row)
        if fact is None or fact.user_id not in expected:
            continue
        expected[fact.user_id].add(fact.timestamp.date(), contribution(fact), fact.github_login)
    after = store.get_many(rollups.NAME, list(ids.values()))
    changes: list[RowChange] = []
    for user_id in people:
        row_id = ids[user_id]
        old, new = before.get(row_id), after.get(row_id)
        if (old or {}).get("$updatedAt") != (new or {}).get("$updatedAt"):
            report.busy.append(user_id)
            continue
        change = _difference(period, user_id, row_id, new, expected[user_id], report)
        if change is not None:
            changes.append(change)
    if not dry_run and changes:
        _correct(store, changes, report)


def _pending_rows(store: Store, people: Sequence[str]) -> list[Row]:
    return list(store.iterate(pending_deltas.NAME, [Query.equal("user_id", list(people))], page_size=MAX_BATCH))


def _same(column: str, stored: float, wanted: float) -> bool:
    if column in COUNT_COLUMNS or column == "active_days":
        return round(stored) == round(wanted)
    return math.isclose(stored, wanted, rel_tol=1e-9, abs_tol=1e-12)


def _difference(
    period: Period, user_id: str, row_id: str, row: Row | None, expected: _Expected, report: ReconcileReport
) -> RowChange | None:
    stored = rollups.delta_of(row) if row is not None else ZERO
    want = {c: expected.delta.get(c) for c in (*expected.delta.values, *stored.values)}
    if period.type is not PeriodType.DAILY:
        stored_days = rollups.active_days_of(row) if row is not None else 0
        want_days = expected.active_days
    else:
        stored_days = want_days = 0
    wrong = {c: (stored.get(c), v) for c, v in want.items() if not _same(c, stored.get(c), v)}
    if stored_days != want_days:
        wrong["active_days"] = (stored_days, want_days)
    if not wrong:
        return None
    for column, (was, should) in sorted(wrong.items()):
        report.differences_found += 1
        if len(report.differences) < MAX_LISTED:
            report.differences.append(
                {"user_id": user_id, "row_id": row_id, "column": column, "stored": was, "expected": should}
            )
    fix = RollupDelta.of({c: should - was for c, (was, should) in wrong.items() if c != "active_days"})
    login = expected.login or (rollups.stored(row).github_login if row is not None else user_id)
    return RowChange(row_id, period, user_id, login, fix, want_days - stored_days, row is None)


def _correct(store: Store, changes: Sequence[RowChange], report: ReconcileReport) -> None:
    writes = rollups.writes(changes)
    for i in range(0, len(writes), MAX_BATCH):
        batch = writes[i : i + MAX_BATCH]
        try:
            with store.transaction() as tx:
                tx.stage(*batch)
            report.rows_corrected += len(batch)
        except (ConflictError, NotFoundError):  # a row changed meanwhile: the next run sees it again
            report.busy.extend(c.user_id for c in changes[i : i + MAX_BATCH])
