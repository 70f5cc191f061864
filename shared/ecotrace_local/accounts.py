"""Users, user JWTs, health and ping over HTTP (Appwrite ``Users`` service subset, ``/v1/health``, ``/v1/ping``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Route

from .errors import APPWRITE_VERSION, AppwriteError, argument_invalid
from .rest import Ctx, check_custom_id, check_uid, endpoint
from .storage.access import missing_scopes, require_scope
from .storage.users import user_not_found

if TYPE_CHECKING:
    from .app import LocalStack

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _create(ctx: Ctx) -> tuple[int, Any]:
    require_scope(ctx.caller, "users.write")
    user_id = check_custom_id("userId", ctx.param("userId"))
    email = ctx.param("email")
    if email is not None and (not isinstance(email, str) or not _EMAIL_RE.match(email)):
        raise argument_invalid("email", "Value must be a valid email address")
    name = ctx.param("name") or ""
    if not isinstance(name, str) or len(name) > 128:
        raise argument_invalid("name", "Value must be a valid string and at least 1 chars and no longer than 128 chars")
    return 201, ctx.stack.users.create(user_id, email, name)


def _get(ctx: Ctx) -> dict[str, Any]:
    require_scope(ctx.caller, "users.read")
    user = ctx.stack.users.get(check_uid("userId", ctx.path["userId"]))
    if user is None:
        raise user_not_found()
    return user


def _create_jwt(ctx: Ctx) -> tuple[int, Any]:
    require_scope(ctx.caller, "users.write")
    user_id = check_uid("userId", ctx.path["userId"])
    if ctx.stack.users.get(user_id) is None:
        raise user_not_found()
    duration = ctx.param("duration", 900)
    if isinstance(duration, str) and duration.isdigit():
        duration = int(duration)
    if isinstance(duration, bool) or not isinstance(duration, int) or not 0 <= duration <= 3600:
        raise argument_invalid("duration", "Value must be a valid range between 0 and 3,600")
    return 201, {"jwt": ctx.stack.credentials.mint_user_jwt(user_id, duration)}


def _account(ctx: Ctx) -> dict[str, Any]:
    """``GET /v1/account``: the signed-in user (here: a JWT caller)."""
    if ctx.caller.kind != "user" or ctx.caller.user_id is None:
        raise missing_scopes(ctx.caller, ["account"])
    user = ctx.stack.users.get(ctx.caller.user_id)
    if user is None:
        raise user_not_found()
    return user


def _account_jwt(ctx: Ctx) -> Any:
    """``POST /v1/account/jwts`` needs a session; the emulator has none, and a JWT may not mint another."""
    if ctx.caller.kind != "user":
        raise missing_scopes(ctx.caller, ["account"])
    raise AppwriteError(403, "user_jwt_creation_denied", "Cannot create a JWT using a JWT.")


def _health(ctx: Ctx) -> dict[str, Any]:
    require_scope(ctx.caller, "health.read")
    return {"name": "http", "status": "pass", "ping": 0}


def _version(ctx: Ctx) -> dict[str, Any]:
    return {"version": APPWRITE_VERSION}


def _ping(ctx: Ctx) -> PlainTextResponse:
    return PlainTextResponse("Pong!", media_type="text/plain; charset=UTF-8")


def _ping_endpoint(stack: LocalStack) -> Any:
    inner = endpoint(stack, _ping)

    async def run(request: Any) -> Any:
        project = request.headers.get("x-appwrite-project") or request.query_params.get("project")
        if project != stack.config.project_id:
            raise AppwriteError(404, "project_not_found", "Project with the requested ID could not be found.")
        return await inner(request)

    return run


def routes(stack: LocalStack) -> list[BaseRoute]:
    return [
        Route("/v1/users", endpoint(stack, _create), methods=["POST"]),
        Route("/v1/users/{userId}", endpoint(stack, _get), methods=["GET"]),
        Route("/v1/users/{userId}/jwts", endpoint(stack, _create_jwt), methods=["POST"]),
        Route("/v1/account", endpoint(stack, _account), methods=["GET"]),
        Route("/v1/account/jwts", endpoint(stack, _account_jwt), methods=["POST"]),
        Route("/v1/account/jwt", endpoint(stack, _account_jwt), methods=["POST"]),
        Route("/v1/health", endpoint(stack, _health), methods=["GET"]),
        Route("/v1/health/version", endpoint(stack, _version, needs_project=False), methods=["GET"]),
        Route("/v1/ping", _ping_endpoint(stack), methods=["GET"]),
    ]
