"""Row operations inside one open SQLite transaction (a :class:`~ecotrace_local.storage.database.Writer`), with
Appwrite's permission checks and errors. Shared by the row service and transaction commits, so a commit is atomic."""

from __future__ import annotations

import math
from typing import Any

from ..errors import AppwriteError, argument_invalid, row_not_found, user_unauthorized
from .access import (
    Caller,
    check_grantable,
    default_row_permissions,
    normalize_permissions,
    row_allows,
    table_allows,
)
from .codec import defaults_for
from .database import Writer
from .ids import is_uid, new_unique_id
from .operators import apply_operators
from .queries import parse_queries
from .schema import TableSchema
from .select import select_rows
from .timestamps import normalize_datetime, parse_datetime

READ_SCOPES = ("rows.read", "documents.read")
WRITE_SCOPES = ("rows.write", "documents.write")
MAX_BULK = 100
DROPPED_KEYS = ("$sequence", "$databaseId", "$tableId", "$collectionId", "$id")


# ------------------------------------------------------------------------------------------ errors


def bad_request(message: str) -> AppwriteError:
    return AppwriteError(400, "general_bad_request", message)


def column_not_found() -> AppwriteError:
    return AppwriteError(404, "column_not_found", "Column with the requested key '%s' could not be found.")


def unauthorized_scope() -> AppwriteError:
    return AppwriteError(
        401,
        "general_unauthorized_scope",
        "The current user or API key does not have the required scopes to access the requested resource.",
    )


# ------------------------------------------------------------------------------------------ row operations


def clean_data(caller: Caller, data: Any, param: str = "data") -> tuple[dict[str, Any], dict[str, Any]]:
    """Split request data into user columns and honoured internal keys ($permissions, $createdAt, $updatedAt)."""
    if not isinstance(data, dict):
        raise argument_invalid(param, "Value must be a valid JSON object")
    values: dict[str, Any] = {}
    internal: dict[str, Any] = {}
    for key, value in data.items():
        if key in DROPPED_KEYS:
            continue
        if key == "$permissions":
            internal[key] = value
        elif key in ("$createdAt", "$updatedAt"):
            if caller.is_key and value is not None:
                normalized = normalize_datetime(value)
                if normalized is None:
                    raise argument_invalid(param, f"Invalid {key}: Value must be valid date.")
                internal[key] = normalized
        else:
            values[key] = value
    return values, internal


def _permissions_for(caller: Caller, permissions: Any, internal: dict[str, Any]) -> list[str] | None:
    raw = permissions if permissions is not None else internal.get("$permissions")
    if raw is None:
        return None
    perms = normalize_permissions(raw)
    check_grantable(caller, perms)
    return perms


def _check_timestamp(existing: dict[str, Any], if_unmodified_since: str | None) -> None:
    if not if_unmodified_since:
        return
    limit = parse_datetime(if_unmodified_since)
    updated = parse_datetime(existing["$updatedAt"])
    if limit is None:
        raise argument_invalid("X-Appwrite-Timestamp", "Value must be valid date.")
    if updated is not None and updated > limit:
        raise AppwriteError(409, "row_update_conflict", "Remote row is newer than local.")


def op_create(
    w: Writer,
    table: TableSchema,
    caller: Caller,
    row_id: str,
    data: Any,
    permissions: Any = None,
    *,
    action: str = "create",
) -> dict[str, Any]:
    values, internal = clean_data(caller, data)
    if not table_allows(caller, table, "create"):
        raise user_unauthorized()
    perms = _permissions_for(caller, permissions, internal)
    if perms is None:
        perms = default_row_permissions(caller)
    if row_id == "unique()":
        row_id = new_unique_id()
    return w.insert(
        table,
        row_id,
        values,
        perms,
        created_at=internal.get("$createdAt"),
        updated_at=internal.get("$updatedAt"),
        action=action,
    )


def op_update(
    w: Writer,
    table: TableSchema,
    caller: Caller,
    row_id: str,
    data: Any,
    permissions: Any = None,
    *,
    if_unmodified_since: str | None = None,
    action: str = "update",
) -> dict[str, Any]:
    values, internal = clean_data(caller, data if data is not None else {})
    perms = _permissions_for(caller, permissions, internal)
    if not values and perms is None and not internal:
        raise AppwriteError(
            400,
            "row_missing_payload",
            "The row data and permissions are missing. You must provide either row data or permissions to be updated.",
        )
    existing = w.get(table, row_id)
    if existing is None:
        raise row_not_found(row_id)
    # Update permission even when nothing would change. Appwrite 1.9.6 asks only for read then (utopia-php/database
    # updateDocument) and still emits the update event, so any reader could fire every subscriber and event
    # trigger of a row; the local stack refuses that (README: known differences).
    if not row_allows(caller, table, existing, "update"):
        raise user_unauthorized()
    _check_timestamp(existing, if_unmodified_since)
    return w.replace(
        table,
        existing,
        apply_operators(table, existing, values),
        perms,
        action=action,
        updated_at=internal.get("$updatedAt"),
        created_at=internal.get("$createdAt"),
    )


