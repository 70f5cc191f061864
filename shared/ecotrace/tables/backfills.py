"""The ``backfills`` table: one row per backfill (``ecotrace.domain.backfill.Backfill``), id ``bf_<32 hex>``.

The row is the backfill's progress for the dashboard (status, repositories done, jobs imported, ETA, each
repository's state and last error in the ``repos`` JSON) and the cursor the next slice resumes from. It is
readable by the person who started it; an operator's has no permissions (only the functions' keys read it).

The import counters move by increments staged in the same transaction as the rows they count, so they stay
exact even if two slices ever overlapped; :func:`progress_writes` builds that pair of writes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ..clock import parse_iso, to_iso
from ..domain.backfill import Backfill, BackfillStatus, Counters, Cursor, RepoState
from ..errors import ValidationError
from ..ports import Increment, Row, Update, Write
from .permissions import owner_permissions

NAME = "backfills"
USER_COLUMN = "user_id"  # rows of one person (the one who started the backfill)
COUNTER_COLUMNS = {"jobs": "jobs_imported", "runs": "runs_imported", "commits": "commits_imported"}
MAX_MESSAGE = 1024


def row_id(requested_by: str, target: str, days: int, day: str) -> str:
    """The same request on the same UTC day is the same backfill (a second click finds the first)."""
    digest = hashlib.sha256(f"{requested_by}:{target}:{days}:{day}".encode()).hexdigest()[:32]
    return f"bf_{digest}"


def _time(value: datetime | None) -> str | None:
    return to_iso(value) if value is not None else None


def progress_columns(backfill: Backfill) -> Row:
    """Every column a slice moves, except the counters (see :func:`progress_writes`)."""
    return {
        "status": backfill.status.value,
        "repos": json.dumps([repo.as_json() for repo in backfill.repos], separators=(",", ":")),
        "cursor": json.dumps(backfill.cursor.as_json(), separators=(",", ":")),
        "repos_done": backfill.repos_done,
        "repos_failed": backfill.repos_failed,
        "slices": backfill.slices,
        "eta_at": _time(backfill.eta_at),
        "next_at": _time(backfill.next_at),
        "lease_until": _time(backfill.lease_until),
        "lease_owner": backfill.lease_owner,
        "updated_at": to_iso(backfill.updated_at),
        "finished_at": _time(backfill.finished_at),
        "message": backfill.message[:MAX_MESSAGE],
    }


def new_row(backfill: Backfill) -> Row:
    """The row a backfill starts with, readable by the person who started it."""
    return {
        "$permissions": owner_permissions(backfill.account_id),
        "user_id": backfill.user_id,
        "account_id": backfill.account_id,
        "requested_by": backfill.requested_by,
        "target": backfill.target[:1024],
        "days": backfill.days,
        "since": to_iso(backfill.since),
        "until": to_iso(backfill.until),
        "include_commits": backfill.include_commits,
        "repos_total": len(backfill.repos),
        "jobs_imported": backfill.imported.jobs,
        "runs_imported": backfill.imported.runs,
        "commits_imported": backfill.imported.commits,
        "api_calls": backfill.imported.api_calls,
        "started_at": to_iso(backfill.started_at),
        **progress_columns(backfill),
    }


def progress_writes(backfill: Backfill, added: Counters) -> list[Write]:
    """The progress update and the counter increments of one unit of work (stage them with its rows)."""
    writes: list[Write] = [Update(NAME, backfill.id, progress_columns(backfill))]
    for kind, column in COUNTER_COLUMNS.items():
        value = getattr(added, kind)
        if value:
            writes.append(Increment(NAME, backfill.id, column, value))
    if added.api_calls:
        writes.append(Increment(NAME, backfill.id, "api_calls", added.api_calls))
    return writes


def _moment(row: Mapping[str, Any], key: str) -> datetime | None:
    value = row.get(key)
    return parse_iso(str(value)) if value else None


def _json(row: Mapping[str, Any], key: str, default: Any) -> Any:
    value = row.get(key)
    if not isinstance(value, str) or not value:
        return default
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"backfills/{row.get('$id')}: column {key} is not JSON") from exc


def from_row(row: Mapping[str, Any]) -> Backfill:
    """A row as a Backfill; a malformed row raises ValidationError naming it."""
    try:
        repos: Iterable[dict[str, Any]] = _json(row, "repos", [])
        since, until, started = (parse_iso(str(row[key])) for key in ("since", "until", "started_at"))
        return Backfill(
            id=str(row["$id"]),
            requested_by=str(row["requested_by"]),
            target=str(row["target"]),
            days=int(row["days"]),
            since=since,
            until=until,
            repos=[RepoState.from_json(item) for item in repos],
            started_at=started,
            updated_at=_moment(row, "updated_at") or started,
            user_id=row.get("user_id") or None,
            account_id=row.get("account_id") or None,
            include_commits=row.get("include_commits") is not False,
            status=BackfillStatus(str(row["status"])),
            cursor=Cursor.from_json(_json(row, "cursor", {})),
            imported=Counters(
                jobs=int(row.get("jobs_imported") or 0),
                runs=int(row.get("runs_imported") or 0),
                commits=int(row.get("commits_imported") or 0),
                api_calls=int(row.get("api_calls") or 0),
            ),
            slices=int(row.get("slices") or 0),
            eta_at=_moment(row, "eta_at"),
            next_at=_moment(row, "next_at"),
            lease_until=_moment(row, "lease_until"),
            lease_owner=row.get("lease_owner") or None,
            finished_at=_moment(row, "finished_at"),
            message=str(row.get("message") or ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"backfills/{row.get('$id')} cannot be read: {type(exc).__name__}: {exc}") from exc


def public(backfill: Backfill) -> dict[str, Any]:
    """What the API answers about a backfill (the same facts the row shows)."""
    return {
        "id": backfill.id,
        "status": backfill.status.value,
        "target": backfill.target,
        "days": backfill.days,
        "since": to_iso(backfill.since),
        "until": to_iso(backfill.until),
        "repos_total": len(backfill.repos),
        "repos_done": backfill.repos_done,
        "repos_failed": backfill.repos_failed,
        "jobs_imported": backfill.imported.jobs,
        "runs_imported": backfill.imported.runs,
        "commits_imported": backfill.imported.commits,
        "api_calls": backfill.imported.api_calls,
        "slices": backfill.slices,
        "eta_at": _time(backfill.eta_at),
        "next_at": _time(backfill.next_at),
        "finished_at": _time(backfill.finished_at),
        "message": backfill.message,
        "repos": [repo.as_json() for repo in backfill.repos],
    }
