"""``/v1/account``: the signed-in user's own account, as Appwrite 1.9.6 serves it to the web SDK (the rules are
``storage/accounts.py``; sessions ``storage/sessions.py``; how a session travels ``cookies.py``; OAuth2 ``oauth2.py``).

Scopes as in Appwrite's ``roles.php``: guests and users hold ``sessions.write`` (sign up, sign in), only users
``account`` (everything else; a guest gets 401 ``general_unauthorized_scope``). A session-creating route called
by someone already signed in is 401 ``user_session_already_exists``.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..errors import AppwriteError, argument_invalid
from ..storage.access import Caller, missing_scopes, require_scope
from ..storage.accounts import Accounts
from ..storage.credentials import Credentials
from ..storage.sessions import NewSession, Sessions
from ..storage.users import Users, user_not_found
from .auth import Callers
from .cookies import clear_session, set_session
from .endpoint import Ctx, check_custom_id, check_uid, empty_response, json_response

JWT_MAX_S = 3600
JWT_DEFAULT_S = 900


def session_not_found() -> AppwriteError:
    return AppwriteError(404, "user_session_not_found", "The current user session could not be found.")


def session_already_exists() -> AppwriteError:
    return AppwriteError(
        401, "user_session_already_exists", "Creation of a session is prohibited when a session is active."
    )


def require_user(caller: Caller) -> str:
    """The signed-in user's id; a guest or a key is 401 ``general_unauthorized_scope`` (scope ``account``)."""
    if caller.kind != "user" or caller.user_id is None:
        raise missing_scopes(caller, ["account"])
    return caller.user_id


def require_signed_out(caller: Caller) -> None:
    require_scope(caller, "sessions.write")
    if caller.kind == "user":
        raise session_already_exists()


def session_response(new: NewSession, callers: Callers) -> Response:
    response = json_response(new.session, 201)
    set_session(response, callers.project_id, new.credential, new.expire_at, secure=False)
    return response


def _required(ctx: Ctx, name: str) -> Any:
    value = ctx.param(name)
    if value is None:
        raise AppwriteError(400, "general_argument_invalid", f'Param "{name}" is not optional.')
    return value


# ------------------------------------------------------------------------------------------ account


def create_account(ctx: Ctx, accounts: Accounts) -> tuple[int, Any]:
    """``POST /v1/account``: sign up (no session is created)."""
    require_scope(ctx.caller, "sessions.write")
    user_id = check_custom_id("userId", _required(ctx, "userId"))
    return 201, accounts.sign_up(user_id, _required(ctx, "email"), _required(ctx, "password"), ctx.param("name"))


def get_account(ctx: Ctx, users: Users) -> dict[str, Any]:
    user = users.get(require_user(ctx.caller))
    if user is None:
        raise user_not_found()
    return user


def get_prefs(ctx: Ctx, users: Users) -> dict[str, Any]:
    prefs: dict[str, Any] = get_account(ctx, users)["prefs"]
    return prefs


def update_prefs(ctx: Ctx, users: Users) -> dict[str, Any]:
    """``PATCH /v1/account/prefs``: replaces the whole object; answers the Account."""
    user_id = require_user(ctx.caller)
    prefs = _required(ctx, "prefs")
    if not isinstance(prefs, dict):
        raise argument_invalid("prefs", "Value must be a valid object.")
    return users.update_prefs(user_id, prefs)


def list_identities(ctx: Ctx, sessions: Sessions) -> dict[str, Any]:
    identities = sessions.identities(require_user(ctx.caller))
    return {"total": len(identities), "identities": identities}


# ------------------------------------------------------------------------------------------ sessions


def create_email_session(ctx: Ctx, accounts: Accounts, callers: Callers) -> Response:
    require_signed_out(ctx.caller)
    new = accounts.email_session(_required(ctx, "email"), _required(ctx, "password"))
    return session_response(new, callers)


def create_anonymous_session(ctx: Ctx, accounts: Accounts, callers: Callers) -> Response:
    require_signed_out(ctx.caller)
    return session_response(accounts.anonymous_session(), callers)


def create_token_session(ctx: Ctx, accounts: Accounts, callers: Callers) -> Response:
    """``POST /v1/account/sessions/token`` ``{userId, secret}``: the OAuth2 token flow's second step."""
    require_signed_out(ctx.caller)
    user_id = check_uid("userId", _required(ctx, "userId"))
    secret = _required(ctx, "secret")
    if not isinstance(secret, str) or not 1 <= len(secret) <= 256:
        raise argument_invalid(
            "secret", "Value must be a valid string and at least 1 chars and no longer than 256 chars"
        )
    return session_response(accounts.token_session(user_id, secret), callers)


def _session_id(ctx: Ctx) -> str:
    wanted = ctx.path["sessionId"]
    if wanted == "current":
        if ctx.caller.session_id is None:
            raise session_not_found()
        return ctx.caller.session_id
    return check_uid("sessionId", wanted)


def list_sessions(ctx: Ctx, sessions: Sessions) -> dict[str, Any]:
    found = sessions.of_user(require_user(ctx.caller), ctx.caller.session_id)
    return {"total": len(found), "sessions": found}


def get_session(ctx: Ctx, sessions: Sessions) -> dict[str, Any]:
    user_id = require_user(ctx.caller)
    session = sessions.get(user_id, _session_id(ctx), ctx.caller.session_id)
    if session is None:
        raise session_not_found()
    return session


def delete_session(ctx: Ctx, sessions: Sessions, callers: Callers) -> Response:
    """``DELETE /v1/account/sessions/{id|current}``: 204; the caller's own session also clears its cookies."""
    user_id = require_user(ctx.caller)
    session_id = _session_id(ctx)
    if not sessions.delete(user_id, session_id):
        raise session_not_found()
    response = empty_response()
    if session_id == ctx.caller.session_id:
        clear_session(response, callers.project_id, secure=False)
    return response


def delete_sessions(ctx: Ctx, sessions: Sessions, callers: Callers) -> Response:
    user_id = require_user(ctx.caller)
    sessions.delete_all(user_id)
    response = empty_response()
    if ctx.caller.session_id is not None:
        clear_session(response, callers.project_id, secure=False)
    return response


# ------------------------------------------------------------------------------------------ JWTs


def create_account_jwt(ctx: Ctx, credentials: Credentials) -> tuple[int, Any]:
    """``POST /v1/account/jwts``: a JWT ``{userId, sessionId, exp}`` for the caller's session (0..3600 s, default
    900). A JWT caller may not mint another (403); a caller without a session gets 404."""
    user_id = require_user(ctx.caller)
    if ctx.caller.via_jwt:
        raise AppwriteError(
            403,
            "user_jwt_creation_denied",
            "A JWT cannot be created from a request authorized with a JWT. "
            "Authenticate with a session cookie or session header instead.",
        )
    if ctx.caller.session_id is None:
        raise session_not_found()
    duration = ctx.param("duration", JWT_DEFAULT_S)
    if isinstance(duration, str) and duration.isdigit():
        duration = int(duration)
    if isinstance(duration, bool) or not isinstance(duration, int) or not 0 <= duration <= JWT_MAX_S:
        raise argument_invalid("duration", "Value must be a valid range between 0 and 3,600")
    return 201, {"jwt": credentials.mint_user_jwt(user_id, duration, ctx.caller.session_id)}
