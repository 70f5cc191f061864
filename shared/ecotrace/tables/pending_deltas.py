"""The ``pending_deltas`` table: changes to one person's rollups and ``user_stats`` not yet applied.

A row is created (never updated) in the same transaction as the rows whose counting it carries, with an id derived
from what made the change (:func:`row_id`), so it cannot conflict with another source's and cannot be created
twice. Folding it deletes it in the transaction that applies it: a second fold fails on the delete and changes
nothing. ``changes`` is compact JSON: the rollup entries (day, login, non-zero columns) and the ``user_stats``
change (``domain.stats.StatsChange``), with whether a missing ``user_stats`` row may be created.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..clock import parse_iso, to_iso
from ..domain.rollups import RollupDelta, RollupEntry
from ..domain.stats import StatsChange
from ..errors import ValidationError
from ..ports import Create, Row
from .text import read_text, stored_text

NAME = "pending_deltas"
USER_COLUMN = "user_id"
CHANGES_SIZE = 65535
MAX_DAYS = 60  # distinct days per row: its fold stays one transaction (day + week + month rows, under 100 ops)


@dataclass(frozen=True)
class PendingDelta:
    row_id: str
    user_id: str
    entries: tuple[RollupEntry, ...]
    stats: StatsChange | None
    create_stats: bool


def row_id(source: str, user_id: str, part: int) -> str:
    """``pd_`` + 32 hex characters of SHA-256 over the source, the person and the part (deterministic)."""
    return "pd_" + hashlib.sha256(f"{source}\n{user_id}\n{part}".encode()).hexdigest()[:32]


def creates(
    source: str,
    user_id: str,
    entries: Sequence[RollupEntry],
    stats: StatsChange | None,
    now: datetime,
    *,
    create_stats: bool,
) -> list[Create]:
    """The rows holding one person's changes: the entries cut into parts of at most MAX_DAYS days; the first part
    carries the ``user_stats`` change."""
    days = sorted({e.day for e in entries})
    parts = [set(days[i : i + MAX_DAYS]) for i in range(0, len(days), MAX_DAYS)] or [set()]
    out: list[Create] = []
    for index, part_days in enumerate(parts):
        part = [e for e in entries if e.day in part_days]
        changes = {
            "entries": [[e.day.isoformat(), e.github_login, dict(e.delta.values)] for e in part],
            "stats": _stats_json(stats) if index == 0 and stats is not None and stats.nonzero() else None,
            "create_stats": create_stats,
        }
        text = json.dumps(changes, separators=(",", ":"), sort_keys=True)
        if len(text) > CHANGES_SIZE:
            raise ValidationError(f"a pending delta of {len(part)} entries does not fit its column")
        data = {"user_id": user_id, "source": stored_text(source[:128], 128), "created_at": to_iso(now)}
        out.append(Create(NAME, row_id(source, user_id, index), {**data, "changes": stored_text(text, CHANGES_SIZE)}))
    return out


def _stats_json(change: StatsChange) -> dict[str, Any]:
    return {
        "login": change.login,
        "totals": change.nonzero(),
        "last_activity_at": to_iso(change.last_activity_at) if change.last_activity_at else None,
    }


def from_row(row: Mapping[str, Any]) -> PendingDelta:
    """A stored row (ValidationError when its changes cannot be read)."""
    try:
        changes = json.loads(read_text(str(row.get("changes") or "")))
        entries = tuple(
            RollupEntry(str(row["user_id"]), str(login), date.fromisoformat(day), RollupDelta.of(values))
            for day, login, values in changes["entries"]
        )
        stats: StatsChange | None = None
        if changes.get("stats"):
            raw = changes["stats"]
            moment = raw.get("last_activity_at")
            stats = StatsChange(str(raw["login"]), dict(raw["totals"]), parse_iso(moment) if moment else None)
        return PendingDelta(str(row["$id"]), str(row["user_id"]), entries, stats, bool(changes.get("create_stats")))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"pending delta {row.get('$id')} is unreadable: {exc}") from exc


def rows_by_id(rows: Sequence[Row]) -> dict[str, Row]:
    return {str(r["$id"]): r for r in rows}
