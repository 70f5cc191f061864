"""OAuth2 sign-in (GitHub only), Appwrite 1.9.6's redirect flow (``account.php`` ``createOAuth2Session``,
``createOAuth2Token``, the callback and redirect routes), with the provider client in ``github_oauth.py``:

1. ``GET /v1/account/sessions/oauth2/github?success&failure&scopes[]&project`` (what ``createOAuth2Session``
   navigates to; ``/v1/account/tokens/oauth2/github`` for ``createOAuth2Token``): 301 to GitHub's authorize page
   with ``redirect_uri`` = this stack's callback and ``state`` = ``{"success","failure","token"}``;
2. ``GET /v1/account/sessions/oauth2/callback/github/<project>?code&state``: 301 to step 3 on the same host;
3. ``GET /v1/account/sessions/oauth2/github/redirect``: exchange the code, read the profile, resolve the user
   (``storage/accounts.py``: a signed-in caller links GitHub to their own account), then either a session with its
   cookies and 301 to ``success``, or (token flow) a one-time token and 301 to ``success?secret=…&userId=…`` for
   ``account.createSession``. Any failure is a 301 to ``failure?error={"message","type","code"}``.

``success`` and ``failure`` must be on a loopback host or the stack's own host (Appwrite: a registered Web
platform), else 400. Providers other than GitHub are 412 ``project_provider_disabled``.
"""

from __future__ import annotations

import json
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.responses import RedirectResponse, Response

from ..errors import AppwriteError, argument_invalid
from ..storage.access import require_scope
from ..storage.accounts import Accounts
from ..storage.sessions import Sessions
from .auth import Callers, project_not_found
from .cookies import set_session
from .endpoint import Ctx
from .github_oauth import GitHubOAuth, OAuthFailure

NO_CACHE = {"cache-control": "no-store, no-cache, must-revalidate, max-age=0", "pragma": "no-cache"}


def provider_disabled() -> AppwriteError:
    return AppwriteError(
        412,
        "project_provider_disabled",
        "The chosen OAuth provider is disabled. You can enable the OAuth provider using the Appwrite console.",
    )


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=301, headers=NO_CACHE)


def _base(ctx: Ctx) -> str:
    return "http://" + ctx.headers.get("host", "127.0.0.1")


def _with_query(url: str, params: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(param: str, value: Any, base: str) -> str:
    """A ``success``/``failure`` URL on a loopback host or this stack's host (default: the dashboard)."""
    if value in (None, ""):
        return base + "/"
    parts = urlsplit(value) if isinstance(value, str) else None
    host = parts.hostname if parts else None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise argument_invalid(param, "Invalid URI.")
    if not (_loopback(host) or host == urlsplit(base).hostname):
        raise argument_invalid(
            param, f"Invalid URI. Register your new client ({host}) as a new Web platform on your project console "
            "dashboard",
        )  # fmt: skip
    return str(value)


def _provider(ctx: Ctx) -> str:
    if ctx.path["provider"] != "github":
        raise provider_disabled()
    return "github"


def _callback(base: str, project_id: str) -> str:
    return f"{base}/v1/account/sessions/oauth2/callback/github/{project_id}"


def _start(ctx: Ctx, github: GitHubOAuth, callers: Callers, *, token: bool) -> Response:
    require_scope(ctx.caller, "sessions.write")
    _provider(ctx)
    base = _base(ctx)
    success = _check_url("success", ctx.param("success"), base)
    failure = _check_url("failure", ctx.param("failure"), base)
    scopes = ctx.param("scopes") or []
    if not isinstance(scopes, list) or len(scopes) > 100 or not all(isinstance(s, str) and s for s in scopes):
        raise argument_invalid("scopes", "Value must a valid array no longer than 100 items")
    state = json.dumps({"success": success, "failure": failure, "token": token}, separators=(",", ":"))
    return _redirect(github.authorize_url(base, _callback(base, callers.project_id), scopes, state))


def start_session(ctx: Ctx, github: GitHubOAuth, callers: Callers) -> Response:
    """``GET /v1/account/sessions/oauth2/{provider}``."""
    return _start(ctx, github, callers, token=False)


def start_token(ctx: Ctx, github: GitHubOAuth, callers: Callers) -> Response:
    """``GET /v1/account/tokens/oauth2/{provider}``."""
    return _start(ctx, github, callers, token=True)


def callback(ctx: Ctx, callers: Callers) -> Response:
    """``GET /v1/account/sessions/oauth2/callback/{provider}/{projectId}``: on to the redirect route."""
    if ctx.path["projectId"] != callers.project_id:
        raise project_not_found()
    provider = _provider(ctx)
    params = {k: str(v) for k, v in ctx.query.items() if isinstance(v, str)}
    params["project"] = callers.project_id
    return _redirect(f"{_base(ctx)}/v1/account/sessions/oauth2/{provider}/redirect?{urlencode(params)}")


def redirect(ctx: Ctx, github: GitHubOAuth, accounts: Accounts, sessions: Sessions, callers: Callers) -> Response:
    """``GET /v1/account/sessions/oauth2/{provider}/redirect``: the user signed in, then back to the app."""
    _provider(ctx)
    base = _base(ctx)
    try:
        state = json.loads(ctx.param("state") or "{}")
    except ValueError:
        state = {}
    if not isinstance(state, dict):
        state = {}
    try:
        success = _check_url("success", state.get("success"), base)
        failure = _check_url("failure", state.get("failure"), base)
    except AppwriteError:
        raise AppwriteError(400, "project_invalid_success_url", "Invalid redirect URL for OAuth success.") from None
    signed_in = ctx.caller.user_id if ctx.caller.kind == "user" else None
    try:
        error = ctx.param("error")
        if error:
            detail = ctx.param("error_description")
            message = f"The GitHub OAuth2 provider returned an error: {error}" + (f": {detail}" if detail else "")
            raise OAuthFailure("user_oauth2_provider_error", message, 424)
        code = ctx.param("code")
        if not isinstance(code, str) or not code:
            raise OAuthFailure("user_oauth2_provider_error", "Missing OAuth2 code. Please contact the team.", 424)
        access_token = github.exchange(code, _callback(base, callers.project_id))
        profile = github.profile(access_token)
        if state.get("token"):
            user_id = accounts.oauth_user(profile, signed_in)
            secret = sessions.create_token(user_id, "github")
            return _redirect(_with_query(success, {"secret": secret, "userId": user_id}))
        new = accounts.oauth_session(profile, signed_in)
    except (OAuthFailure, AppwriteError) as exc:
        status = exc.status
        error_json = json.dumps({"message": exc.message, "type": exc.type, "code": status}, separators=(",", ":"))
        return _redirect(_with_query(failure, {"error": error_json}))
    response = _redirect(success)
    set_session(response, callers.project_id, new.credential, new.expire_at, secure=False)
    return response
