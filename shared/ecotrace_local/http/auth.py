"""Who is calling a request: the project API key, a function execution key, a user JWT, or a guest.

Mirrors Appwrite 1.9.6 (``shared/api.php``, ``request.php``): ``X-Appwrite-Project`` (or ``?project=``) must name
this project; then ``X-Appwrite-Key`` makes the caller the project key or an execution key; a live session (the
cookie ``a_session_<project>``, else ``a_session_<project>_legacy``, else ``X-Appwrite-Session``, else the
``X-Fallback-Cookies`` JSON) or ``X-Appwrite-JWT`` (or ``?jwt=``) that user, with the same roles either way; a JWT
together with a live session is 403 ``user_jwt_and_cookie_set``; an expired or deleted session, and a JWT minted
from a session that is gone, make the caller a guest; nothing at all is a guest. What each caller may do is
``storage/access.py``; how keys and JWTs are signed and checked is ``storage/credentials.py``; sessions are
``storage/sessions.py``. Routes that need no project (``/v1/health/version``, function domains) do not resolve a
caller at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import unquote

import jwt
from starlette.requests import cookie_parser

from ..errors import AppwriteError, user_unauthorized
from ..storage.access import GUEST, Caller, caller_for_user
from ..storage.credentials import Credentials
from ..storage.sessions import Sessions
from ..storage.users import Users


def access_forbidden_no_project() -> AppwriteError:
    return AppwriteError(
        401,
        "general_access_forbidden",
        "No Appwrite project was specified. Please specify your project ID when initializing your Appwrite SDK.",
    )


def project_not_found() -> AppwriteError:
    return AppwriteError(404, "project_not_found", "Project with the requested ID could not be found.")


def project_from(headers: Mapping[str, str], query_params: Mapping[str, str]) -> str | None:
    return headers.get("x-appwrite-project") or query_params.get("project") or None


def require_project_key(caller: Caller) -> None:
    """The full project key, not an execution key (the ``/v1/_local/`` routes)."""
    if not caller.is_key or caller.scopes is not None:
        raise user_unauthorized()


def jwt_and_cookie_set() -> AppwriteError:
    return AppwriteError(
        403,
        "user_jwt_and_cookie_set",
        "JWT and cookie used in the same request. Use either `setJWT` or `setCookie`. Learn about which "
        "authentication method to use in the SSR docs: https://appwrite.io/docs/products/auth/server-side-rendering",
    )


def session_cookie_name(project_id: str) -> str:
    return f"a_session_{project_id}"


def session_credential(headers: Mapping[str, str], project_id: str) -> str | None:
    """The session credential a request carries, in Appwrite's order (see the module docstring)."""
    name = session_cookie_name(project_id)
    cookies = cookie_parser(headers.get("cookie", ""))
    for key in (name, f"{name}_legacy"):
        value = unquote(cookies.get(key, "").strip('"'))
        if value:
            return value
    header = headers.get("x-appwrite-session")
    if header:
        return header
    fallback = headers.get("x-fallback-cookies")
    if fallback:
        try:
            parsed = json.loads(fallback)
        except ValueError:
            return None
        found = parsed.get(name) if isinstance(parsed, dict) else None
        if isinstance(found, str) and found:
            return found
    return None


class Callers:
    """Turns a request's headers into its :class:`~ecotrace_local.storage.access.Caller`."""

    def __init__(self, credentials: Credentials, users: Users, sessions: Sessions | None = None) -> None:
        self._credentials = credentials
        self._users = users
        self._sessions = sessions

    @property
    def project_id(self) -> str:
        return self._credentials.project_id

    def resolve(self, headers: Mapping[str, str], query_params: Mapping[str, str]) -> Caller:
        """The caller of one request (``headers`` keys lower-case, as Starlette gives them)."""
        project = project_from(headers, query_params)
        if not project:
            raise access_forbidden_no_project()
        if project != self.project_id:
            raise project_not_found()
        key = headers.get("x-appwrite-key")
        if key:
            return self._credentials.key_caller(key)
        credential = session_credential(headers, self.project_id)
        session_caller = self.from_session(credential) if credential else None
        token = headers.get("x-appwrite-jwt") or query_params.get("jwt")
        if token:
            if session_caller is not None:
                raise jwt_and_cookie_set()
            return self.from_jwt(token)
        return session_caller or GUEST

    def from_session(self, credential: str) -> Caller | None:
        """The user of a live session credential; None when it names none (malformed, expired, deleted, blocked)."""
        if self._sessions is None:
            return None
        found = self._sessions.verify(credential)
        if found is None:
            return None
        user_id, session_id = found
        user = self._users.get(user_id)
        if user is None or not user.get("status", True):
            return None
        return caller_for_user(user, session_id=session_id)

    def from_jwt(self, token: str) -> Caller:
        """Validate a user JWT. Bad signature/expiry -> 401 ``user_jwt_invalid``; unknown or blocked user, or a
        session the JWT was minted from that is no longer active -> guest."""
        user_id = self._credentials.user_id_from_jwt(token)
        if user_id is None:
            return GUEST
        user = self._users.get(user_id)
        if user is None or not user.get("status", True):
            return GUEST
        # The signature was verified just above; this only reads the claim.
        session_id = jwt.decode(token, options={"verify_signature": False}).get("sessionId")
        if session_id and (self._sessions is None or not self._sessions.is_active(user_id, str(session_id))):
            return GUEST
        return caller_for_user(user, via_jwt=True)
