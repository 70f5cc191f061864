"""The ``$permissions`` of the rows a person owns.

Rows of someone who has not signed up carry no permissions (only the functions' API keys read them). Once they
link their Appwrite account, every row of theirs (``users``, ``activities``, ``calculations``, ``user_stats``)
carries ``read("user:<account_id>")``, so their dashboard reads them and realtime delivers their changes.
"""

from __future__ import annotations

from ..ports import Row


def read_permission(account_id: str) -> str:
    return f'read("user:{account_id}")'


def owner_permissions(account_id: str | None) -> list[str]:
    """The permissions of a new row owned by the person linked to ``account_id`` (none before sign-up)."""
    return [read_permission(account_id)] if account_id else []


def permissions_of(row: Row) -> list[str]:
    perms = row.get("$permissions")
    return [str(p) for p in perms] if isinstance(perms, list) else []


def with_permission(row: Row, permission: str) -> list[str] | None:
    """The row's permissions plus ``permission``, or None when it already has it."""
    current = permissions_of(row)
    return None if permission in current else [*current, permission]
