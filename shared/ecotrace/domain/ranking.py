"""Leaderboard ranking: period windows, per-user aggregation and the ranking rule. Pure: no I/O.

Periods (all windows in UTC, start inclusive, end exclusive):

- ``daily``: the calendar day, key ``2026-11-25``;
- ``weekly``: the ISO 8601 week (Monday to Monday), key ``2026-W48`` (ISO week-numbering year, so
  2027-01-01 belongs to ``2026-W53``);
- ``monthly``: the calendar month, key ``2026-11``;
- ``all_time``: everything, key ``all``; its ``period_start`` is the Unix epoch.

What counts. Every figure on a leaderboard row is computed over the same rows: the user's activities in the
period that are *counted* and *calculated*:

- bot activities (``is_bot``, a login ending in ``[bot]``, or a user labelled ``is_bot`` in the ``users``
  table) are skipped: bots are never ranked;
- ``counted=False`` rows are skipped everywhere (carbon, activity and per-type counts, CI minutes, lines,
  active days): such a row's energy is already carried by other rows (a workflow run whose jobs arrived is
  represented by its job rows), so counting it again would count the same work twice. ``ci_run_count``
  therefore counts the CI rows that carry energy: jobs, or whole runs when no job rows arrived;
- rows without a carbon result (``carbon_kg`` null) are *pending*: the calculation has not run yet. They
  are reported as pending and left out until calculated, so a user is never ranked on half their work.

The ranking rule. EcoTrace is a gamified footprint tracker, so "best" means most carbon-efficient, not least
active. The score is ``carbon_per_activity_kg = carbon_kg / activity_count`` (kg CO2e per counted activity:
commit, pull request, CI job or run, deployment); lowest first. Ties are broken by more activities, then by
login (case-insensitive), then by user id, so the order is total and deterministic. A user needs at least
``min_activities`` counted, calculated activities in the period (default 1) to be ranked.

Ranks are ordinal ``1..n``: every ranked user has a distinct rank, because the tie-breaks above leave no
ties. ``percentile`` is the share of the *other* ranked users that a user beats (ranks below), in percent:
``100 * (n - rank) / (n - 1)``; the first of ``n`` gets 100, the last 0, and a lone ranked user gets 100.

Other metrics: ``carbon_per_commit_kg = carbon_kg / commit_count`` (all of the period's carbon, CI and
deployments included, per commit delivered; null without commits); ``carbon_per_kloc_kg`` is ``carbon_kg``
per 1,000 lines changed (added + deleted) in commits (pull requests are made of commits, so their lines are
not added again; null when no line counts are known); ``ci_minutes`` sums ``duration_s`` of CI rows;
``active_days`` counts distinct UTC calendar days with at least one counted, calculated activity.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from .models import ActivityType

ALL_TIME_KEY = "all"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_ROW_ID = 36
_ROW_ID_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
ACTIVITY_TYPES = tuple(t.value for t in ActivityType)


class PeriodType(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    ALL_TIME = "all_time"


@dataclass(frozen=True)
class Period:
    """One leaderboard period: ``start <= t < end`` (``end`` None: unbounded)."""

    type: PeriodType
    key: str
    start: datetime
    end: datetime | None

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment and (self.end is None or moment < self.end)

    @property
    def label(self) -> str:
        return f"{self.type.value}:{self.key}"


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is refused (ValueError)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: leaderboard periods need timezone-aware UTC times")
    return moment.astimezone(UTC)


def period_for(period_type: PeriodType, moment: datetime) -> Period:
    """The period of ``period_type`` that contains ``moment``."""
    moment = utc(moment)
    day = moment.date()
    if period_type is PeriodType.DAILY:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return Period(period_type, day.isoformat(), start, start + timedelta(days=1))
    if period_type is PeriodType.WEEKLY:
        iso = day.isocalendar()
        monday = day - timedelta(days=iso.weekday - 1)
        start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
        return Period(period_type, f"{iso.year}-W{iso.week:02d}", start, start + timedelta(days=7))
    if period_type is PeriodType.MONTHLY:
        start = datetime(day.year, day.month, 1, tzinfo=UTC)
        end = datetime(day.year + (day.month == 12), day.month % 12 + 1, 1, tzinfo=UTC)
        return Period(period_type, f"{day.year:04d}-{day.month:02d}", start, end)
    return Period(PeriodType.ALL_TIME, ALL_TIME_KEY, EPOCH, None)


def previous_period(period: Period) -> Period | None:
    """The period just before ``period`` (None for all_time, which has no predecessor)."""
    if period.type is PeriodType.ALL_TIME:
        return None
    return period_for(period.type, period.start - timedelta(microseconds=1))


def leaderboard_row_id(period_type: PeriodType, period_key: str, user_id: str) -> str:
    """``<period_type>_<period_key>_<user_id>``; if that is longer than 36 characters or holds characters a
    row id may not, the user part becomes ``h.`` + a SHA-256 prefix of the user id (deterministic)."""
    prefix = f"{period_type.value}_{period_key}_"
    plain = prefix + user_id
    if len(plain) <= MAX_ROW_ID and _ROW_ID_OK.match(plain):
        return plain
    room = MAX_ROW_ID - len(prefix) - 2
    if room < 12:
        raise ValueError(f"period key {period_key!r} leaves no room for a user id in a 36-character row id")
    return prefix + "h." + hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:room]


@dataclass(frozen=True, slots=True)
class ActivityFacts:
    """What ranking needs of one activity (read from its row by ``ecotrace.tables.activities.facts_from_row``)."""

    user_id: str
    github_login: str
    is_bot: bool
    type: str
    counted: bool
    carbon_kg: float | None
    timestamp: datetime
    lines_changed: int
    duration_s: float
    opens_pr: bool = False  # a ``pr`` row that opens its pull request: only these feed pr_count


def is_bot_login(login: str) -> bool:
    """GitHub App bot accounts have logins ending in ``[bot]`` (e.g. ``dependabot[bot]``)."""
    return login.lower().endswith("[bot]")


@dataclass(slots=True)
class UserTotals:
    """One user's counted, calculated activities in one period."""

    user_id: str
    github_login: str
    login_seen_at: datetime = EPOCH
    carbon_kg: float = 0.0
    activity_count: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIVITY_TYPES, 0))
    ci_seconds: float = 0.0
    lines_changed: int = 0
    days: set[date] = field(default_factory=set)

    def add(self, fact: ActivityFacts) -> None:
        if fact.timestamp >= self.login_seen_at:  # the most recent login wins (renames)
            self.github_login = fact.github_login
            self.login_seen_at = fact.timestamp
        self.carbon_kg += fact.carbon_kg or 0.0
        self.activity_count += 1
        if fact.type != "pr" or fact.opens_pr:
            self.counts[fact.type] += 1
        if fact.type == "ci_run":
            self.ci_seconds += fact.duration_s
        elif fact.type == "commit":
            self.lines_changed += fact.lines_changed
        self.days.add(fact.timestamp.date())

    @property
    def carbon_per_activity_kg(self) -> float:
        return self.carbon_kg / self.activity_count if self.activity_count else float("inf")


