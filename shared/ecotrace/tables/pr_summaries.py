"""The ``pr_summaries`` table: the one summary EcoTrace keeps per pull request, id ``ps_<32 hex>`` from (repository
id, pull request number), so concurrent deliveries agree on the row (its atomic create decides who posts the
comment). Server-only: no permissions."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..clock import parse_iso, to_iso
from ..ports import Row

NAME = "pr_summaries"


def row_id(repo_id: str, number: int) -> str:
    return "ps_" + hashlib.sha256(f"{repo_id}:{int(number)}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class SummaryRecord:
    repo_id: str
    repo_full_name: str
    pr_number: int
    mode: str
    head_sha: str | None = None
    comment_id: int | None = None
    summary: str | None = None
    posted_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SummaryRecord:
        comment = row.get("comment_id")
        posted, updated = row.get("posted_at"), row.get("updated_at")
        return cls(
            repo_id=str(row["repo_id"]),
            repo_full_name=str(row["repo_full_name"]),
            pr_number=int(row["pr_number"]),
            mode=str(row["mode"]),
            head_sha=row.get("head_sha") or None,
            comment_id=int(comment) if isinstance(comment, str) and comment.isdigit() else None,
            summary=row.get("summary") or None,
            posted_at=parse_iso(str(posted)) if posted else None,
            updated_at=parse_iso(str(updated)) if updated else None,
        )


def claim_row(repo_id: str, repo_full_name: str, number: int, mode: str, now: datetime) -> Row:
    """The row a pull request's first summary creates (before posting, so a concurrent delivery waits)."""
    return {
        "repo_id": repo_id,
        "repo_full_name": repo_full_name[:255],
        "pr_number": int(number),
        "mode": mode,
        "updated_at": to_iso(now),
        "$permissions": [],
    }


def posted_changes(summary: str, head_sha: str, now: datetime, comment_id: int | None = None) -> Row:
    changes: Row = {
        "summary": summary[:4096],
        "head_sha": head_sha[:64],
        "posted_at": to_iso(now),
        "updated_at": to_iso(now),
        "last_error": None,
        "error_at": None,
    }
    if comment_id is not None:
        changes["comment_id"] = str(comment_id)
    return changes


def error_changes(message: str, now: datetime) -> Row:
    return {"last_error": message[:1024], "error_at": to_iso(now), "updated_at": to_iso(now)}
