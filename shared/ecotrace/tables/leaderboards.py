"""The ``leaderboards`` table: one row per ranked user and period, id from ``domain.ranking.leaderboard_row_id``.

Figures are rounded to 12 significant digits, so totals summed in another order compare equal and an unchanged
entry is not rewritten (each write is a realtime event dashboards react to).

Movement: when a run finds an entry at another rank than its stored row holds, it writes ``previous_rank`` (the
stored rank), ``rank_change = previous_rank - rank`` (positive: moved up) and ``rank_changed_at`` (the run's time).
A run that leaves the rank as it was keeps them, so a board that did not change is not rewritten: the movement
since the previous run is ``rank_change`` for entries whose ``rank_changed_at`` is the latest run, 0 for the
others. All three are null for an entry that has not moved since it first appeared.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..clock import parse_iso, to_iso
from ..domain.ranking import ACTIVITY_TYPES, Period, RankedEntry
from ..domain.stats import count_total
from ..ports import Row
from .text import stored_text

NAME = "leaderboards"
USER_COLUMN = "user_id"  # a per-person table: the person's rows are erased and exported by it
_DATETIME_COLUMNS = frozenset({"period_start", "rank_changed_at"})


def _round(value: float) -> float:
    """12 significant digits: stable across summation order, so unchanged figures compare equal (a sum that
    came out a hair below zero, from subtracting what was added, is zero)."""
    return max(0.0, float(f"{value:.12g}"))


def _movement(rank: int, stored: Mapping[str, Any] | None, now: str) -> dict[str, Any]:
    if stored is None:
        return {"previous_rank": None, "rank_change": None, "rank_changed_at": None}
    held = stored.get("rank")
    if isinstance(held, int) and not isinstance(held, bool) and held >= 1 and held != rank:
        return {"previous_rank": held, "rank_change": held - rank, "rank_changed_at": now}
    return {k: stored.get(k) for k in ("previous_rank", "rank_change", "rank_changed_at")}


def entry_columns(
    period: Period, entry: RankedEntry, stored: Mapping[str, Any] | None = None, now: str | None = None
) -> dict[str, Any]:
    """The leaderboard columns of one ranked entry, except ``updated_at`` (set when the row is written);
    ``stored`` is the entry's row before this run and ``now`` the run's time (the movement, see the module)."""
    totals = entry.totals
    commits = totals.counts["commit"]
    lines = totals.lines_changed
    return {
        "user_id": totals.user_id,
        "github_login": stored_text(totals.github_login[:100], 100),
        "period_type": period.type.value,
        "period_key": period.key,
        "period_start": to_iso(period.start),
        "rank": entry.rank,
        **_movement(entry.rank, stored, now or to_iso(period.start)),
        "percentile": round(entry.percentile, 4),
        "carbon_kg": _round(totals.carbon_kg),
        "carbon_kg_low": _round(totals.carbon_kg_low),
        "carbon_kg_high": _round(totals.carbon_kg_high),
        "activity_count": totals.activity_count,
        **{count_total(kind): totals.counts[kind] for kind in ACTIVITY_TYPES},
        "ci_minutes": _round(totals.ci_minutes),
        "lines_changed": totals.lines_changed,
        "active_days": totals.active_days,
        "commits_per_active_day": _round(commits / totals.active_days) if totals.active_days else None,
        "carbon_per_activity_kg": _round(totals.carbon_per_activity_kg),
        "carbon_per_commit_kg": _round(totals.carbon_kg / commits) if commits else None,
        "carbon_per_kloc_kg": _round(totals.carbon_kg * 1000.0 / lines) if lines else None,
    }


def to_row(row_id: str, columns: Mapping[str, Any], updated_at: str) -> Row:
    return {"$id": row_id, **columns, "updated_at": updated_at}


def _same(column: str, old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is None and new is None
    if column in _DATETIME_COLUMNS:
        try:
            return parse_iso(str(old)) == parse_iso(str(new))
        except ValueError:
            return False
    if isinstance(new, float) or isinstance(old, float):
        try:
            return math.isclose(float(old), float(new), rel_tol=1e-9, abs_tol=1e-15)
        except (TypeError, ValueError):
            return False
    return bool(old == new)


def unchanged(stored: Mapping[str, Any], columns: Mapping[str, Any]) -> bool:
    """Whether a stored row already holds ``columns`` (datetimes compared as instants, floats to 1e-9)."""
    return all(_same(key, stored.get(key), value) for key, value in columns.items())
