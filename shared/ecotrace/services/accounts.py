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

from ..clock import Clock, utc_now
from ..errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from ..ports import ROW_ID, Store
from ..tables import activities, calculations, user_stats, users
from ..tables.permissions import permissions_of, read_permission, with_permission

OWNED_TABLES = (activities.NAME, calculations.NAME)


@dataclass(frozen=True)
class LinkResult:
    user_id: str
    account_id: str
    created_user: bool
    granted: dict[str, int] = field(default_factory=dict)  # rows per table that got the permission now


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

    row = store.get(users.NAME, user_id)
    created = False
    if row is None:
        if not login:
            raise NotFoundError(f"no users row {user_id}: pass the GitHub login to create it")
        data = users.signup_row(gid, login, account_id, clock())
        try:
            store.create(users.NAME, user_id, data, permissions=[permission])
            created = True
        except ConflictError:  # a delivery created it in the meantime
            row = store.get(users.NAME, user_id)
    if row is not None:
        linked = users.account_of(row)
        if linked and linked != account_id:
            raise ConflictError(f"GitHub user {gid} is already linked to another account")
        perms = with_permission(row, permission)
        if linked != account_id or perms is not None:
            kept = perms or permissions_of(row)
            store.update(users.NAME, user_id, {"account_id": account_id}, permissions=kept)
            granted[users.NAME] = 1

    for table in OWNED_TABLES:
        count = 0
        for owned in list(store.iterate(table, [Query.equal("user_id", user_id)])):
            perms = with_permission(owned, permission)
            if perms is not None:
                store.update(table, str(owned["$id"]), {}, permissions=perms)
                count += 1
        granted[table] = count
    stats = store.get(user_stats.NAME, user_id)
    if stats is not None:
        perms = with_permission(stats, permission)
        if perms is not None:
            store.update(user_stats.NAME, user_id, {}, permissions=perms)
            granted[user_stats.NAME] = 1
    return LinkResult(user_id=user_id, account_id=account_id, created_user=created, granted=granted)


def linked_user(store: Store, account_id: str | None) -> dict[str, object]:
    """The ``users`` row linked to Appwrite account ``account_id``; ForbiddenError when there is none."""
    if not account_id:
        raise ForbiddenError("sign in first")
    rows = store.find(users.NAME, [Query.equal("account_id", [account_id]), Query.limit(1)])
    if not rows:
        raise ForbiddenError("link your GitHub account first (action link_github_account)")
    return rows[0]
