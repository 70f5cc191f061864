"""Sign-up: link a GitHub person's rows to their Appwrite account.

Activity from someone who has not signed up is kept under ``gh_<github id>``. When they sign up, their
``users`` row gets ``account_id`` and every row of theirs (``users``, ``activities``, ``calculations``,
``user_stats``) gets ``read("user:<account_id>")``. The ``users`` row is updated first, so deliveries that
arrive from then on write readable rows; the back-fill after it is idempotent, so running the link again
(for instance after a failure part-way) finishes the job, including rows a delivery wrote while it ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from appwrite.query import Query

from ..clock import Clock, to_iso, utc_now
from ..errors import ConflictError, NotFoundError, ValidationError
from ..ports import ROW_ID, Row, Store

USERS = "users"
OWNED_TABLES = ("activities", "calculations")
USER_STATS = "user_stats"


@dataclass(frozen=True)
class LinkResult:
    user_id: str
    account_id: str
    created_user: bool
    granted: dict[str, int] = field(default_factory=dict)  # rows per table that got the permission now


def read_permission(account_id: str) -> str:
    return f'read("user:{account_id}")'


def _with(perms: object, permission: str) -> list[str] | None:
    """The row's permissions plus ``permission``, or None when it already has it."""
    current = [str(p) for p in perms] if isinstance(perms, list) else []
    return None if permission in current else [*current, permission]


def link_account(
    store: Store,
    *,
    github_id: int | str,
    account_id: str,
    login: str | None = None,
    clock: Clock = utc_now,
) -> LinkResult:
    """Link ``gh_<github_id>`` to Appwrite account ``account_id`` and grant it read on the person's rows.

    Raises ConflictError when the GitHub account is already linked to another Appwrite account, and
    NotFoundError when there is no users row and no ``login`` to create one with.
    """
    gid = str(github_id).strip()
    if not gid.isdigit() or len(gid) > 20:
        raise ValidationError("github_id must be GitHub's numeric user id")
    if not ROW_ID.match(account_id):
        raise ValidationError("account_id must be an Appwrite user id")
    user_id = f"gh_{gid}"
    permission = read_permission(account_id)
    granted: dict[str, int] = {}

    row = store.get(USERS, user_id)
    created = False
    if row is None:
        if not login:
            raise NotFoundError(f"no users row {user_id}: pass the GitHub login to create it")
        data: Row = {
            "github_id": gid,
            "username": login[:100],
            "account_id": account_id,
            "is_bot": login.lower().endswith("[bot]"),
            "first_seen_at": to_iso(clock()),
        }
        try:
            store.create(USERS, user_id, data, permissions=[permission])
            created = True
        except ConflictError:  # a delivery created it in the meantime
            row = store.get(USERS, user_id)
    if row is not None:
        linked = row.get("account_id")
        if linked and linked != account_id:
            raise ConflictError(f"GitHub user {gid} is already linked to another account")
        perms = _with(row.get("$permissions"), permission)
        if linked != account_id or perms is not None:
            store.update(USERS, user_id, {"account_id": account_id}, permissions=perms or list(row["$permissions"]))
            granted[USERS] = 1

    for table in OWNED_TABLES:
        count = 0
        for owned in list(store.iterate(table, [Query.equal("user_id", user_id)])):
            perms = _with(owned.get("$permissions"), permission)
            if perms is not None:
                store.update(table, str(owned["$id"]), {}, permissions=perms)
                count += 1
        granted[table] = count
    stats = store.get(USER_STATS, user_id)
    if stats is not None:
        perms = _with(stats.get("$permissions"), permission)
        if perms is not None:
            store.update(USER_STATS, user_id, {}, permissions=perms)
            granted[USER_STATS] = 1
    return LinkResult(user_id=user_id, account_id=account_id, created_user=created, granted=granted)
