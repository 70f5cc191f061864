"""A local stand-in for GitHub's OAuth App flow and the two REST calls EcoTrace's sign-up makes, served by the
local stack under ``/_github`` so that "Sign in with GitHub" and ``link_github_account`` run with no GitHub
account (``make dev``; production uses Appwrite's real GitHub provider, see docs/frontend.md).

It answers what Appwrite's GitHub adapter (``src/Appwrite/Auth/OAuth2/Github.php``) and
``ecotrace.services.signup.whoami`` call, in GitHub's shapes (GitHub Docs, "Authorizing OAuth apps", "REST API:
users, emails"), with GitHub Enterprise Server's layout (web at the root, REST under ``/api/v3``):

- ``GET /_github/login/oauth/authorize?client_id&redirect_uri&scope&state``: a page to pick one of
  :data:`DEMO_ACCOUNTS` (or cancel); the choice is ``POST``ed back and answered 302 to
  ``redirect_uri?code=…&state=…`` (or ``?error=access_denied&…``). ``redirect_uri`` must be an Appwrite OAuth2
  callback on a loopback host;
- ``POST /_github/login/oauth/access_token`` (form: ``client_id, client_secret, code, redirect_uri``): JSON
  ``{access_token, token_type, scope}`` when asked with ``Accept: application/json``, else form-encoded; a bad or
  used code is 200 ``{"error": "bad_verification_code", …}`` as on GitHub; codes live 10 minutes, once;
- ``GET /_github/api/v3/user`` and ``/user/emails`` with ``Authorization: token|Bearer <t>``: the account and its
  verified primary e-mail; an unknown token is 401 ``Bad credentials``.

Access tokens are derived from the stack's secret and the login (HMAC), so they stay valid across restarts of
``make dev`` (the session stored in SQLite keeps its ``providerAccessToken``). Nothing here leaves the machine.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response

PREFIX = "/_github"
API_PREFIX = PREFIX + "/api/v3"
CODE_TTL_S = 600
CALLBACK_PATH = "/v1/account/sessions/oauth2/callback/github/"
DOCS = "https://docs.github.com/rest"


@dataclass(frozen=True)
class DemoAccount:
    id: int
    login: str
    name: str
    email: str


# Codertocat (21031067) is the sender of scripts/samples/push.json and most webhook fixtures: sign in as it and
# the sample push of scripts/send_test_event.py becomes your activity.
DEMO_ACCOUNTS = (
    DemoAccount(21031067, "Codertocat", "Codertocat", "codertocat@example.com"),
    DemoAccount(583231, "octocat", "The Octocat", "octocat@example.com"),
    DemoAccount(4_000_001, "monalisa", "Mona Lisa", "monalisa@example.com"),
)


def _is_loopback(host: str | None) -> bool:
    if not host or host == "localhost":
        return host == "localhost"
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


class GitHubStandIn:
    """The stand-in's state: its OAuth App (client id and secret), pending codes, and token derivation."""

    def __init__(self, client_id: str, client_secret: str, secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self._key = hashlib.sha256(("github-standin:" + secret).encode()).digest()
        self._codes: dict[str, tuple[DemoAccount, str, str, float]] = {}  # code -> account, redirect, scope, exp
        self._lock = threading.Lock()
        self.accounts = {a.login: a for a in DEMO_ACCOUNTS}

    def token_for(self, account: DemoAccount) -> str:
        return "gho_" + hmac.new(self._key, account.login.encode(), hashlib.sha256).hexdigest()[:36]

    def account_for(self, token: str) -> DemoAccount | None:
        return next((a for a in DEMO_ACCOUNTS if hmac.compare_digest(self.token_for(a), token)), None)

    def issue_code(self, account: DemoAccount, redirect_uri: str, scope: str) -> str:
        code = secrets.token_hex(10)
        now = time.time()
        with self._lock:
            for old in [c for c, entry in self._codes.items() if entry[3] < now]:
                del self._codes[old]
            self._codes[code] = (account, redirect_uri, scope, now + CODE_TTL_S)
        return code

    def redeem(self, code: str, redirect_uri: str | None) -> tuple[DemoAccount, str] | None:
        with self._lock:
            entry = self._codes.pop(code, None)
        if entry is None or entry[3] < time.time():
            return None
        account, issued_for, scope, _ = entry
        if redirect_uri and redirect_uri != issued_for:
            return None
        return account, scope


def _redirect_allowed(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and _is_loopback(parts.hostname) and parts.path.startswith(CALLBACK_PATH)


def _error_page(status: int, message: str) -> HTMLResponse:
    body = f"<!doctype html><meta charset=utf-8><title>GitHub stand-in</title><p>{html.escape(message)}</p>"
    return HTMLResponse(body, status_code=status)


def _authorize_page(params: dict[str, str], standin: GitHubStandIn) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
        if k in ("client_id", "redirect_uri", "scope", "state")
    )
    buttons = "".join(
        f'<li><button name="login" value="{html.escape(a.login)}" data-login="{html.escape(a.login)}">'
        f"Sign in as <b>{html.escape(a.login)}</b> ({html.escape(a.name)}, id {a.id})</button></li>"
        for a in standin.accounts.values()
    )
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Authorize EcoTrace (local GitHub stand-in)</title>"
        "<style>body{font:16px system-ui,sans-serif;max-width:36rem;margin:3rem auto}li{margin:.5rem 0}"
        "button{font:inherit;padding:.4rem .8rem}</style>"
        "<h1>Authorize EcoTrace</h1><p>This is the local stack's <strong>GitHub stand-in</strong>: no GitHub "
        "account is used. Pick a demo identity to continue.</p>"
        f'<form method="post" action="{PREFIX}/login/oauth/authorize">{hidden}<ul>{buttons}</ul>'
        '<button name="cancel" value="1" id="cancel">Cancel</button></form></html>'
    )


