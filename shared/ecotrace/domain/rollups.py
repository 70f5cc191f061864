"""Rollups: per person and period, the sums the leaderboards rank, kept as each counted figure changes. Pure.

ONE rule says what an activity counts for (:func:`contribution`), the one the leaderboard always applied
(``ecotrace.domain.ranking``): nothing for a bot, for a ``counted=False`` row (its energy is carried by other
rows: a workflow run whose jobs arrived) or for a row still waiting for its carbon result (pending); otherwise its
carbon (and range and energy), one activity, one of its type (a pull request only for the step that opens it),
its CI minutes and, for a commit, its lines changed.

Every path that changes an activity row changes its owner's rollups by ``contribution(after) -
contribution(before)`` (:func:`entries_for`): ingest (new rows, runs that become uncounted), a carbon result (the
first one, or a recalculation), a deletion, a reconciliation. Each entry falls on the activity's UTC day and so on
four rows (:func:`rows_of`): the day, its ISO week, its month, and all time. :func:`plan_rows` turns entries and
the stored day counts into one change per row; ``active_days`` of the week, month and all-time rows moves by one
when a day row's ``activity_count`` goes from 0 to more (+1) or back to 0 (-1).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from .github import opens_pull_request
from .models import Activity, ActivityType
from .ranking import ActivityFacts, Period, PeriodType, is_bot_login, period_for, period_row_id, utc
from .stats import count_total

FIGURE_COLUMNS = ("carbon_kg", "carbon_kg_low", "carbon_kg_high", "energy_kwh", "ci_minutes")
COUNT_COLUMNS = ("activity_count", *(count_total(kind) for kind in ActivityType), "lines_changed")
COLUMNS = FIGURE_COLUMNS + COUNT_COLUMNS


@dataclass(frozen=True)
class RollupDelta:
    """A change to one person's sums (names are the ``rollups`` columns; zero columns left out)."""

    values: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, values: Mapping[str, float]) -> RollupDelta:
        unknown = set(values) - set(COLUMNS)
        if unknown:
            raise ValueError(f"not a rollup column: {sorted(unknown)}")
        return cls({k: v for k, v in values.items() if v != 0})

    def get(self, column: str) -> float:
        return self.values.get(column, 0)

    def __add__(self, other: RollupDelta) -> RollupDelta:
        return RollupDelta.of({c: self.get(c) + other.get(c) for c in COLUMNS})

    def __neg__(self) -> RollupDelta:
        return RollupDelta.of({c: -v for c, v in self.values.items()})

    def __sub__(self, other: RollupDelta) -> RollupDelta:
        return self + (-other)

    def __bool__(self) -> bool:
        return bool(self.values)


ZERO = RollupDelta()


def facts_of(activity: Activity) -> ActivityFacts:
    """What ranking needs of an activity (``tables.activities.facts_from_row`` reads the same from a row)."""
    return ActivityFacts(
        user_id=activity.user_id,
        github_login=activity.github_login,
        is_bot=activity.is_bot,
        type=activity.type.value,
        counted=activity.counted,
        carbon_kg=activity.carbon_kg,
        timestamp=utc(activity.timestamp),
        lines_changed=(activity.lines_added or 0) + (activity.lines_deleted or 0),
        duration_s=activity.duration_s or 0.0,
        opens_pr=opens_pull_request(activity.type.value, activity.external_id),
        carbon_kg_low=activity.carbon_kg_low,
        carbon_kg_high=activity.carbon_kg_high,
        energy_kwh=activity.energy_kwh,
    )


