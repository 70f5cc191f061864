"""The global feed's retention: rows past ``expires_at`` are deleted in bounded slices (``tables.feed``).

The rows are written by the webhook, in each delivery's transaction (``services.ingest.plan``); this is the other
half, run by the leaderboard-updater's schedule: at most ``limit`` rows per run, 100 per transaction, oldest first
(index ``idx_expires``), so a backlog drains over a few runs instead of holding one run up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from appwrite.query import Query

from ..clock import to_iso
from ..errors import NotFoundError
from ..ports import MAX_BATCH, Delete, Store
from ..tables import feed
from ..tables.text import stored_text

PURGE_LIMIT = 1000  # rows per run


def forget_logins(store: Store, logins: Sequence[str]) -> int:
    """Delete the feed rows that show one of these logins (people who opted in and are now being erased; the
    other rows name no one); returns how many."""
    removed = 0
    for login in dict.fromkeys(logins):
        while True:
            count = store.delete_where(feed.NAME, [Query.equal("github_login", stored_text(login, 100))])
            removed += count
            if count < MAX_BATCH:
                break
    return removed


def purge_expired(store: Store, now: datetime, *, limit: int = PURGE_LIMIT) -> int:
    """Delete up to ``limit`` expired feed rows; returns how many."""
    purged = 0
    while purged < limit:
        queries = [
            Query.less_than("expires_at", to_iso(now)),
            Query.order_asc("expires_at"),
            Query.select(["$id"]),
            Query.limit(min(MAX_BATCH, limit - purged)),
        ]
        rows = store.find(feed.NAME, queries)
        if not rows:
            break
        try:
            with store.transaction() as tx:
                tx.stage(*(Delete(feed.NAME, str(row["$id"])) for row in rows))
        except NotFoundError:  # an overlapping run deleted one of them first: the next run goes on
            break
        purged += len(rows)
        if len(rows) < MAX_BATCH:
            break
    return purged
