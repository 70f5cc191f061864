"""The ``user_stats`` table: one row of running totals per person, id = their ``users`` id.

Totals only ever change by increments (``domain.stats.StatsChange``), so concurrent writers add up instead of
overwriting each other; the first change creates the row with the totals that are positive.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..clock import parse_iso, to_iso
from ..domain.models import ActivityType
from ..domain.stats import StatsChange, count_total
from ..ports import Create, Increment, Row, Update, Write

NAME = "user_stats"
USER_COLUMN = "user_id"  # a per-person table: the person's rows are erased and exported by it
INTEGER_COLUMNS = frozenset({"activity_count", "lines_changed", *(count_total(kind) for kind in ActivityType)})


def writes(
    user_id: str, change: StatsChange, row: Row | None, permissions: Iterable[str] = (), *, create: bool = True
) -> list[Write]:
    """The writes that apply ``change`` to the user's row ``row`` (None: there is none yet; it is created with
    ``permissions`` when ``create``, else the change is dropped)."""
    columns = {k: (round(v) if k in INTEGER_COLUMNS else v) for k, v in change.totals.items()}
    if row is None:
        positive = {k: v for k, v in columns.items() if v > 0}
        if not create or not positive:
            return []
        data: Row = {"user_id": user_id, "github_login": change.login, **positive, "$permissions": list(permissions)}
        if change.last_activity_at is not None:
            data["last_activity_at"] = to_iso(change.last_activity_at)
        return [Create(NAME, user_id, data)]
    out: list[Write] = [Increment(NAME, user_id, column, value) for column, value in columns.items() if value]
    latest = row.get("last_activity_at")
    if change.last_activity_at is not None and (not latest or parse_iso(str(latest)) < change.last_activity_at):
        out.append(Update(NAME, user_id, {"last_activity_at": to_iso(change.last_activity_at)}))
    return out
