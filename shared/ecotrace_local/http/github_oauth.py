"""The stack's side of "Sign in with GitHub": what Appwrite's GitHub adapter (``src/Appwrite/Auth/OAuth2/Github.php``)
does with an OAuth App, against the local stand-in (``github_standin.py``) unless other URLs are configured.

- the authorize URL the browser is sent to: ``<web>/login/oauth/authorize?client_id&redirect_uri&scope&state``,
  scope ``user:email`` plus any asked for;
- the code exchange: ``POST <web>/login/oauth/access_token`` (form, ``Accept: application/json``);
- the profile: ``GET <api>/user`` and ``GET <api>/user/emails`` (``Authorization: token <t>``); the e-mail is
  the verified primary one, else any verified one.

Every call has a timeout; a failure is an :class:`OAuthFailure` with Appwrite's error type, which the redirect
route turns into the failure redirect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from ..storage.accounts import ProviderProfile
from .github_standin import API_PREFIX, PREFIX

TIMEOUT = httpx.Timeout(10.0, connect=3.0)
DEFAULT_SCOPE = "user:email"


class OAuthFailure(Exception):
    def __init__(self, type_: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.type = type_
        self.message = message
        self.status = status


def unreachable(exc: Exception) -> OAuthFailure:
    return OAuthFailure("user_oauth2_provider_error", f"GitHub could not be reached: {type(exc).__name__}")


@dataclass(frozen=True)
class GitHubOAuth:
    """``web_url``/``api_url`` empty = the stand-in: the browser reaches it on the host it used for the API, the
    stack itself on ``server_base`` (``http://127.0.0.1:<port>``)."""

    client_id: str
    client_secret: str
    server_base: str
    web_url: str = ""
    api_url: str = ""

    def browser_web_url(self, request_base: str) -> str:
        return self.web_url.rstrip("/") or request_base.rstrip("/") + PREFIX

    def _server_web_url(self) -> str:
        return self.web_url.rstrip("/") or self.server_base.rstrip("/") + PREFIX

    def _api(self) -> str:
        return self.api_url.rstrip("/") or self.server_base.rstrip("/") + API_PREFIX

    def authorize_url(self, request_base: str, redirect_uri: str, scopes: list[str], state: str) -> str:
        scope = " ".join(dict.fromkeys([DEFAULT_SCOPE, *scopes]))
        query = urlencode({"client_id": self.client_id, "redirect_uri": redirect_uri, "scope": scope, "state": state})
        return f"{self.browser_web_url(request_base)}/login/oauth/authorize?{query}"

    def exchange(self, code: str, redirect_uri: str) -> str:
        """The access token for ``code``."""
        form = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "client_secret": self.client_secret,
            "code": code,
        }
        try:
            response = httpx.post(
                f"{self._server_web_url()}/login/oauth/access_token",
                data=form,
                headers={"accept": "application/json"},
                timeout=TIMEOUT,
            )
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise unreachable(exc) from exc
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            detail = body.get("error_description") or body.get("error") if isinstance(body, dict) else None
            raise OAuthFailure(
                "user_oauth2_provider_error", f"Failed to obtain access token. The GitHub OAuth2 provider returned "
                f"an error: {detail or 'no access token'}", 424,
            )  # fmt: skip
        return token

    def _get(self, path: str, token: str) -> Any:
        headers = {"authorization": f"token {token}", "accept": "application/vnd.github+json"}
        try:
            response = httpx.get(f"{self._api()}{path}", headers=headers, timeout=TIMEOUT)
        except httpx.HTTPError as exc:
            raise unreachable(exc) from exc
        if response.status_code != 200:
            raise OAuthFailure("user_oauth2_unauthorized", "OAuth2 provider rejected the unauthorized request.", 401)
        try:
            return response.json()
        except ValueError:
            raise OAuthFailure("user_oauth2_provider_error", "GitHub answered something that is not JSON") from None

    def profile(self, token: str) -> ProviderProfile:
        user = self._get("/user", token)
        if not isinstance(user, dict) or not user.get("id"):
            raise OAuthFailure("user_missing_id", "Missing ID from OAuth2 provider.")
        emails = self._get("/user/emails", token)
        verified = [e for e in emails if isinstance(e, dict) and e.get("verified")] if isinstance(emails, list) else []
        chosen = next((e for e in verified if e.get("primary")), verified[0] if verified else None)
        return ProviderProfile(
            provider="github",
            uid=str(user["id"]),
            name=str(user.get("name") or user.get("login") or ""),
            email=str(chosen["email"]) if chosen else "",
            email_verified=chosen is not None,
            access_token=token,
        )
