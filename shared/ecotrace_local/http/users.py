"""Users and user JWTs (Appwrite's ``Users`` service subset, API key callers). The signed-in user's own account is
``account.py``."""

from __future__ import annotations

from typing import Any

from ..errors import argument_invalid
from ..storage.access import require_scope
from ..storage.accounts import EMAIL_RE
from ..storage.credentials import Credentials
from ..storage.passwords import check_password, hash_password
from ..storage.users import Users, user_not_found
from .endpoint import Ctx, check_custom_id, check_uid
from .listing import page_bounds


def create_user(ctx: Ctx, users: Users) -> tuple[int, Any]:
    require_scope(ctx.caller, "users.write")
    user_id = check_custom_id("userId", ctx.param("userId"))
    email = ctx.param("email")
    if email is not None and (not isinstance(email, str) or not EMAIL_RE.match(email)):
        raise argument_invalid("email", "Value must be a valid email address")
    name = ctx.param("name") or ""
    if not isinstance(name, str) or len(name) > 128:
        raise argument_invalid("name", "Value must be a valid string and at least 1 chars and no longer than 128 chars")
    password = ctx.param("password")
    password_hash = hash_password(check_password(password)) if password is not None else None
    return 201, users.create(user_id, email, name, password_hash=password_hash)


def list_users(ctx: Ctx, users: Users) -> dict[str, Any]:
    """``GET /v1/users`` ``{total, users}`` oldest first; ``queries`` limit/offset and ``search``."""
    require_scope(ctx.caller, "users.read")
    limit, offset = page_bounds(ctx.param("queries"))
    search = ctx.param("search") or ""
    total, page = users.page(limit, offset, search if isinstance(search, str) else "")
    return {"total": total, "users": page}


def get_user(ctx: Ctx, users: Users) -> dict[str, Any]:
    require_scope(ctx.caller, "users.read")
    user = users.get(check_uid("userId", ctx.path["userId"]))
    if user is None:
        raise user_not_found()
    return user


def create_user_jwt(ctx: Ctx, users: Users, credentials: Credentials) -> tuple[int, Any]:
    require_scope(ctx.caller, "users.write")
    user_id = check_uid("userId", ctx.path["userId"])
    if users.get(user_id) is None:
        raise user_not_found()
    duration = ctx.param("duration", 900)
    if isinstance(duration, str) and duration.isdigit():
        duration = int(duration)
    if isinstance(duration, bool) or not isinstance(duration, int) or not 0 <= duration <= 3600:
        raise argument_invalid("duration", "Value must be a valid range between 0 and 3,600")
    return 201, {"jwt": credentials.mint_user_jwt(user_id, duration)}
