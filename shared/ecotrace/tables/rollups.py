"""The ``rollups`` table: one row per person and period (``domain.rollups``), id from ``domain.ranking.period_row_id``.

A row changes by ONE operation: a ``create`` when the writer's read found no row (a concurrent creator makes the
commit fail on the duplicate id, and the writer re-reads), otherwise an ``update`` whose numbers are Appwrite
increment operators (``ports.Add``), so concurrent writers add up instead of overwriting each other. Rows carry no
permissions: only the functions read them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..clock import to_iso
from ..domain.ranking import ACTIVITY_TYPES, Period, PeriodType, UserTotals
from ..domain.rollups import COLUMNS, COUNT_COLUMNS, RollupDelta, RowChange, StoredRollup
from ..domain.stats import count_total
from ..ports import Add, Create, Row, Update, Write
from .text import read_text, stored_text

NAME = "rollups"
USER_COLUMN = "user_id"
LOGIN_SIZE = 100
_INTEGERS = frozenset({*COUNT_COLUMNS, "active_days"})


def _number(column: str, value: float) -> float:
    return round(value) if column in _INTEGERS else value


def writes(changes: Iterable[RowChange]) -> list[Write]:
    """One write per changed row."""
    out: list[Write] = []
    for change in changes:
        numbers = {c: _number(c, v) for c, v in change.delta.values.items()}
        if change.active_days:
            numbers["active_days"] = change.active_days
        login = stored_text(change.github_login[:LOGIN_SIZE], LOGIN_SIZE)
        if change.create:
            out.append(
                Create(
                    NAME, change.row_id, {**_identity(change.period, change.user_id), "github_login": login, **numbers}
                )
            )
        else:
            data: Row = {"github_login": login, **{c: Add(v) for c, v in numbers.items() if v}}
            out.append(Update(NAME, change.row_id, data))
    return out


def _identity(period: Period, user_id: str) -> Row:
    return {
        "user_id": user_id,
        "period_type": period.type.value,
        "period_key": period.key,
        "period_start": to_iso(period.start),
    }


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _float(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def stored(row: Mapping[str, Any]) -> StoredRollup:
    """What the writer plans from."""
    login = row.get("github_login")
    return StoredRollup(_int(row.get("activity_count")), read_text(login) if isinstance(login, str) else "")


def delta_of(row: Mapping[str, Any]) -> RollupDelta:
    """A row's sums as a delta from nothing (what reconciliation compares)."""
    return RollupDelta.of({c: (_int if c in _INTEGERS else _float)(row.get(c)) for c in COLUMNS})


def active_days_of(row: Mapping[str, Any]) -> int:
    if row.get("period_type") == PeriodType.DAILY.value:
        return 1 if _int(row.get("activity_count")) > 0 else 0
    return _int(row.get("active_days"))


def totals_of(row: Mapping[str, Any]) -> UserTotals:
    """A row as the user's totals for its period (what ranking ranks)."""
    user_id = str(row.get("user_id") or "")
    login = row.get("github_login")
    return UserTotals(
        user_id=user_id,
        github_login=read_text(login) if isinstance(login, str) and login else user_id,
        carbon_kg=_float(row.get("carbon_kg")),
        carbon_kg_low=_float(row.get("carbon_kg_low")),
        carbon_kg_high=_float(row.get("carbon_kg_high")),
        activity_count=_int(row.get("activity_count")),
        counts={kind: _int(row.get(count_total(kind))) for kind in ACTIVITY_TYPES},
        ci_minutes=_float(row.get("ci_minutes")),
        lines_changed=_int(row.get("lines_changed")),
        active_days=active_days_of(row),
    )
