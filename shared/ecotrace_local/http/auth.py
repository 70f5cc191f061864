"""Who is calling a request: the project API key, a function execution key, a user JWT, or a guest.

Mirrors Appwrite 1.9.6 (``shared/api.php``, ``request.php``): ``X-Appwrite-Project`` (or ``?project=``) must name
this project; then ``X-Appwrite-Key`` makes the caller the project key or an execution key, ``X-Appwrite-JWT`` (or
``?jwt=``) that user, and nothing a guest. What each caller may do is ``storage/access.py``; how keys and JWTs are
signed and checked is ``storage/credentials.py``. Routes that need no project (``/v1/health/version``, function
domains) do not resolve a caller at all.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import AppwriteError, user_unauthorized
from ..storage.access import GUEST, Caller, caller_for_user
from ..storage.credentials import Credentials
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


class Callers:
    """Turns a request's headers into its :class:`~ecotrace_local.storage.access.Caller`."""

    def __init__(self, credentials: Credentials, users: Users) -> None:
        self._credentials = credentials
        self._users = users

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
        token = headers.get("x-appwrite-jwt") or query_params.get("jwt")
        if token:
            return self.from_jwt(token)
        return GUEST

    def from_jwt(self, token: str) -> Caller:
        """Validate a user JWT. Bad signature/expiry -> 401 ``user_jwt_invalid``; unknown or blocked user -> guest."""
        user_id = self._credentials.user_id_from_jwt(token)
        if user_id is None:
            return GUEST
        user = self._users.get(user_id)
        if user is None or not user.get("status", True):
            return GUEST
        return caller_for_user(user)
