"""A person's profile: they change it through the ``api-integrations`` action ``update_profile``, only their own.

The caller is the Appwrite account in ``x-appwrite-user-id`` (set by Appwrite, never by the caller); their
``users`` rows are the ones whose ``account_id`` is that account (linked by ``link_github_account``). Nobody
else's row can be named in the request: there is no user id in it to forge.

Opting out (``leaderboard_visible: false``) removes the person's leaderboard entries at once; the leaderboard
run leaves them out from then on (``services.leaderboard``), and so does the global feed. Opting out, or
withdrawing ``feed_show_login``, deletes at once the feed rows that show their login. The location becomes
the factor region for their activities that report none (:class:`ProfileRegions`, read by the carbon path);
figures already stored keep theirs until they are recalculated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from appwrite.query import Query

from ..adapters.shipped_factors import ShippedFactors
from ..domain.profile import parse_change
from ..errors import NotFoundError
from ..ports import MAX_BATCH, ROW_ID, Row, Store
from ..tables import leaderboards, users
from ..tables.text import read_text
from .feed import forget_logins

LINK_HINT = "no GitHub account is linked to you yet: link one first (action link_github_account)"


def linked_rows(store: Store, account_id: str) -> list[Row]:
    """The ``users`` rows linked to an Appwrite account (one per GitHub account they linked)."""
    if not ROW_ID.match(account_id):
        return []
    return list(store.iterate(users.NAME, [Query.equal("account_id", account_id)], page_size=MAX_BATCH))


def remove_from_leaderboards(store: Store, user_ids: list[str]) -> int:
    """Delete every leaderboard entry of these people now (not at the next run); returns how many."""
    removed = 0
    for user_id in user_ids:
        while True:
            count = store.delete_where(leaderboards.NAME, [Query.equal(leaderboards.USER_COLUMN, user_id)])
            removed += count
            if count < MAX_BATCH:
                break
    return removed


def update_profile(store: Store, account_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Apply the caller's profile change to their ``users`` rows; the answer is the profile as stored."""
    change = parse_change(body, ShippedFactors.load().catalogue)
    rows = linked_rows(store, account_id)
    if not rows:
        raise NotFoundError(LINK_HINT)
    columns = users.columns_for(change)
    stored = [store.update(users.NAME, str(row["$id"]), columns) for row in rows]
    answer: dict[str, Any] = {"ok": True, "profile": users.profile_json(stored[0])}
    if len(stored) > 1:
        answer["profiles"] = [users.profile_json(row) for row in stored]
    if change.get("leaderboard_visible") is False:
        answer["leaderboard_entries_removed"] = remove_from_leaderboards(store, [str(r["$id"]) for r in stored])
    if change.get("feed_show_login") is False or change.get("leaderboard_visible") is False:
        # the feed rows that show their login go now, not when the rows expire (the others name no one)
        logins = [read_text(str(r["username"])) for r in stored if r.get("username")]
        answer["feed_rows_removed"] = forget_logins(store, logins)
    if "location" in change:
        answer["location_note"] = (
            "used for activities that report no location from now on; stored figures keep their region"
        )
    return answer


class ProfileRegions:
    """People's profile locations for the carbon path (``services.carbon.RegionLookup``): one read per person
    per execution, remembered."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._known: dict[str, str | None] = {}

    def remember(self, user_id: str, row: Row | None) -> None:
        """A ``users`` row the caller already read (saves the request)."""
        self._known[user_id] = users.region_of(row) if row is not None else None

    def region_of(self, user_id: str) -> str | None:
        if user_id not in self._known:
            row = self.store.get(users.NAME, user_id) if ROW_ID.match(user_id) else None
            self.remember(user_id, row)
        return self._known[user_id]
