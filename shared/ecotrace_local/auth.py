"""Who is calling a request: the project API key, a function execution key, a user JWT, or a guest.

Mirrors Appwrite 1.9.6 (``shared/api.php``, ``request.php``); the rights of each caller are in
``storage/access.py``, the signing of keys and JWTs in ``storage/credentials.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from .errors import AppwriteError
from .storage.access import GUEST, Caller, caller_for_user

if TYPE_CHECKING:
    from .app import LocalStack


def access_forbidden_no_project() -> AppwriteError:
    return AppwriteError(
        401,
        "general_access_forbidden",
        "No Appwrite project was specified. Please specify your project ID when initializing your Appwrite SDK.",
    )


def project_not_found(project_id: str) -> AppwriteError:
    return AppwriteError(404, "project_not_found", "Project with the requested ID could not be found.")


def mint_function_key(stack: LocalStack, scopes: Iterable[str], ttl_s: int) -> str:
    return stack.credentials.mint_function_key(scopes, ttl_s)


def caller_from_jwt(stack: LocalStack, token: str) -> Caller:
    """Validate a user JWT. Bad signature/expiry -> 401 ``user_jwt_invalid``; unknown user -> guest."""
    user_id = stack.credentials.user_id_from_jwt(token)
    if user_id is None:
        return GUEST
    user = stack.users.get(user_id)
    if user is None or not user.get("status", True):
        return GUEST
    return caller_for_user(user)


def project_from(headers: Mapping[str, str], query_params: Mapping[str, str]) -> str | None:
    return headers.get("x-appwrite-project") or query_params.get("project") or None


def resolve_caller(stack: LocalStack, headers: Mapping[str, str], query_params: Mapping[str, str]) -> Caller:
    """The caller of one request (``headers`` keys lower-case, as Starlette gives them)."""
    project = project_from(headers, query_params)
    if not project:
        raise access_forbidden_no_project()
    if project != stack.config.project_id:
        raise project_not_found(project)
    key = headers.get("x-appwrite-key")
    if key:
        return stack.credentials.key_caller(key)
    token = headers.get("x-appwrite-jwt") or query_params.get("jwt")
    if token:
        return caller_from_jwt(stack, token)
    return GUEST
