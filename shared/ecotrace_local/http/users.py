"""Users and user JWTs (Appwrite's ``Users`` service subset) and ``/v1/account`` for JWT callers."""

from __future__ import annotations

import re
from typing import Any

from ..errors import AppwriteError, argument_invalid
from ..storage.access import missing_scopes, require_scope
from ..storage.credentials import Credentials
from ..storage.users import Users, user_not_found
from .endpoint import Ctx, check_custom_id, check_uid

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def create_user(ctx: Ctx, users: Users) -> tuple[int, Any]:
    require_scope(ctx.caller, "users.write")
    user_id = check_custom_id("userId", ctx.param("userId"))
    email = ctx.param("email")
    if email is not None and (not isinstance(email, str) or not _EMAIL_RE.match(email)):
        raise argument_invalid("email", "Value must be a valid email address")
    name = ctx.param("name") or ""
    if not isinstance(name, str) or len(name) > 128:
        raise argument_invalid("name", "Value must be a valid string and at least 1 chars and no longer than 128 chars")
    return 201, users.create(user_id, email, name)


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


def get_account(ctx: Ctx, users: Users) -> dict[str, Any]:
    """``GET /v1/account``: the signed-in user (here: a JWT caller)."""
    if ctx.caller.kind != "user" or ctx.caller.user_id is None:
        raise missing_scopes(ctx.caller, ["account"])
    user = users.get(ctx.caller.user_id)
    if user is None:
        raise user_not_found()
    return user


def create_account_jwt(ctx: Ctx) -> Any:
    """``POST /v1/account/jwts`` needs a session; the emulator has none, and a JWT may not mint another."""
    if ctx.caller.kind != "user":
        raise missing_scopes(ctx.caller, ["account"])
    raise AppwriteError(403, "user_jwt_creation_denied", "Cannot create a JWT using a JWT.")
