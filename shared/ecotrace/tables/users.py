"""The ``users`` table: one row per GitHub person, id ``gh_<github id>`` (``Actor.user_id``).

A row is created by the first delivery that person sends (no permissions yet), or by sign-up; ``account_id``
links it to an Appwrite account (see ``ecotrace.services.accounts``). The profile columns (display name,
visibility, location, onboarding, preferences) are changed by the person only (``ecotrace.services.profile``).
``leaderboard_visible`` (default true) and ``feed_show_login`` (default false) are the person's
choices: see :func:`visibility`. Strings go through ``tables.text`` (never read as an update operator).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..clock import to_iso
from ..domain.github import Actor
from ..domain.profile import ProfileChange
from ..domain.ranking import is_bot_login
from ..ports import Row
from .text import read_row, read_text, stored_row

NAME = "users"
USER_COLUMN = "$id"  # a per-person table: the row id is the person's user id
PROFILE_COLUMNS = (
    "username",
    "display_name",
    "avatar_url",
    "country",
    "region",
    "leaderboard_visible",
    "feed_show_login",
    "onboarding_completed",
    "preferences",
)
_SIZES = {"username": 100, "display_name": 255, "email": 320, "avatar_url": 2048}


@dataclass(frozen=True)
class Visibility:
    """What a person lets others see: ranked on leaderboards, shown in the global feed, and with their login."""

    ranked: bool = True  # users.leaderboard_visible (false: not ranked, not in the feed)
    show_login: bool = False  # users.feed_show_login

    @property
    def in_feed(self) -> bool:
        return self.ranked


def visibility(row: Row | None) -> Visibility:
    """A person's choices from their users row (no row yet: the defaults, visible and anonymous)."""
    if row is None:
        return Visibility()
    return Visibility(ranked=visible(row), show_login=row.get("feed_show_login") is True)


def account_of(row: Row) -> str | None:
    """The Appwrite account linked to a users row, if the person signed up."""
    account = row.get("account_id")
    return str(account) if account else None


def new_row(actor: Actor, first_seen_at: datetime) -> Row:
    """The row a person's first delivery creates."""
    data: Row = {
        "github_id": actor.github_id,
        "username": actor.login,
        "is_bot": actor.is_bot,
        "avatar_url": actor.avatar_url,
        "first_seen_at": to_iso(first_seen_at),
        "$permissions": [],
    }
    return stored_row(data, _SIZES)


def profile_changes(row: Row, actor: Actor) -> Row | None:
    """What to update when the sender's login or avatar changed since the row was written (None: nothing)."""
    login, avatar = (read_text(v) if isinstance(v, str) else v for v in (row.get("username"), row.get("avatar_url")))
    if login != actor.login or (actor.avatar_url and avatar != actor.avatar_url):
        return stored_row({"username": actor.login, "avatar_url": actor.avatar_url}, _SIZES)
    return None


def signup_row(github_id: str, login: str, account_id: str, first_seen_at: datetime) -> Row:
    """The row sign-up creates for someone who has sent no delivery yet (permissions are set by the caller)."""
    data: Row = {
        "github_id": github_id,
        "username": login[:100],
        "account_id": account_id,
        "is_bot": is_bot_login(login),
        "first_seen_at": to_iso(first_seen_at),
    }
    return stored_row(data, _SIZES)


def visible(row: Row) -> bool:
    """Whether the person may be ranked and shown in the feed (``leaderboard_visible``, true unless opted out)."""
    return row.get("leaderboard_visible") is not False


def region_of(row: Row) -> str | None:
    """The person's profile location as a region key (region, else country), or None."""
    value = row.get("region") or row.get("country")
    return str(value) if value else None


def columns_for(change: ProfileChange) -> Row:
    """The ``users`` columns a profile change writes (preferences as compact JSON; a location as two columns)."""
    out: Row = {}
    for name in ("display_name", "leaderboard_visible", "feed_show_login", "onboarding_completed"):
        if name in change:
            out[name] = change.get(name)
    if "preferences" in change:
        out["preferences"] = json.dumps(change.get("preferences"), separators=(",", ":"), sort_keys=True)
    if "location" in change:
        place = change.get("location")
        out["country"] = place.country if place is not None else None
        out["region"] = place.region if place is not None else None
    return stored_row(out, _SIZES)  # a display name is the person's own text: never an operator


def profile_json(row: Row) -> dict[str, Any]:
    """The person's profile as the API shows it (preferences decoded; visibility defaults applied)."""
    out: dict[str, Any] = {"user_id": row.get("$id"), **{name: read_row(row).get(name) for name in PROFILE_COLUMNS}}
    try:
        out["preferences"] = json.loads(row["preferences"]) if row.get("preferences") else {}
    except (json.JSONDecodeError, TypeError):
        out["preferences"] = {}
    out["leaderboard_visible"] = visible(row)
    out["feed_show_login"] = row.get("feed_show_login") is True
    out["onboarding_completed"] = row.get("onboarding_completed") is True
    out["location"] = {"country": row.get("country"), "region": row.get("region")} if region_of(row) else None
    out.pop("country")
    out.pop("region")
    return out