def contribution(fact: ActivityFacts) -> RollupDelta:
    """What one activity adds to its owner's sums (see the module docstring)."""
    if fact.is_bot or is_bot_login(fact.github_login) or not fact.counted or fact.carbon_kg is None:
        return ZERO
    values: dict[str, float] = {
        "carbon_kg": fact.carbon_kg,
        "carbon_kg_low": fact.carbon_kg_low if fact.carbon_kg_low is not None else fact.carbon_kg,
        "carbon_kg_high": fact.carbon_kg_high if fact.carbon_kg_high is not None else fact.carbon_kg,
        "energy_kwh": fact.energy_kwh or 0.0,
        "activity_count": 1,
    }
    if fact.type != ActivityType.PR.value or fact.opens_pr:
        values[count_total(fact.type)] = 1
    if fact.type == ActivityType.CI_RUN.value:
        values["ci_minutes"] = fact.duration_s / 60.0
    elif fact.type == ActivityType.COMMIT.value:
        values["lines_changed"] = fact.lines_changed  # pull requests repeat their commits' lines
    return RollupDelta.of(values)


@dataclass(frozen=True)
class RollupEntry:
    """A change to one person's sums on one UTC day (and so to that day's week, month and all time)."""

    user_id: str
    github_login: str
    day: date
    delta: RollupDelta


def entries_for(before: ActivityFacts | None, after: ActivityFacts | None) -> list[RollupEntry]:
    """The entries of one activity changing from ``before`` to ``after`` (None: it did not exist / is deleted):
    ``-contribution(before)`` on its day and ``+contribution(after)`` on its day (they add up when the days are
    the same)."""
    out: list[RollupEntry] = []
    if before is not None and (delta := contribution(before)):
        out.append(RollupEntry(before.user_id, before.github_login, before.timestamp.date(), -delta))
    if after is not None and (delta := contribution(after)):
        out.append(RollupEntry(after.user_id, after.github_login, after.timestamp.date(), delta))
    return out


def rows_of(day: date) -> tuple[Period, Period, Period, Period]:
    """The day's own period and the week, month and all-time periods it belongs to."""
    moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    return tuple(period_for(kind, moment) for kind in PeriodType)  # type: ignore[return-value]


def row_ids_of(entries: Iterable[RollupEntry]) -> list[str]:
    """The ids of every rollup row the entries touch (what the writer reads before it plans)."""
    return list(dict.fromkeys(period_row_id(p.type, p.key, e.user_id) for e in entries for p in rows_of(e.day)))


@dataclass(frozen=True)
class StoredRollup:
    """What planning needs of a stored rollup row."""

    activity_count: int
    github_login: str


@dataclass(frozen=True)
class RowChange:
    """The change of one rollup row: add ``delta`` (and ``active_days``); ``create`` when no row was read."""

    row_id: str
    period: Period
    user_id: str
    github_login: str
    delta: RollupDelta
    active_days: int  # the change of active_days (always 0 for a day row)
    create: bool


@dataclass
class _Pending:
    period: Period
    user_id: str
    delta: RollupDelta = ZERO
    active_days: int = 0


def plan_rows(entries: Iterable[RollupEntry], stored: Mapping[str, StoredRollup]) -> list[RowChange]:
    """One change per touched row, given the rows read (absent ids: no row yet)."""
    by_day: dict[tuple[str, date], RollupDelta] = {}
    logins: dict[str, str] = {}
    for entry in entries:
        key = (entry.user_id, entry.day)
        by_day[key] = by_day.get(key, ZERO) + entry.delta
        logins[entry.user_id] = entry.github_login
    pending: dict[str, _Pending] = {}
    for (user_id, day), delta in sorted(by_day.items()):
        if not delta:
            continue
        periods = rows_of(day)
        day_row = period_row_id(periods[0].type, periods[0].key, user_id)
        before = stored[day_row].activity_count if day_row in stored else 0
        after = before + int(delta.get("activity_count"))
        moved = int(before <= 0 < after) - int(after <= 0 < before)
        for period in periods:
            row_id = period_row_id(period.type, period.key, user_id)
            slot = pending.setdefault(row_id, _Pending(period, user_id))
            slot.delta = slot.delta + delta
            if period.type is not PeriodType.DAILY:
                slot.active_days += moved
    return [
        RowChange(row_id, s.period, s.user_id, logins[s.user_id], s.delta, s.active_days, row_id not in stored)
        for row_id, s in pending.items()
        if s.delta or s.active_days
    ]
