"""The ``users`` table: one row per GitHub person, id ``gh_<github id>`` (``Actor.user_id``).

A row is created by the first delivery that person sends (no permissions yet), or by sign-up; ``account_id``
links it to an Appwrite account (see ``ecotrace.services.accounts``).
"""

from __future__ import annotations

from datetime import datetime

from ..clock import to_iso
from ..domain.github import Actor
from ..domain.ranking import is_bot_login
from ..ports import Row

NAME = "users"


def account_of(row: Row) -> str | None:
    """The Appwrite account linked to a users row, if the person signed up."""
    account = row.get("account_id")
    return str(account) if account else None


def new_row(actor: Actor, first_seen_at: datetime) -> Row:
    """The row a person's first delivery creates."""
    return {
        "github_id": actor.github_id,
        "username": actor.login,
        "is_bot": actor.is_bot,
        "avatar_url": actor.avatar_url,
        "first_seen_at": to_iso(first_seen_at),
        "$permissions": [],
    }


def profile_changes(row: Row, actor: Actor) -> Row | None:
    """What to update when the sender's login or avatar changed since the row was written (None: nothing)."""
    if row.get("username") != actor.login or (actor.avatar_url and row.get("avatar_url") != actor.avatar_url):
        return {"username": actor.login, "avatar_url": actor.avatar_url}
    return None


def signup_row(github_id: str, login: str, account_id: str, first_seen_at: datetime) -> Row:
    """The row sign-up creates for someone who has sent no delivery yet (permissions are set by the caller)."""
    return {
        "github_id": github_id,
        "username": login[:100],
        "account_id": account_id,
        "is_bot": is_bot_login(login),
        "first_seen_at": to_iso(first_seen_at),
    }
