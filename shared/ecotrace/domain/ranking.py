"""Leaderboard ranking: period windows, per-user aggregation and the ranking rule. Pure: no I/O.

Periods (all windows in UTC, start inclusive, end exclusive):

- ``daily``: the calendar day, key ``2026-11-25``;
- ``weekly``: the ISO 8601 week (Monday to Monday), key ``2026-W48`` (ISO week-numbering year, so
  2027-01-01 belongs to ``2026-W53``);
- ``monthly``: the calendar month, key ``2026-11``;
- ``all_time``: everything, key ``all``; its ``period_start`` is the Unix epoch.

What counts is one rule, ``ecotrace.domain.rollups.contribution``: bots are never counted (``is_bot``, a login
ending in ``[bot]``, or a user labelled ``is_bot`` in the ``users`` table, which the leaderboard run leaves out);
``counted=False`` rows are skipped (a workflow run whose jobs arrived is represented by its job rows, so counting
it again would count the same work twice; ``ci_run_count`` therefore counts the CI rows that carry energy); rows
without a carbon result are *pending* and left out until calculated. The leaderboard ranks the sums of that rule
kept per person and period (``rollups``), never the activities themselves. People who opted out
(``users.leaderboard_visible = false``) are not ranked.

The ranking rule. "Better" is less carbon for the same work. The functional unit (the SCI ``R``) is the lines
changed in commits, added + deleted, in thousands (kloc): the seed's "carbon per line of code". The score is
``carbon_per_kloc_kg``: ALL of the period's counted carbon (commits, pull requests, CI, deployments) per kloc;
lowest first. Splitting the same work into more commits, pull requests or jobs never lowers the carbon (each
carries its own overhead) and never changes R, so it never improves a rank; the same work on a smaller runner
or a cleaner grid has less carbon for the same R, so it does. Users with R = 0 in a period (no commit lines:
only CI, say) are not ranked (``users_without_units``). Ties are broken by more lines (more work at the same
efficiency), then by login (case-insensitive), then by user id, so the order is total and deterministic. A user
also needs at least ``min_activities`` counted, calculated activities in the period (default 1).

Ranks are ordinal ``1..n``: every ranked user has a distinct rank, because the tie-breaks above leave no
ties. ``percentile`` is the share of the *other* ranked users that a user beats (ranks below), in percent:
``100 * (n - rank) / (n - 1)``; the first of ``n`` gets 100, the last 0, and a lone ranked user gets 100.

Other metrics: ``carbon_per_activity_kg = carbon_kg / activity_count``; ``carbon_per_commit_kg = carbon_kg /
commit_count`` (all of the period's carbon per commit delivered; null without commits); ``ci_minutes`` sums the
CI rows' durations; ``active_days`` counts distinct UTC calendar days with at least one counted, calculated
activity; ``commits_per_active_day = commit_count / active_days``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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


def period_row_id(period_type: PeriodType, period_key: str, user_id: str) -> str:
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


leaderboard_row_id = period_row_id  # a leaderboard entry and the rollup it ranks share the id (different tables)


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
    carbon_kg_low: float | None = None
    carbon_kg_high: float | None = None
    energy_kwh: float | None = None


def is_bot_login(login: str) -> bool:
    """GitHub App bot accounts have logins ending in ``[bot]`` (e.g. ``dependabot[bot]``)."""
    return login.lower().endswith("[bot]")


@dataclass(slots=True)
class UserTotals:
    """One user's counted, calculated sums in one period (read from their rollup row)."""

    user_id: str
    github_login: str
    carbon_kg: float = 0.0
    carbon_kg_low: float = 0.0
    carbon_kg_high: float = 0.0
    activity_count: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIVITY_TYPES, 0))
    ci_minutes: float = 0.0
    lines_changed: int = 0
    active_days: int = 0

    @property
    def carbon_per_kloc_kg(self) -> float:
        """The score: kg CO2e per 1,000 lines changed in commits (infinite without lines)."""
        return self.carbon_kg * 1000.0 / self.lines_changed if self.lines_changed > 0 else float("inf")

    @property
    def carbon_per_activity_kg(self) -> float:
        return self.carbon_kg / self.activity_count if self.activity_count else float("inf")


@dataclass(frozen=True, slots=True)
class RankedEntry:
    rank: int
    percentile: float
    totals: UserTotals


def ranking_key(totals: UserTotals) -> tuple[float, int, str, str]:
    """Sort key of the ranking rule: score ascending, more lines first, then login, then user id."""
    return (totals.carbon_per_kloc_kg, -totals.lines_changed, totals.github_login.casefold(), totals.user_id)


def percentile_for(rank: int, ranked: int) -> float:
    """Share of the other ``ranked - 1`` users that rank ``rank`` beats, 0..100 (a lone user: 100)."""
    if not 1 <= rank <= ranked:
        raise ValueError(f"rank {rank} outside 1..{ranked}")
    if ranked == 1:
        return 100.0
    return 100.0 * (ranked - rank) / (ranked - 1)


def has_units(totals: UserTotals) -> bool:
    """Whether the period holds any of the functional unit (commit lines) for this user."""
    return totals.lines_changed > 0


def eligible(totals: UserTotals, min_activities: int = 1) -> bool:
    return totals.activity_count >= min_activities and has_units(totals)


def rank_users(totals: Iterable[UserTotals], *, min_activities: int = 1) -> list[RankedEntry]:
    """Rank the users with R > 0 and at least ``min_activities`` counted, calculated activities (best first)."""
    if min_activities < 1:
        raise ValueError("min_activities must be at least 1")
    ranked = sorted((t for t in totals if eligible(t, min_activities)), key=ranking_key)
    n = len(ranked)
    return [RankedEntry(i, percentile_for(i, n), t) for i, t in enumerate(ranked, start=1)]


def periods_to_refresh(
    period_types: Sequence[PeriodType], now: datetime, *, settle: timedelta = timedelta(hours=12)
) -> list[Period]:
    """The current period of each type, plus the previous one while the current is younger than ``settle``.

    Carbon results that arrive late (the calculator's sweep) and deliveries GitHub sends late still change the
    previous period's rollups, so its board is refreshed for a while after it ended.
    """
    out: list[Period] = []
    for period_type in dict.fromkeys(period_types):
        current = period_for(period_type, now)
        out.append(current)
        before = previous_period(current)
        if before is not None and utc(now) - current.start < settle:
            out.append(before)
    return out