async def _form(request: Request) -> dict[str, str]:
    raw = (await request.body()).decode("utf-8", errors="replace")
    if "json" in request.headers.get("content-type", ""):
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return {**dict(request.query_params), **dict(parse_qsl(raw, keep_blank_values=True))}


async def authorize_page(request: Request, standin: GitHubStandIn) -> Response:
    params = dict(request.query_params)
    if params.get("client_id") != standin.client_id:
        return _error_page(404, "Unknown OAuth App (client_id).")
    if not _redirect_allowed(params.get("redirect_uri", "")):
        return _error_page(400, "The redirect_uri MUST match the registered callback URL for this application.")
    return HTMLResponse(_authorize_page(params, standin))


async def authorize_choice(request: Request, standin: GitHubStandIn) -> Response:
    form = await _form(request)
    redirect_uri = form.get("redirect_uri", "")
    if form.get("client_id") != standin.client_id or not _redirect_allowed(redirect_uri):
        return _error_page(400, "The redirect_uri MUST match the registered callback URL for this application.")
    state = form.get("state", "")
    separator = "&" if "?" in redirect_uri else "?"
    account = standin.accounts.get(form.get("login", ""))
    if form.get("cancel") or account is None:
        query = {
            "error": "access_denied",
            "error_description": "The user has denied your application access.",
            "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors",
            "state": state,
        }
        return RedirectResponse(redirect_uri + separator + urlencode(query), status_code=302)
    code = standin.issue_code(account, redirect_uri, form.get("scope", ""))
    return RedirectResponse(redirect_uri + separator + urlencode({"code": code, "state": state}), status_code=302)


async def access_token(request: Request, standin: GitHubStandIn) -> Response:
    form = await _form(request)
    wants_json = "json" in request.headers.get("accept", "")
    if form.get("client_id") != standin.client_id or not hmac.compare_digest(
        form.get("client_secret", ""), standin.client_secret
    ):
        answer = {
            "error": "incorrect_client_credentials",
            "error_description": "The client_id and/or client_secret passed are incorrect.",
        }
    else:
        redeemed = standin.redeem(form.get("code", ""), form.get("redirect_uri"))
        if redeemed is None:
            answer = {"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}
        else:
            account, scope = redeemed
            answer = {"access_token": standin.token_for(account), "token_type": "bearer", "scope": scope}
    if wants_json:
        return JSONResponse(answer)
    return PlainTextResponse(urlencode(answer), media_type="application/x-www-form-urlencoded")


def _bearer(request: Request, standin: GitHubStandIn) -> DemoAccount | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() not in ("token", "bearer") or not token.strip():
        return None
    return standin.account_for(token.strip())


def _bad_credentials() -> JSONResponse:
    return JSONResponse({"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}, status_code=401)


def _user_json(account: DemoAccount) -> dict[str, Any]:
    return {
        "login": account.login,
        "id": account.id,
        "avatar_url": "",
        "html_url": f"https://github.com/{account.login}",
        "type": "User",
        "site_admin": False,
        "name": account.name,
        "email": account.email,
    }


async def api_user(request: Request, standin: GitHubStandIn) -> Response:
    account = _bearer(request, standin)
    return _bad_credentials() if account is None else JSONResponse(_user_json(account))


async def api_user_emails(request: Request, standin: GitHubStandIn) -> Response:
    account = _bearer(request, standin)
    if account is None:
        return _bad_credentials()
    return JSONResponse([{"email": account.email, "primary": True, "verified": True, "visibility": "public"}])
