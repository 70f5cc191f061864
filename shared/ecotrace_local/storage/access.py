"""Who a caller is and what it may do: the project key, a function execution key, a user or a guest, their
roles and scopes, and Appwrite's table and row permissions (1.9.6: ``shared/api.php``, ``request.php``).

A project key bypasses all permissions; an execution key carries only its scopes; a user holds the roles Appwrite's
``User::getRoles`` gives it; a guest holds ``any`` and ``guests``. How a request's headers become a caller is the
HTTP layer's business (``http/auth.py``); how keys and JWTs are signed and checked is ``credentials.py``'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import AppwriteError, argument_invalid
from .schema import TableSchema, roles_for

GUEST_SCOPES = frozenset(
    {"rows.read", "rows.write", "documents.read", "documents.write", "executions.write", "sessions.write"}
)
USER_SCOPES = GUEST_SCOPES | {"account", "executions.read", "teams.read", "teams.write"}
ROW_PERMISSION_TYPES = ("read", "update", "delete", "write")


@dataclass(frozen=True)
class Caller:
    kind: str  # "key" | "user" | "guest"
    user_id: str | None
    roles: frozenset[str]
    scopes: frozenset[str] | None  # None = the full project key
    role_list: tuple[str, ...] = ()  # roles in Appwrite's order (for error messages)
    session_id: str | None = None  # a user signed in with a session (cookie, X-Appwrite-Session, fallback)
    via_jwt: bool = False  # a user authenticated with a JWT

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


def missing_scopes(caller: Caller, scopes: Iterable[str]) -> AppwriteError:
    listed = ",".join(f'"{s}"' for s in scopes)
    return AppwriteError(
        401, "general_unauthorized_scope", f"User (role: {caller.role_label}) missing scopes ([{listed}])"
    )


def require_scope(caller: Caller, *scopes: str) -> None:
    """At least one of ``scopes`` (Appwrite's routes list the rows.* and legacy documents.* names)."""
    if not any(caller.has_scope(s) for s in scopes):
        raise missing_scopes(caller, scopes)


def user_roles(user: Mapping[str, Any]) -> tuple[str, ...]:
    """Appwrite ``User::getRoles`` order: any, users, user:<id>, user:<id>/<dim>, users/<dim>, labels."""
    uid = str(user["$id"])
    dimension = "verified" if user.get("emailVerification") else "unverified"
    roles = ["any", "users", f"user:{uid}", f"user:{uid}/{dimension}", f"users/{dimension}"]
    roles.extend(f"label:{label}" for label in user.get("labels", []) or [])
    return tuple(roles)


def caller_for_user(user: Mapping[str, Any], *, session_id: str | None = None, via_jwt: bool = False) -> Caller:
    """A signed-in user: the same roles and scopes whether the request carried a session or a JWT."""
    roles = user_roles(user)
    return Caller(
        kind="user",
        user_id=str(user["$id"]),
        roles=frozenset(roles),
        scopes=USER_SCOPES,
        role_list=roles,
        session_id=session_id,
        via_jwt=via_jwt,
    )


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
