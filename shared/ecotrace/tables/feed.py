"""The ``activity_feed`` table: the global feed, one anonymised row per delivery and activity type.

A row says what kind of work happened and what it cost ("12 commits, 3.2 g (2.1-4.8 g), medium confidence"),
with the repository only when its payload says it is public (``details.repo_private`` is false: CI and deployment
rows; commits and pull requests carry no visibility, so their repository is never shown) and the login only for
a person who opted in (``users.feed_show_login``). It holds no user id and no e-mail; people who opted out of
leaderboards (``users.leaderboard_visible = false``) get no rows. The id is derived from the delivery and the
type, so a row is only ever created (no contention) and a redelivery cannot add it twice. Rows expire after
:data:`RETENTION` (``expires_at``) and are purged in slices by the leaderboard-updater's schedule.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from ..clock import to_iso
from ..domain.models import Activity, ActivityType, Confidence
from ..ports import Create
from .text import stored_text
from .users import Visibility

NAME = "activity_feed"
RETENTION = timedelta(days=7)


def row_id(source: str, activity_type: ActivityType, activity_ids: Sequence[str] = ()) -> str:
    """``f`` + 24 hex characters of SHA-256 of the source (the delivery row id) and the group's activity ids +
    ``_`` + the type (<= 36). The ids matter where one source counts several units (a backfill records every
    run of a repository under its own id): each unit's row is its own, and the same unit never gets two."""
    key = "\n".join([source, *sorted(activity_ids)])
    return "f" + hashlib.sha256(key.encode()).hexdigest()[:24] + "_" + activity_type.value


def _public_repo(group: Sequence[Activity]) -> str | None:
    if all(a.details.get("repo_private") is False for a in group):
        return stored_text(group[0].repo_full_name[:255], 255)
    return None


def creates(
    source: str, activities: Sequence[Activity], login: str, visibility: Visibility, now: datetime
) -> list[Create]:
    """The feed rows of one delivery's new counted activities (none for a person who opted out)."""
    if not visibility.in_feed:
        return []
    out: list[Create] = []
    for kind in ActivityType:
        group = [a for a in activities if a.type is kind and a.counted and not a.is_bot]
        if not group:
            continue
        known = [a for a in group if a.carbon_kg is not None]
        complete = len(known) == len(group)
        confidences = [a.calculation_confidence for a in known if a.calculation_confidence is not None]
        data = {
            "activity_type": kind.value,
            "activity_count": len(group),
            "carbon_kg": sum(a.carbon_kg or 0.0 for a in known) if complete else None,
            "carbon_kg_low": sum(a.carbon_kg_low or a.carbon_kg or 0.0 for a in known) if complete else None,
            "carbon_kg_high": sum(a.carbon_kg_high or a.carbon_kg or 0.0 for a in known) if complete else None,
            "confidence": Confidence.lowest(*confidences).value if complete and confidences else None,
            "repo_full_name": _public_repo(group),
            "github_login": stored_text(login[:100], 100) if visibility.show_login else None,
            "created_at": to_iso(now),
            "expires_at": to_iso(now + RETENTION),
        }
        out.append(Create(NAME, row_id(source, kind, [a.id for a in group]), data))
    return out