def op_upsert(
    w: Writer,
    table: TableSchema,
    caller: Caller,
    row_id: str,
    data: Any,
    permissions: Any = None,
    *,
    if_unmodified_since: str | None = None,
) -> tuple[dict[str, Any], bool]:
    existing = w.get(table, row_id)
    if existing is None:
        # A created row's operators start from the column defaults (utopia-php/database SQL::upsertDocuments).
        fresh = apply_operators(table, defaults_for(table), data) if isinstance(data, dict) else data
        return op_create(
            w, table, caller, row_id, fresh if fresh is not None else {}, permissions, action="upsert"
        ), True
    values, internal = clean_data(caller, data if data is not None else {})
    perms = _permissions_for(caller, permissions, internal)
    if not row_allows(caller, table, existing, "update"):
        raise user_unauthorized()
    _check_timestamp(existing, if_unmodified_since)
    row = w.replace(
        table,
        existing,
        apply_operators(table, existing, values),
        perms,
        action="upsert",
        updated_at=internal.get("$updatedAt"),
        created_at=internal.get("$createdAt"),
    )
    return row, False


def op_delete(
    w: Writer, table: TableSchema, caller: Caller, row_id: str, *, if_unmodified_since: str | None = None
) -> dict[str, Any]:
    existing = w.get(table, row_id)
    if existing is None:
        raise row_not_found(row_id)
    if not row_allows(caller, table, existing, "delete"):
        raise user_unauthorized()
    _check_timestamp(existing, if_unmodified_since)
    w.delete(table, existing)
    return existing


def _format_limit(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def op_increment(
    w: Writer,
    table: TableSchema,
    caller: Caller,
    row_id: str,
    column_key: str,
    value: Any,
    limit: Any,
    *,
    sign: int,
    if_unmodified_since: str | None = None,
) -> dict[str, Any]:
    if value is None:
        value = 1
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise argument_invalid("value", "Value must be numeric and greater than 0")
    bound_name = "max" if sign > 0 else "min"
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int | float)):
        raise argument_invalid(bound_name, "Value must be a valid float")
    column = table.columns.get(column_key)
    existing = w.get(table, row_id)
    if column is None or existing is None:
        raise column_not_found()
    if not column.numeric:
        raise AppwriteError(400, "attribute_type_invalid", f'tablesDB "{column_key}" is not a number')
    if not row_allows(caller, table, existing, "update"):
        raise user_unauthorized()
    _check_timestamp(existing, if_unmodified_since)
    current = existing.get(column_key) or 0
    new_value = current + sign * value
    if limit is not None and sign > 0 and new_value > limit:
        raise AppwriteError(
            400,
            "column_limit_exceeded",
            f'tablesDB "{column_key}" has reached the maximum value of {_format_limit(limit)}',
        )
    if limit is not None and sign < 0 and new_value < limit:
        raise AppwriteError(
            400,
            "column_limit_exceeded",
            f'tablesDB "{column_key}" has reached the minimum value of {_format_limit(limit)}',
        )
    if column.type == "integer":
        if not float(new_value).is_integer():
            raise argument_invalid("value", "Value must be a valid integer")
        new_value = int(new_value)
    else:
        new_value = float(new_value)
    return w.set_number(table, existing, column_key, new_value)


def require_bulk(caller: Caller) -> None:
    if not caller.is_key:
        raise unauthorized_scope()


def bulk_rows(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or len(raw) > MAX_BULK or not all(isinstance(r, dict) for r in raw):
        raise argument_invalid(
            "rows", f"Value must a valid array no longer than {MAX_BULK} items and Value must be a valid JSON object"
        )
    for row in raw:
        if "$id" in row and not (row["$id"] == "unique()" or is_uid(row["$id"])):
            raise bad_request(f"Invalid $id: {row['$id']}")
    return list(raw)


def op_bulk_create(w: Writer, table: TableSchema, caller: Caller, rows: Any) -> list[dict[str, Any]]:
    require_bulk(caller)
    out = []
    for row in bulk_rows(rows):
        data = {k: v for k, v in row.items() if k != "$id"}
        out.append(op_create(w, table, caller, str(row.get("$id") or "unique()"), data))
    return out


def op_bulk_upsert(w: Writer, table: TableSchema, caller: Caller, rows: Any) -> list[dict[str, Any]]:
    require_bulk(caller)
    out = []
    for row in bulk_rows(rows):
        data = {k: v for k, v in row.items() if k != "$id"}
        row_id = str(row.get("$id") or "unique()")
        if row_id == "unique()":
            row_id = new_unique_id()
        out.append(op_upsert(w, table, caller, row_id, data)[0])
    return out


def _bulk_targets(w: Writer, table: TableSchema, caller: Caller, queries: Any) -> list[dict[str, Any]]:
    parsed = parse_queries(queries if queries is not None else [], table)
    return select_rows(w, table, caller, parsed, default_limit=None)


def op_bulk_update(w: Writer, table: TableSchema, caller: Caller, data: Any, queries: Any) -> list[dict[str, Any]]:
    require_bulk(caller)
    values, internal = clean_data(caller, data if data is not None else {})
    perms = _permissions_for(caller, None, internal)
    out = []
    for existing in _bulk_targets(w, table, caller, queries):
        out.append(w.replace(table, existing, apply_operators(table, existing, values), perms, action="update"))
    return out


def op_bulk_delete(w: Writer, table: TableSchema, caller: Caller, queries: Any) -> list[dict[str, Any]]:
    require_bulk(caller)
    out = []
    for existing in _bulk_targets(w, table, caller, queries):
        w.delete(table, existing)
        out.append(existing)
    return out
