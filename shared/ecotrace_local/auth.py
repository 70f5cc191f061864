"""Who is calling: the project API key, a function execution key, a user JWT, or a guest.

Mirrors Appwrite 1.9.6 (``shared/api.php``, ``request.php``): a project key bypasses all permissions; an
execution key (``ephemeral_<HS256 JWT {projectId, scopes, exp}>``) carries only its scopes; a JWT
(``{userId, sessionId, exp}``) makes the caller that user; otherwise the caller is a guest.
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt

from .db import TableSchema, roles_for
from .errors import AppwriteError, argument_invalid, user_unauthorized

if TYPE_CHECKING:
    from .app import LocalStack

EPHEMERAL_PREFIX = "ephemeral_"
GUEST_SCOPES = frozenset({"rows.read", "rows.write", "documents.read", "documents.write", "executions.write"})
USER_SCOPES = GUEST_SCOPES | {"account", "executions.read", "teams.read", "teams.write"}
ROW_PERMISSION_TYPES = ("read", "update", "delete", "write")


@dataclass(frozen=True)
class Caller:
    kind: str  # "key" | "user" | "guest"
    user_id: str | None
    roles: frozenset[str]
    scopes: frozenset[str] | None  # None = the full project key
    role_list: tuple[str, ...] = ()  # roles in Appwrite's order (for error messages)

    @property
    def is_key(self) -> bool:
        return self.kind == "key"

    @property
    def bypasses_permissions(self) -> bool:
        return self.kind == "key"

    def has_scope(self, scope: str) -> bool:
        if self.scopes is None:
            return True
        return scope in self.scopes

    @property
    def role_label(self) -> str:
        return {"key": "applications", "user": "users", "guest": "guests"}[self.kind]


GUEST = Caller(
    kind="guest", user_id=None, roles=frozenset({"any", "guests"}), scopes=GUEST_SCOPES, role_list=("any", "guests")
)
PROJECT_KEY = Caller(kind="key", user_id=None, roles=frozenset({"any"}), scopes=None, role_list=("any",))


def access_forbidden_no_project() -> AppwriteError:
    return AppwriteError(
        401,
        "general_access_forbidden",
        "No Appwrite project was specified. Please specify your project ID when initializing your Appwrite SDK.",
    )


def project_not_found(project_id: str) -> AppwriteError:
    return AppwriteError(404, "project_not_found", "Project with the requested ID could not be found.")


def missing_scopes(caller: Caller, scopes: Iterable[str]) -> AppwriteError:
    listed = ",".join(f'"{s}"' for s in scopes)
    return AppwriteError(
        401, "general_unauthorized_scope", f"User (role: {caller.role_label}) missing scopes ([{listed}])"
    )


def require_scope(caller: Caller, *scopes: str) -> None:
    """At least one of ``scopes`` (Appwrite's routes list the rows.* and legacy documents.* names)."""
    if not any(caller.has_scope(s) for s in scopes):
        raise missing_scopes(caller, scopes)


def jwt_invalid(reason: str) -> AppwriteError:
    return AppwriteError(401, "user_jwt_invalid", f"Failed to verify JWT. Invalid token: {reason}")


def mint_function_key(stack: LocalStack, scopes: Iterable[str], ttl_s: int) -> str:
    """An execution key as Appwrite gives a function in ``x-appwrite-key``."""
    payload = {"projectId": stack.config.project_id, "scopes": sorted(set(scopes)), "exp": int(time.time()) + ttl_s}
    return EPHEMERAL_PREFIX + jwt.encode(payload, stack.config.jwt_secret, algorithm="HS256")


def revoke_function_key(stack: LocalStack, key: str) -> None:
    """Refuse ``key`` from now on: a function past its timeout, whose thread cannot be killed as Appwrite kills
    the runtime. Entries are dropped once the key would have expired anyway."""
    now = time.time()
    try:
        exp = float(jwt.decode(key[len(EPHEMERAL_PREFIX) :], options={"verify_signature": False}).get("exp", now))
    except jwt.PyJWTError:
        exp = now + 3600
    with stack.revoked_keys_lock:
        for old in [k for k, until in stack.revoked_keys.items() if until < now]:
            del stack.revoked_keys[old]
        stack.revoked_keys[key] = exp


def mint_user_jwt(stack: LocalStack, user_id: str, duration_s: int = 900, session_id: str = "") -> str:
    payload = {"userId": user_id, "sessionId": session_id, "exp": int(time.time()) + duration_s}
    return jwt.encode(payload, stack.config.jwt_secret, algorithm="HS256")


def _key_caller(stack: LocalStack, key: str) -> Caller:
    if hmac.compare_digest(key.encode(), stack.config.api_key.encode()):
        return PROJECT_KEY
    if key.startswith(EPHEMERAL_PREFIX):
        if key in stack.revoked_keys:  # its execution timed out
            raise user_unauthorized()
        try:
            payload = jwt.decode(key[len(EPHEMERAL_PREFIX) :], stack.config.jwt_secret, algorithms=["HS256"], leeway=0)
        except jwt.ExpiredSignatureError:
            raise AppwriteError(
                401,
                "project_key_expired",
                "The project key has expired. Please generate a new key using the Appwrite console.",
            ) from None
        except jwt.PyJWTError:
            raise user_unauthorized() from None
        if payload.get("projectId") != stack.config.project_id:
            raise user_unauthorized()
        scopes = payload.get("scopes") or []
        if not isinstance(scopes, list):
            raise user_unauthorized()
        return Caller(
            kind="key", user_id=None, roles=frozenset({"any"}), scopes=frozenset(map(str, scopes)), role_list=("any",)
        )
    raise user_unauthorized()


def user_roles(user: Mapping[str, Any]) -> tuple[str, ...]:
    """Appwrite ``User::getRoles`` order: any, users, user:<id>, user:<id>/<dim>, users/<dim>, labels."""
    uid = str(user["$id"])
    dimension = "verified" if user.get("emailVerification") else "unverified"
    roles = ["any", "users", f"user:{uid}", f"user:{uid}/{dimension}", f"users/{dimension}"]
    roles.extend(f"label:{label}" for label in user.get("labels", []) or [])
    return tuple(roles)


def caller_for_user(user: Mapping[str, Any]) -> Caller:
    roles = user_roles(user)
    return Caller(kind="user", user_id=str(user["$id"]), roles=frozenset(roles), scopes=USER_SCOPES, role_list=roles)


def caller_from_jwt(stack: LocalStack, token: str) -> Caller:
    """Validate a user JWT. Bad signature/expiry -> 401 ``user_jwt_invalid``; unknown user -> guest."""
    try:
        payload = jwt.decode(token, stack.config.jwt_secret, algorithms=["HS256"], leeway=0)
    except jwt.ExpiredSignatureError:
        raise jwt_invalid("Expired") from None
    except jwt.DecodeError as exc:
        reason = "Incomplete segments" if "segments" in str(exc).lower() else "Signature failed"
        raise jwt_invalid(reason) from None
    except jwt.PyJWTError:
        raise jwt_invalid("Signature failed") from None
    user_id = payload.get("userId")
    if not isinstance(user_id, str) or not user_id:
        return GUEST
    from .accounts import get_user  # local import: accounts imports auth

    user = get_user(stack, user_id)
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
        return _key_caller(stack, key)
    token = headers.get("x-appwrite-jwt") or query_params.get("jwt")
    if token:
        return caller_from_jwt(stack, token)
    return GUEST


# ------------------------------------------------------------------------------------ permissions


def table_allows(caller: Caller, table: TableSchema, action: str) -> bool:
    return caller.bypasses_permissions or bool(caller.roles & table.roles_for(action))


def row_allows(caller: Caller, table: TableSchema, row: Mapping[str, Any], action: str) -> bool:
    """Table permission ∪ (rowSecurity ? row permission) for ``action`` (read|update|delete)."""
    if table_allows(caller, table, action):
        return True
    return table.row_security and bool(caller.roles & roles_for(row.get("$permissions", []), action))


def can_read(caller: Caller, table: TableSchema, row: Mapping[str, Any]) -> bool:
    return row_allows(caller, table, row, "read")


_ROLE_KEY = r"[A-Za-z0-9][A-Za-z0-9._-]{0,35}"
_ROLE_RES = [
    re.compile(r"^any$"),
    re.compile(r"^guests$"),
    re.compile(r"^users(/(verified|unverified))?$"),
    re.compile(rf"^user:{_ROLE_KEY}(/(verified|unverified))?$"),
    re.compile(rf"^team:{_ROLE_KEY}(/[A-Za-z0-9][A-Za-z0-9._-]{{0,80}})?$"),
    re.compile(rf"^member:{_ROLE_KEY}$"),
    re.compile(r"^label:[A-Za-z0-9]{1,36}$"),
]
_PERM_RE = re.compile(r'^([A-Za-z]+)\("([^"]*)"\)$')


def normalize_permissions(raw: Any, param: str = "permissions") -> list[str]:
    """Validate row permission strings; expand ``write`` to update + delete; keep order, drop duplicates."""
    if not isinstance(raw, list) or len(raw) > 100:
        raise argument_invalid(param, "Value must a valid array no longer than 100 items and Permission strings")
    out: list[str] = []
    for item in raw:
        if not isinstance(item, str):
            raise argument_invalid(param, "Permissions must be of type string.")
        match = _PERM_RE.match(item)
        if not match:
            if item.startswith("*") or '"*"' in item:
                raise argument_invalid(param, 'Wildcard permission "*" has been replaced. Use "any" instead.')
            if "role:" in item:
                raise argument_invalid(param, 'Permission roles "role:" have been replaced. Use "users" instead.')
            raise argument_invalid(
                param, f'Permission "{item}" is not allowed. Must be one of: {", ".join(ROW_PERMISSION_TYPES)}.'
            )
        kind, role = match.group(1), match.group(2)
        if kind not in ROW_PERMISSION_TYPES:
            raise argument_invalid(
                param, f'Permission "{item}" is not allowed. Must be one of: {", ".join(ROW_PERMISSION_TYPES)}.'
            )
        if role == "*":
            raise argument_invalid(param, 'Wildcard permission "*" has been replaced. Use "any" instead.')
        if role.startswith("role:"):
            raise argument_invalid(param, 'Permission roles "role:" have been replaced. Use "users" instead.')
        if not any(r.match(role) for r in _ROLE_RES):
            raise argument_invalid(
                param, f'Role "{role}" is not allowed. Must be one of: any, guests, users, user, team, member, label.'
            )
        for expanded in (f'update("{role}")', f'delete("{role}")') if kind == "write" else (item,):
            if expanded not in out:
                out.append(expanded)
    return out


def check_grantable(caller: Caller, permissions: list[str]) -> None:
    """Non-key callers may only grant roles they hold (Appwrite: 401 user_unauthorized)."""
    if caller.bypasses_permissions:
        return
    for perm in permissions:
        match = _PERM_RE.match(perm)
        if match and match.group(2) not in caller.roles:
            raise AppwriteError(
                401, "user_unauthorized", f"Permissions must be one of: ({', '.join(caller.role_list)})"
            )


def default_row_permissions(caller: Caller) -> list[str]:
    if caller.kind == "user" and caller.user_id:
        uid = caller.user_id
        return [f'read("user:{uid}")', f'update("user:{uid}")', f'delete("user:{uid}")']
    return []