@dataclass(slots=True)
class PeriodTally:
    """Aggregation of one period: totals per user plus what was left out and why."""

    period: Period
    users: dict[str, UserTotals] = field(default_factory=dict)
    pending: int = 0  # counted, non-bot activities still waiting for a carbon result
    bots_skipped: int = 0
    not_counted: int = 0

    def add(self, fact: ActivityFacts) -> None:
        """Add one activity (the caller checks ``period.contains``)."""
        if fact.is_bot or is_bot_login(fact.github_login):
            self.bots_skipped += 1
            return
        if not fact.counted:
            self.not_counted += 1
            return
        if fact.carbon_kg is None:
            self.pending += 1
            return
        totals = self.users.get(fact.user_id)
        if totals is None:
            totals = self.users[fact.user_id] = UserTotals(fact.user_id, fact.github_login)
        totals.add(fact)


def tally(period: Period, facts: Iterable[ActivityFacts]) -> PeriodTally:
    """Aggregate the activities of ``period`` (activities outside its window are ignored)."""
    result = PeriodTally(period)
    for fact in facts:
        if period.contains(fact.timestamp):
            result.add(fact)
    return result


@dataclass(frozen=True, slots=True)
class RankedEntry:
    rank: int
    percentile: float
    totals: UserTotals


def ranking_key(totals: UserTotals) -> tuple[float, int, str, str]:
    """Sort key of the ranking rule: score ascending, more activities first, then login, then user id."""
    return (totals.carbon_per_activity_kg, -totals.activity_count, totals.github_login.casefold(), totals.user_id)


def percentile_for(rank: int, ranked: int) -> float:
    """Share of the other ``ranked - 1`` users that rank ``rank`` beats, 0..100 (a lone user: 100)."""
    if not 1 <= rank <= ranked:
        raise ValueError(f"rank {rank} outside 1..{ranked}")
    if ranked == 1:
        return 100.0
    return 100.0 * (ranked - rank) / (ranked - 1)


def rank_users(totals: Iterable[UserTotals], *, min_activities: int = 1) -> list[RankedEntry]:
    """Rank the users with at least ``min_activities`` counted, calculated activities (best first)."""
    if min_activities < 1:
        raise ValueError("min_activities must be at least 1")
    eligible = sorted((t for t in totals if t.activity_count >= min_activities), key=ranking_key)
    n = len(eligible)
    return [RankedEntry(i, percentile_for(i, n), t) for i, t in enumerate(eligible, start=1)]


def periods_to_refresh(
    period_types: Sequence[PeriodType], now: datetime, *, settle: timedelta = timedelta(hours=12)
) -> list[Period]:
    """The current period of each type, plus the previous one while the current is younger than ``settle``.

    The schedule runs every 6 hours, so activities of the last hours of a day (week, month), and carbon
    results that arrive late, would otherwise never reach that period's final ranking.
    """
    out: list[Period] = []
    for period_type in dict.fromkeys(period_types):
        current = period_for(period_type, now)
        out.append(current)
        before = previous_period(current)
        if before is not None and utc(now) - current.start < settle:
            out.append(before)
    return out
