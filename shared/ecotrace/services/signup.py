"""Sign-up: a signed-in Appwrite user proves which GitHub account is theirs, and their activity joins them.

The frontend signs people in with Appwrite's GitHub OAuth provider; the session carries the GitHub access
token (``session.providerAccessToken``). The user sends that token to the ``api-integrations`` function
(action ``link_github_account``). The function asks GitHub who the token belongs to (``GET /user``) and
links that GitHub id to the caller's Appwrite account (``x-appwrite-user-id``, set by Appwrite, not by the
caller). So nobody can claim another person's GitHub activity: the id comes from GitHub, not from the request.
The token is used for that one request and never stored or logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from ..errors import UnauthorizedError, UpstreamError, ValidationError
from ..ports import Store
from ..settings import Settings
from .accounts import link_account

GITHUB_API = "https://api.github.com"
TIMEOUT = httpx.Timeout(5.0, connect=3.05)
MAX_TOKEN_LENGTH = 255


@dataclass(frozen=True)
class GitHubIdentity:
    github_id: int
    login: str


def whoami(token: str, *, api_url: str = GITHUB_API, timeout: httpx.Timeout = TIMEOUT) -> GitHubIdentity:
    """The GitHub account a token belongs to (REST ``GET /user``)."""
    headers = {
        "authorization": f"Bearer {token}",
        "accept": "application/vnd.github+json",
        "x-github-api-version": "2022-11-28",
        "user-agent": "EcoTrace-signup",
    }
    try:
        response = httpx.get(f"{api_url.rstrip('/')}/user", headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise UpstreamError(f"GitHub could not be reached: {type(exc).__name__}") from exc
    if response.status_code == 401:
        raise UnauthorizedError("GitHub did not accept the token: sign in with GitHub again")
    if response.status_code != 200:
        raise UpstreamError(f"GitHub answered {response.status_code} to GET /user")
    try:
        body = response.json()
        identity = GitHubIdentity(github_id=int(body["id"]), login=str(body["login"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise UpstreamError("GitHub's GET /user answer has no id and login") from exc
    if identity.github_id <= 0 or not identity.login:
        raise UpstreamError("GitHub's GET /user answer has no id and login")
    return identity


def link_github_account(
    store: Store,
    *,
    account_id: str,
    github_token: object,
    identify: Callable[[str], GitHubIdentity] = whoami,
) -> dict[str, Any]:
    """Link the GitHub account behind ``github_token`` to Appwrite account ``account_id``."""
    if not isinstance(github_token, str) or not github_token.strip():
        raise ValidationError('link_github_account needs "github_token": the GitHub OAuth access token')
    if len(github_token) > MAX_TOKEN_LENGTH or any(c.isspace() for c in github_token.strip()):
        raise ValidationError('"github_token" is not a GitHub token')
    identity = identify(github_token.strip())
    result = link_account(store, github_id=identity.github_id, account_id=account_id, login=identity.login)
    return {
        "ok": True,
        "user_id": result.user_id,
        "github_login": identity.login,
        "created_user": result.created_user,
        "rows_granted": result.granted,
    }


def linker_for(settings: Settings, store: Store) -> Callable[[str, object], dict[str, Any]]:
    """The ``link_github_account`` action bound to this execution's store (``GITHUB_API_URL`` overrides the API
    address, e.g. for GitHub Enterprise Server)."""
    api_url = settings.env.get("GITHUB_API_URL", GITHUB_API)

    def link(account_id: str, github_token: object) -> dict[str, Any]:
        return link_github_account(
            store, account_id=account_id, github_token=github_token, identify=lambda t: whoami(t, api_url=api_url)
        )

    return link
