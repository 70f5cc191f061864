"""TablesDB REST: tables (read-only, from appwrite.json), rows and transactions, as Appwrite 1.9.6 serves them.

The row operations (``op_*``) run inside one SQLite transaction (a :class:`~ecotrace_local.db.Writer`) and are
shared by the row endpoints and transaction commits, so a commit is atomic: any failure rolls everything back.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .auth import (
    PROJECT_KEY,
    Caller,
    check_grantable,
    default_row_permissions,
    normalize_permissions,
    require_scope,
    row_allows,
    table_allows,
)
from .db import TableSchema, Writer, format_datetime, now_iso, parse_datetime, roles_for
from .errors import AppwriteError, argument_invalid, row_not_found, table_not_found, user_unauthorized
from .queries import (
    DEFAULT_LIMIT,
    TOTAL_CAP,
    ParsedQueries,
    apply_select,
    compile_filters,
    cursor_storage_value,
    effective_orders,
    keyset_after,
    order_sql,
    parse_queries,
)
from .rest import Ctx, as_bool, check_custom_id, check_uid, empty_response, endpoint, is_uid

if TYPE_CHECKING:
    from .app import LocalStack

READ_SCOPES = ("rows.read", "documents.read")
WRITE_SCOPES = ("rows.write", "documents.write")
TABLE_READ_SCOPES = ("tables.read", "collections.read")
MAX_BULK = 100
MAX_OPERATIONS = 100
DROPPED_KEYS = ("$sequence", "$databaseId", "$tableId", "$collectionId", "$id")
ROW_ACTIONS = ("create", "update", "upsert", "delete", "increment", "decrement")
BULK_ACTIONS = ("bulkCreate", "bulkUpdate", "bulkUpsert", "bulkDelete")
NON_PENDING = "Invalid or non\u2011pending transaction"


def new_unique_id() -> str:
    """Appwrite ``ID::unique()``: 13 hex chars from the time (uniqid) + 7 random hex chars."""
    now = time.time()
    seconds = int(now)
    micros = int((now - seconds) * 1_000_000)
    return f"{seconds:08x}{micros:05x}" + os.urandom(4).hex()[:7]


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


def transaction_not_found() -> AppwriteError:
    return AppwriteError(404, "transaction_not_found", "Transaction with the requested ID could not be found.")


def transaction_expired() -> AppwriteError:
    return AppwriteError(410, "transaction_expired", "The transaction has expired.")


def transaction_not_ready() -> AppwriteError:
    return AppwriteError(400, "transaction_not_ready", "The transaction is not ready yet.")


# ------------------------------------------------------------------------------------------ row operations


def _clean_data(caller: Caller, data: Any, param: str = "data") -> tuple[dict[str, Any], dict[str, Any]]:
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
                normalized = parse_datetime(value)
                if normalized is None:
                    raise argument_invalid(param, f"Invalid {key}: Value must be valid date.")
                internal[key] = format_datetime(normalized)
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


OPERATOR_METHODS = {
    "increment", "decrement", "multiply", "divide", "modulo", "power", "arrayAppend", "arrayPrepend",
    "arrayInsert", "arrayRemove", "arrayUnique", "arrayIntersect", "arrayDiff", "arrayFilter", "stringConcat",
    "stringReplace", "toggle", "dateAddDays", "dateSubDays", "dateSetNow",
}  # fmt: skip


def _as_operator(value: Any) -> tuple[str, list[Any]] | None:
    """A string shaped like the SDK's ``Operator`` JSON (``{"method","values"}``), else None."""
    if not isinstance(value, str) or not value.startswith("{") or '"method"' not in value:
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    if not isinstance(parsed, dict) or set(parsed) - {"method", "values"}:
        return None
    method, values = parsed.get("method"), parsed.get("values", [])
    if method not in OPERATOR_METHODS or not isinstance(values, list):
        return None
    return str(method), values


def _operator_error(key: str, detail: str) -> AppwriteError:
    return AppwriteError(400, "general_argument_invalid", f'Invalid operator for attribute "{key}": {detail}')


def _number_arg(key: str, values: list[Any], i: int, default: float | None = None) -> float | None:
    value = values[i] if i < len(values) else default
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise _operator_error(key, "value must be numeric")
    return value


def _apply_numeric(key: str, method: str, current: Any, values: list[Any]) -> Any:
    cur = current if current is not None else 0
    arg = _number_arg(key, values, 0, 1 if method in ("increment", "decrement") else None)
    bound = _number_arg(key, values, 1)
    if arg is None:
        raise _operator_error(key, "a value is required")
    if method == "increment":
        new = cur + arg
    elif method == "decrement":
        new = cur - arg
    elif method == "multiply":
        new = cur * arg
    elif method in ("divide", "modulo"):
        if arg == 0:
            raise _operator_error(key, "division by zero")
        new = cur / arg if method == "divide" else cur % arg
    else:
        new = cur**arg
    if bound is not None:
        new = min(new, bound) if method in ("increment", "multiply", "power") else max(new, bound)
    return int(new) if isinstance(cur, int) and float(new).is_integer() and method != "divide" else new


def _filter_keep(item: Any, values: list[Any]) -> bool:
    condition = str(values[0]) if values else "isNotNull"
    operand = values[1] if len(values) > 1 else None
    if condition == "equal":
        return bool(item == operand)
    if condition == "notEqual":
        return bool(item != operand)
    if condition in ("greaterThan", "lessThan"):
        if item is None or operand is None:
            return False
        return bool(item > operand) if condition == "greaterThan" else bool(item < operand)
    if condition == "isNull":
        return item is None
    return item is not None


def apply_operators(table: TableSchema, existing: dict[str, Any] | None, values: dict[str, Any]) -> dict[str, Any]:
    """Replace operator strings in update data by the value they compute from the current row."""
    out = dict(values)
    for key, value in values.items():
        operator = _as_operator(value)
        column = table.columns.get(key)
        if operator is None or column is None:
            continue
        method, args = operator
        current = existing.get(key) if existing is not None else None
        if method in ("increment", "decrement", "multiply", "divide", "modulo", "power"):
            out[key] = _apply_numeric(key, method, current, args)
        elif method.startswith("array"):
            items = list(current or [])
            if method == "arrayAppend":
                items += args
            elif method == "arrayPrepend":
                items = args + items
            elif method == "arrayInsert":
                if len(args) != 2 or not isinstance(args[0], int) or not 0 <= args[0] <= len(items):
                    raise _operator_error(key, "index out of range")
                items.insert(args[0], args[1])
            elif method == "arrayRemove":
                items = [i for i in items if i not in args]
            elif method == "arrayUnique":
                items = list(dict.fromkeys(items))
            elif method == "arrayIntersect":
                items = [i for i in items if i in args]
            elif method == "arrayDiff":
                items = [i for i in items if i not in args]
            else:
                items = [i for i in items if _filter_keep(i, args)]
            out[key] = items
        elif method == "stringConcat":
            out[key] = f"{current or ''}{args[0] if args else ''}"
        elif method == "stringReplace":
            if len(args) != 2 or not all(isinstance(a, str) for a in args):
                raise _operator_error(key, "search and replace strings are required")
            out[key] = (current or "").replace(args[0], args[1])
        elif method == "toggle":
            out[key] = not bool(current)
        elif method == "dateSetNow":
            out[key] = now_iso()
        else:
            days = _number_arg(key, args, 0)
            base = parse_datetime(current) if current else None
            if base is None or days is None:
                raise _operator_error(key, "a date and a number of days are required")
            out[key] = format_datetime(base + timedelta(days=days if method == "dateAddDays" else -days))
    return out


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
    values, internal = _clean_data(caller, data)
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
    values, internal = _clean_data(caller, data if data is not None else {})
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
    changed = any(existing.get(k) != v for k, v in values.items()) or (
        perms is not None and perms != existing["$permissions"]
    )
    needed = "update" if changed else "read"
    if not row_allows(caller, table, existing, needed):
        if not row_allows(caller, table, existing, "read"):
            raise row_not_found(row_id)
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
        return op_create(w, table, caller, row_id, data if data is not None else {}, permissions, action="upsert"), True
    values, internal = _clean_data(caller, data if data is not None else {})
    perms = _permissions_for(caller, permissions, internal)
    if not row_allows(caller, table, existing, "update"):
        if not row_allows(caller, table, existing, "read"):
            raise row_not_found(row_id)
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
        if not row_allows(caller, table, existing, "read"):
            raise row_not_found(row_id)
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
        if not row_allows(caller, table, existing, "read"):
            raise row_not_found(row_id)
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


def _require_bulk(caller: Caller) -> None:
    if not caller.is_key:
        raise unauthorized_scope()


def _bulk_rows(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or len(raw) > MAX_BULK or not all(isinstance(r, dict) for r in raw):
        raise argument_invalid(
            "rows", f"Value must a valid array no longer than {MAX_BULK} items and Value must be a valid JSON object"
        )
    for row in raw:
        if "$id" in row and not (row["$id"] == "unique()" or is_uid(row["$id"])):
            raise bad_request(f"Invalid $id: {row['$id']}")
    return list(raw)


def op_bulk_create(w: Writer, table: TableSchema, caller: Caller, rows: Any) -> list[dict[str, Any]]:
    _require_bulk(caller)
    out = []
    for row in _bulk_rows(rows):
        data = {k: v for k, v in row.items() if k != "$id"}
        out.append(op_create(w, table, caller, str(row.get("$id") or "unique()"), data))
    return out


def op_bulk_upsert(w: Writer, table: TableSchema, caller: Caller, rows: Any) -> list[dict[str, Any]]:
    _require_bulk(caller)
    out = []
    for row in _bulk_rows(rows):
        data = {k: v for k, v in row.items() if k != "$id"}
        row_id = str(row.get("$id") or "unique()")
        if row_id == "unique()":
            row_id = new_unique_id()
        out.append(op_upsert(w, table, caller, row_id, data)[0])
    return out


def select_rows(
    w: Writer, table: TableSchema, caller: Caller, parsed: ParsedQueries, *, default_limit: int | None
) -> list[dict[str, Any]]:
    """Rows matching the parsed queries that ``caller`` may read, in order, after cursor/offset/limit."""
    where, params = compile_filters(parsed.filters, table)
    perm_sql, perm_params = read_filter(caller, table)
    where = f"({where}) AND {perm_sql}"
    params = [*params, *perm_params]
    orders = effective_orders(parsed)
    reverse = False
    if parsed.cursor is not None:
        direction, cursor_id = parsed.cursor
        cursor_row = w.get(table, cursor_id)
        if cursor_row is None:
            raise AppwriteError(400, "general_cursor_not_found", f"Row '{cursor_id}' for the 'cursor' value not found.")
        if direction == "before":
            reverse = True
            orders = [(a, "DESC" if d == "ASC" else "ASC") for a, d in orders]
        key_sql, key_params = keyset_after(orders, [cursor_storage_value(table, a, cursor_row) for a, _ in orders])
        where = f"{where} AND {key_sql}"
        params = [*params, *key_params]
    limit = parsed.limit if parsed.limit is not None else default_limit
    order = "ORDER BY random()" if parsed.random else order_sql(orders)
    tail = f"{order} LIMIT ? OFFSET ?"
    rows = w.query(table, where, [*params, -1 if limit is None else limit, parsed.offset], tail)
    if reverse:
        rows.reverse()
    return rows


def read_filter(caller: Caller, table: TableSchema) -> tuple[str, list[Any]]:
    """SQL limiting rows to those ``caller`` may read (all, when the table grants read)."""
    if table_allows(caller, table, "read"):
        return "1", []
    if not table.row_security:
        raise user_unauthorized()
    perms = [f'read("{role}")' for role in sorted(caller.roles)]
    marks = ", ".join("?" for _ in perms)
    return f'EXISTS (SELECT 1 FROM json_each("$permissions") WHERE json_each.value IN ({marks}))', perms  # noqa: S608 - identifiers are schema-checked and quoted; values are bound


def _bulk_targets(w: Writer, table: TableSchema, caller: Caller, queries: Any) -> list[dict[str, Any]]:
    parsed = parse_queries(queries if queries is not None else [], table)
    return select_rows(w, table, caller, parsed, default_limit=None)


def op_bulk_update(w: Writer, table: TableSchema, caller: Caller, data: Any, queries: Any) -> list[dict[str, Any]]:
    _require_bulk(caller)
    values, internal = _clean_data(caller, data if data is not None else {})
    perms = _permissions_for(caller, None, internal)
    out = []
    for existing in _bulk_targets(w, table, caller, queries):
        out.append(w.replace(table, existing, apply_operators(table, existing, values), perms, action="update"))
    return out


def op_bulk_delete(w: Writer, table: TableSchema, caller: Caller, queries: Any) -> list[dict[str, Any]]:
    _require_bulk(caller)
    out = []
    for existing in _bulk_targets(w, table, caller, queries):
        w.delete(table, existing)
        out.append(existing)
    return out


# ------------------------------------------------------------------------------------------ transactions


def _tx_json(record: Any) -> dict[str, Any]:
    return {
        "$id": record["id"],
        "$createdAt": record["created_at"],
        "$updatedAt": record["updated_at"],
        "$permissions": json.loads(record["permissions"]),
        "status": record["status"],
        "operations": len(json.loads(record["operations"])),
        "expiresAt": record["expires_at"],
    }


def _load_tx(w: Writer, caller: Caller, tx_id: str) -> Any:
    record = w.conn.execute("SELECT * FROM _transactions WHERE id = ?", (tx_id,)).fetchone()
    if record is None:
        raise transaction_not_found()
    if not caller.bypasses_permissions and not (caller.roles & roles_for(json.loads(record["permissions"]), "read")):
        raise transaction_not_found()
    return record


def _expired(record: Any) -> bool:
    expires = parse_datetime(record["expires_at"])
    return expires is not None and expires < datetime.now(UTC)


def _pending_tx(w: Writer, caller: Caller, tx_id: Any, *, not_ready: Callable[[], AppwriteError]) -> Any:
    record = _load_tx(w, caller, str(tx_id))
    if record["status"] != "pending":
        raise not_ready()
    if _expired(record):
        raise transaction_expired()
    return record


def _stage(
    stack: LocalStack,
    caller: Caller,
    tx_id: Any,
    operations: list[dict[str, Any]],
    *,
    not_ready: Callable[[], AppwriteError] = transaction_not_ready,
) -> dict[str, Any]:
    """Validate and append operations to a pending transaction (nothing is written to the tables)."""

    def write(w: Writer) -> dict[str, Any]:
        record = _pending_tx(w, caller, tx_id, not_ready=not_ready)
        staged: list[dict[str, Any]] = json.loads(record["operations"])
        if len(staged) + len(operations) > MAX_OPERATIONS:
            raise AppwriteError(
                400,
                "transaction_limit_exceeded",
                f"Transaction already has {len(staged)} operations, adding {len(operations)} would exceed the "
                f"maximum of {MAX_OPERATIONS}",
            )
        created: set[tuple[Any, Any, Any]] = set()
        for earlier in staged:
            _note_created(created, earlier)
        stamp = now_iso()
        for op in operations:
            table = stack.db.schema.tables.get((op["databaseId"], op["tableId"]))
            if op["databaseId"] not in stack.db.schema.databases:
                raise AppwriteError(
                    404,
                    "database_not_found",
                    f"Database with the requested ID '{op['databaseId']}' could not be found.",
                )
            if table is None:
                raise AppwriteError(404, "collection_not_found", "Collection with the requested ID could not be found.")
            action = op["action"]
            key = (op["databaseId"], op["tableId"], op.get("rowId"))
            if action in ("update", "delete", "increment", "decrement") and key not in created:
                existing = w.get(table, str(op.get("rowId")))
                if existing is None:
                    raise AppwriteError(404, "document_not_found", "Document with the requested ID could not be found.")
                needed = "delete" if action == "delete" else "update"
                if not row_allows(caller, table, existing, needed):
                    raise user_unauthorized()
            if action == "create" and not table_allows(caller, table, "create"):
                raise user_unauthorized()
            _note_created(created, op)
            staged.append({**op, "stagedAt": stamp})
        w.conn.execute(
            "UPDATE _transactions SET operations = ?, updated_at = ? WHERE id = ?",
            (json.dumps(staged), stamp, record["id"]),
        )
        updated = w.conn.execute("SELECT * FROM _transactions WHERE id = ?", (record["id"],)).fetchone()
        return _tx_json(updated)

    return stack.db.write(write)


def _note_created(created: set[tuple[Any, Any, Any]], op: dict[str, Any]) -> None:
    """Remember the rows an operation creates, so later operations in the batch may refer to them."""
    if op["action"] in ("create", "upsert"):
        created.add((op["databaseId"], op["tableId"], op.get("rowId")))
    elif op["action"] in ("bulkCreate", "bulkUpsert"):
        for row in op.get("data") or []:
            if isinstance(row, dict) and row.get("$id"):
                created.add((op["databaseId"], op["tableId"], row["$id"]))


def _normalize_operation(stack: LocalStack, caller: Caller, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise argument_invalid("operations", "Value must be a valid array of operations")
    action = raw.get("action")
    if action not in ROW_ACTIONS + BULK_ACTIONS:
        raise argument_invalid("operations", f"Invalid action: {action}")
    if action in BULK_ACTIONS and not caller.is_key:
        raise user_unauthorized()
    database_id, table_id = raw.get("databaseId"), raw.get("tableId")
    if not is_uid(database_id) or not is_uid(table_id):
        raise argument_invalid("operations", "Each operation needs a valid databaseId and tableId")
    row_id = raw.get("rowId")
    data = raw.get("data")
    if action in ROW_ACTIONS:
        if action in ("create", "upsert") and row_id == "unique()":
            row_id = new_unique_id()
        if not is_uid(row_id):
            raise argument_invalid("operations", f"Operation '{action}' requires a valid rowId")
    if action in ("create", "update", "upsert") and not isinstance(data if data is not None else {}, dict):
        raise argument_invalid("operations", "Operation data must be a JSON object")
    if action in ("increment", "decrement") and not (isinstance(data, dict) and isinstance(data.get("column"), str)):
        raise argument_invalid("operations", "Increment and decrement operations need data.column")
    if action in ("bulkCreate", "bulkUpsert"):
        _bulk_rows(data)
    if action in ("bulkUpdate", "bulkDelete") and not isinstance(data if data is not None else {}, dict):
        raise argument_invalid("operations", "Operation data must be a JSON object")
    return {"action": action, "databaseId": database_id, "tableId": table_id, "rowId": row_id, "data": data}


def apply_operation(w: Writer, stack: LocalStack, caller: Caller, op: dict[str, Any]) -> None:
    """Apply one staged operation inside an open SQLite transaction."""
    table = stack.db.schema.table(op["databaseId"], op["tableId"])
    action, row_id, data = op["action"], op.get("rowId"), op.get("data")
    staged_at = op.get("stagedAt")
    if action in ("update", "upsert", "delete", "increment", "decrement") and staged_at:
        existing = w.get(table, str(row_id))
        if existing is not None and existing["$updatedAt"] > staged_at and not _touched_in_tx(w, existing):
            raise _conflict()
    if action == "create":
        perms = data.get("$permissions") if isinstance(data, dict) else None
        op_create(w, table, caller, str(row_id), data or {}, perms)
    elif action == "update":
        op_update(w, table, caller, str(row_id), data or {}, None)
    elif action == "upsert":
        op_upsert(w, table, caller, str(row_id), data or {}, None)
    elif action == "delete":
        op_delete(w, table, caller, str(row_id))
    elif action in ("increment", "decrement"):
        sign = 1 if action == "increment" else -1
        spec: dict[str, Any] = data or {}
        limit = spec.get("max") if sign > 0 else spec.get("min")
        op_increment(w, table, caller, str(row_id), str(spec.get("column")), spec.get("value"), limit, sign=sign)
    elif action == "bulkCreate":
        op_bulk_create(w, table, PROJECT_KEY, data)
    elif action == "bulkUpsert":
        op_bulk_upsert(w, table, PROJECT_KEY, data)
    elif action == "bulkUpdate":
        op_bulk_update(w, table, PROJECT_KEY, (data or {}).get("data", {}), (data or {}).get("queries"))
    elif action == "bulkDelete":
        op_bulk_delete(w, table, PROJECT_KEY, (data or {}).get("queries"))


def _touched_in_tx(w: Writer, existing: dict[str, Any]) -> bool:
    """A row written earlier in this same commit is newer than its staging time, and that is no conflict."""
    return any(e.row_id == existing["$id"] and e.table_id == existing["$tableId"] for e in w.events)


def _conflict() -> AppwriteError:
    return AppwriteError(
        409, "transaction_conflict", "The transaction has a conflict. Please resolve the conflict and try again."
    )


def _commit_error(exc: AppwriteError) -> AppwriteError:
    if exc.type in (
        "row_already_exists",
        "row_unique_constraint_violation",
        "row_update_conflict",
        "transaction_conflict",
    ):
        return _conflict()
    if exc.type in ("row_not_found", "column_not_found"):
        return AppwriteError(404, "document_not_found", "Document with the requested ID could not be found.")
    if exc.type == "row_invalid_structure":
        return AppwriteError(400, "document_invalid_structure", exc.message)
    if exc.type == "column_limit_exceeded":
        return AppwriteError(400, "attribute_limit_exceeded", exc.message)
    if exc.type in ("general_query_invalid", "user_unauthorized", "general_argument_invalid"):
        return exc
    return AppwriteError(400, "transaction_failed", exc.message)


def _set_status(stack: LocalStack, tx_id: str, status: str) -> dict[str, Any]:
    def write(w: Writer) -> dict[str, Any]:
        w.conn.execute("UPDATE _transactions SET status = ?, updated_at = ? WHERE id = ?", (status, now_iso(), tx_id))
        return _tx_json(w.conn.execute("SELECT * FROM _transactions WHERE id = ?", (tx_id,)).fetchone())

    return stack.db.write(write)


def commit_transaction(stack: LocalStack, caller: Caller, tx_id: str) -> dict[str, Any]:
    """Apply every staged operation in one SQLite transaction; on any failure nothing is written and the
    transaction is marked ``failed``."""

    def write(w: Writer) -> dict[str, Any]:
        record = _load_tx(w, caller, tx_id)
        if record["status"] != "pending":
            raise transaction_not_ready()
        if _expired(record):
            raise transaction_expired()
        for op in json.loads(record["operations"]):
            try:
                apply_operation(w, stack, caller, op)
            except AppwriteError as exc:
                raise _CommitFailed(_commit_error(exc)) from exc
        w.conn.execute("UPDATE _transactions SET status = 'committed', updated_at = ? WHERE id = ?", (now_iso(), tx_id))
        return _tx_json(w.conn.execute("SELECT * FROM _transactions WHERE id = ?", (tx_id,)).fetchone())

    try:
        return stack.db.write(write)
    except _CommitFailed as failed:
        _set_status(stack, tx_id, "failed")
        raise failed.error from failed.__cause__


class _CommitFailed(Exception):
    def __init__(self, error: AppwriteError) -> None:
        super().__init__(error.message)
        self.error = error


def _staged_state(stack: LocalStack, caller: Caller, tx_id: Any) -> Callable[[Writer], None]:
    """A stage function that replays a transaction's operations (for reads with ``transactionId``)."""

    def stage(w: Writer) -> None:
        record = _load_tx(w, caller, str(tx_id))
        for op in json.loads(record["operations"]):
            try:
                apply_operation(w, stack, PROJECT_KEY, {**op, "stagedAt": None})
            except AppwriteError:
                continue

    return stage


# ------------------------------------------------------------------------------------------ handlers


def _table(ctx: Ctx) -> TableSchema:
    database_id = check_uid("databaseId", ctx.path["databaseId"])
    table_id = check_uid("tableId", ctx.path["tableId"])
    table = ctx.stack.db.schema.table(database_id, table_id)
    if not table.enabled and not ctx.caller.is_key:  # a disabled table stays reachable with a key only
        raise table_not_found(table_id)
    return table


def _timestamp_header(ctx: Ctx) -> str | None:
    return ctx.headers.get("x-appwrite-timestamp") or None


def _list_tables(ctx: Ctx) -> dict[str, Any]:
    require_scope(ctx.caller, *TABLE_READ_SCOPES)
    if not ctx.caller.is_key:
        raise unauthorized_scope()
    database_id = check_uid("databaseId", ctx.path["databaseId"])
    schema = ctx.stack.db.schema
    if database_id not in schema.databases:
        raise AppwriteError(
            404, "database_not_found", f"Database with the requested ID '{database_id}' could not be found."
        )
    tables = [t.to_json(ctx.stack.db.created_at) for (db, _), t in schema.tables.items() if db == database_id]
    return {"total": len(tables), "tables": tables}


def _get_table(ctx: Ctx) -> dict[str, Any]:
    require_scope(ctx.caller, *TABLE_READ_SCOPES)
    if not ctx.caller.is_key:
        raise unauthorized_scope()
    return _table(ctx).to_json(ctx.stack.db.created_at)


def _list_rows(ctx: Ctx, queries: Any = None) -> dict[str, Any]:
    require_scope(ctx.caller, *READ_SCOPES)
    table = _table(ctx)
    parsed = parse_queries(ctx.param("queries") if queries is None else queries, table)
    want_total = as_bool(ctx.param("total"), "total", True)
    ttl = ctx.param("ttl")  # list caching is not emulated; the parameter is still checked
    if ttl is not None:
        try:
            ttl_s = int(ttl)
        except (TypeError, ValueError):
            ttl_s = -1
        if isinstance(ttl, bool) or not 0 <= ttl_s <= 86400:
            raise argument_invalid("ttl", "Value must be a valid range between 0 and 86,400")
    caller = ctx.caller
    read_filter(caller, table)  # 401 before any work when the caller cannot list at all

    def read(w: Writer) -> dict[str, Any]:
        rows = select_rows(w, table, caller, parsed, default_limit=DEFAULT_LIMIT)
        total = 0
        if want_total:
            where, params = compile_filters(parsed.filters, table)
            perm_sql, perm_params = read_filter(caller, table)
            total = w.count(table, f"({where}) AND {perm_sql}", [*params, *perm_params], TOTAL_CAP)
        return {"total": total, "rows": [apply_select(r, parsed.selects) for r in rows]}

    tx_id = ctx.param("transactionId")
    if tx_id:
        return ctx.stack.db.simulate(_staged_state(ctx.stack, caller, tx_id), read)
    return ctx.stack.db.read(read)


def _list_rows_post(ctx: Ctx) -> dict[str, Any]:
    return _list_rows(ctx, ctx.body.get("queries", []))


def _get_row(ctx: Ctx) -> dict[str, Any]:
    require_scope(ctx.caller, *READ_SCOPES)
    table = _table(ctx)
    row_id = check_uid("rowId", ctx.path["rowId"])
    parsed = parse_queries(ctx.param("queries"), table)

    def read(w: Writer) -> dict[str, Any]:
        row = w.get(table, row_id)
        if row is None or not row_allows(ctx.caller, table, row, "read"):
            raise row_not_found(row_id)
        return apply_select(row, parsed.selects)

    tx_id = ctx.param("transactionId")
    if tx_id:
        return ctx.stack.db.simulate(_staged_state(ctx.stack, ctx.caller, tx_id), read)
    return ctx.stack.db.read(read)


def _staged_mock(table: TableSchema, row_id: str, data: dict[str, Any], perms: Any) -> dict[str, Any]:
    return {
        **{k: v for k, v in data.items() if not k.startswith("$")},
        "$id": row_id,
        "$tableId": table.table_id,
        "$databaseId": table.database_id,
        "$permissions": perms if perms is not None else data.get("$permissions", []),
        "$sequence": "",
        "$createdAt": "",
        "$updatedAt": "",
    }


def _create_rows(ctx: Ctx) -> tuple[int, Any]:
    require_scope(ctx.caller, *WRITE_SCOPES)
    table = _table(ctx)
    has_data, has_rows = ctx.body.get("data") is not None, ctx.body.get("rows") is not None
    tx_id = ctx.param("transactionId")
    if has_rows:
        if has_data or ctx.body.get("rowId") is not None or ctx.body.get("permissions") is not None:
            raise bad_request("You can only send one of the following parameters: data, rows")
        _require_bulk(ctx.caller)
        rows = _bulk_rows(ctx.body["rows"])
        if tx_id:
            op: dict[str, Any] = {
                "action": "bulkCreate",
                "databaseId": table.database_id,
                "tableId": table.table_id,
                "data": rows,
            }
            _stage(
                ctx.stack,
                ctx.caller,
                tx_id,
                [_normalize_operation(ctx.stack, ctx.caller, op)],
                not_ready=lambda: bad_request(NON_PENDING),
            )
            return 200, {"total": len(rows), "rows": []}
        created = ctx.stack.db.write(lambda w: op_bulk_create(w, table, ctx.caller, rows))
        return 201, {"total": len(created), "rows": created}
    if not has_data:
        raise AppwriteError(400, "row_missing_data", "The row data is missing. Try again with row data populated")
    if ctx.body.get("rowId") is None:
        raise AppwriteError(400, "row_missing_data", "Row ID is required when creating a single row.")
    row_id = check_custom_id("rowId", ctx.body["rowId"])
    data = ctx.body["data"]
    if not isinstance(data, dict):
        raise argument_invalid("data", "Value must be a valid JSON object")
    permissions = ctx.body.get("permissions")
    if permissions is not None:
        permissions = normalize_permissions(permissions)
        check_grantable(ctx.caller, permissions)
    if tx_id:
        if row_id == "unique()":
            row_id = new_unique_id()
        staged_data = dict(data)
        if permissions is not None:
            staged_data["$permissions"] = permissions
        create_op: dict[str, Any] = {
            "action": "create",
            "databaseId": table.database_id,
            "tableId": table.table_id,
            "rowId": row_id,
            "data": staged_data,
        }
        _stage(ctx.stack, ctx.caller, tx_id, [_normalize_operation(ctx.stack, ctx.caller, create_op)])
        perms = permissions if permissions is not None else default_row_permissions(ctx.caller)
        return 201, _staged_mock(table, row_id, data, perms)
    row = ctx.stack.db.write(lambda w: op_create(w, table, ctx.caller, row_id, data, permissions))
    return 201, row


def _row_id(ctx: Ctx) -> str:
    return check_uid("rowId", ctx.path["rowId"])


def _update_row(ctx: Ctx) -> Any:
    require_scope(ctx.caller, *WRITE_SCOPES)
    table = _table(ctx)
    row_id = _row_id(ctx)
    data = ctx.body.get("data")
    permissions = ctx.body.get("permissions")
    if data is not None and not isinstance(data, dict):
        raise argument_invalid("data", "Value must be a valid JSON object")
    tx_id = ctx.param("transactionId")
    if tx_id:
        staged_data = dict(data or {})
        if permissions is not None:
            staged_data["$permissions"] = normalize_permissions(permissions)
        op: dict[str, Any] = {
            "action": "update",
            "databaseId": table.database_id,
            "tableId": table.table_id,
            "rowId": row_id,
            "data": staged_data,
        }
        _stage(ctx.stack, ctx.caller, tx_id, [_normalize_operation(ctx.stack, ctx.caller, op)])

        def read(w: Writer) -> dict[str, Any]:
            row = w.get(table, row_id)
            return row if row is not None else _staged_mock(table, row_id, staged_data, permissions)

        return ctx.stack.db.simulate(_staged_state(ctx.stack, ctx.caller, tx_id), read)
    return ctx.stack.db.write(
        lambda w: op_update(w, table, ctx.caller, row_id, data, permissions, if_unmodified_since=_timestamp_header(ctx))
    )


def _upsert_row(ctx: Ctx) -> Any:
    require_scope(ctx.caller, *WRITE_SCOPES)
    table = _table(ctx)
    row_id = _row_id(ctx)
    data = ctx.body.get("data")
    permissions = ctx.body.get("permissions")
    if data is not None and not isinstance(data, dict):
        raise argument_invalid("data", "Value must be a valid JSON object")
    tx_id = ctx.param("transactionId")
    if tx_id:
        staged_data = dict(data or {})
        if permissions is not None:
            staged_data["$permissions"] = normalize_permissions(permissions)
        op: dict[str, Any] = {
            "action": "upsert",
            "databaseId": table.database_id,
            "tableId": table.table_id,
            "rowId": row_id,
            "data": staged_data,
        }
        _stage(ctx.stack, ctx.caller, tx_id, [_normalize_operation(ctx.stack, ctx.caller, op)])
        return 201, _staged_mock(table, row_id, staged_data, permissions)
    row, _created = ctx.stack.db.write(
        lambda w: op_upsert(w, table, ctx.caller, row_id, data, permissions, if_unmodified_since=_timestamp_header(ctx))
    )
    return 200, row


def _delete_row(ctx: Ctx) -> Response:
    require_scope(ctx.caller, *WRITE_SCOPES)
    table = _table(ctx)
    row_id = _row_id(ctx)
    tx_id = ctx.param("transactionId")
    if tx_id:
        op: dict[str, Any] = {
            "action": "delete",
            "databaseId": table.database_id,
            "tableId": table.table_id,
            "rowId": row_id,
        }
        _stage(ctx.stack, ctx.caller, tx_id, [_normalize_operation(ctx.stack, ctx.caller, op)])
        return empty_response()
    ctx.stack.db.write(lambda w: op_delete(w, table, ctx.caller, row_id, if_unmodified_since=_timestamp_header(ctx)))
    return empty_response()


def _increment(sign: int) -> Callable[[Ctx], Any]:
    def handler(ctx: Ctx) -> Any:
        require_scope(ctx.caller, *WRITE_SCOPES)
        table = _table(ctx)
        row_id = _row_id(ctx)
        column = ctx.path["column"]
        value = ctx.body.get("value")
        limit = ctx.body.get("max" if sign > 0 else "min")
        tx_id = ctx.param("transactionId")
        if tx_id:
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value <= 0):
                raise argument_invalid("value", "Value must be numeric and greater than 0")
            data = {"column": column, "value": 1 if value is None else value}
            if limit is not None:
                data["max" if sign > 0 else "min"] = limit
            op: dict[str, Any] = {
                "action": "increment" if sign > 0 else "decrement",
                "databaseId": table.database_id,
                "tableId": table.table_id,
                "rowId": row_id,
                "data": data,
            }
            _stage(
                ctx.stack,
                ctx.caller,
                tx_id,
                [_normalize_operation(ctx.stack, ctx.caller, op)],
                not_ready=lambda: bad_request(NON_PENDING),
            )
            return {"$id": row_id, "$tableId": table.table_id, "$databaseId": table.database_id, column: data["value"]}
        return ctx.stack.db.write(
            lambda w: op_increment(
                w,
                table,
                ctx.caller,
                row_id,
                column,
                value,
                limit,
                sign=sign,
                if_unmodified_since=_timestamp_header(ctx),
            )
        )

    return handler


def _bulk_upsert(ctx: Ctx) -> Any:
    require_scope(ctx.caller, *WRITE_SCOPES)
    table = _table(ctx)
    _require_bulk(ctx.caller)
    rows = _bulk_rows(ctx.body.get("rows"))
    tx_id = ctx.param("transactionId")
    if tx_id:
        op: dict[str, Any] = {
            "action": "bulkUpsert",
            "databaseId": table.database_id,
            "tableId": table.table_id,
            "data": rows,
        }
        _stage(
            ctx.stack,
            ctx.caller,
            tx_id,
            [_normalize_operation(ctx.stack, ctx.caller, op)],
            not_ready=lambda: bad_request(NON_PENDING),
        )
        return {"total": len(rows), "rows": []}
    upserted = ctx.stack.db.write(lambda w: op_bulk_upsert(w, table, ctx.caller, rows))
    return {"total": len(upserted), "rows": upserted}


def _bulk_update(ctx: Ctx) -> Any:
    require_scope(ctx.caller, *WRITE_SCOPES)
    table = _table(ctx)
    _require_bulk(ctx.caller)
    data = ctx.body.get("data") or {}
    queries = ctx.body.get("queries") or []
    parse_queries(queries, table)
    _clean_data(ctx.caller, data)
    tx_id = ctx.param("transactionId")
    if tx_id:
        op: dict[str, Any] = {
            "action": "bulkUpdate",
            "databaseId": table.database_id,
            "tableId": table.table_id,
            "data": {"data": data, "queries": queries},
        }
        _stage(
            ctx.stack,
            ctx.caller,
            tx_id,
            [_normalize_operation(ctx.stack, ctx.caller, op)],
            not_ready=lambda: bad_request(NON_PENDING),
        )
        return {"total": 0, "rows": []}
    updated = ctx.stack.db.write(lambda w: op_bulk_update(w, table, ctx.caller, data, queries))
    return {"total": len(updated), "rows": updated[:MAX_BULK]}


def _bulk_delete(ctx: Ctx) -> Any:
    require_scope(ctx.caller, *WRITE_SCOPES)
    table = _table(ctx)
    _require_bulk(ctx.caller)
    queries = ctx.body.get("queries") or []
    parse_queries(queries, table)
    tx_id = ctx.param("transactionId")
    if tx_id:
        op: dict[str, Any] = {
            "action": "bulkDelete",
            "databaseId": table.database_id,
            "tableId": table.table_id,
            "data": {"queries": queries},
        }
        _stage(
            ctx.stack,
            ctx.caller,
            tx_id,
            [_normalize_operation(ctx.stack, ctx.caller, op)],
            not_ready=lambda: bad_request(NON_PENDING),
        )
        return {"total": 0, "rows": []}
    deleted = ctx.stack.db.write(lambda w: op_bulk_delete(w, table, ctx.caller, queries))
    return {"total": len(deleted), "rows": deleted}


def _create_tx(ctx: Ctx) -> tuple[int, Any]:
    require_scope(ctx.caller, *WRITE_SCOPES)
    ttl = ctx.body.get("ttl", 300)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 60 <= ttl <= 3600:
        raise argument_invalid("ttl", "Value must be a valid range between 60 and 3,600")
    caller = ctx.caller
    perms = default_row_permissions(caller)
    now = datetime.now(UTC)

    def write(w: Writer) -> dict[str, Any]:
        tx_id = new_unique_id()
        stamp = format_datetime(now)
        w.conn.execute(
            "INSERT INTO _transactions(id, created_at, updated_at, status, expires_at, permissions, operations) "
            "VALUES (?, ?, ?, 'pending', ?, ?, '[]')",
            (tx_id, stamp, stamp, format_datetime(now + timedelta(seconds=ttl)), json.dumps(perms)),
        )
        return _tx_json(w.conn.execute("SELECT * FROM _transactions WHERE id = ?", (tx_id,)).fetchone())

    return 201, ctx.stack.db.write(write)


def _get_tx(ctx: Ctx) -> dict[str, Any]:
    require_scope(ctx.caller, *READ_SCOPES)
    tx_id = check_uid("transactionId", ctx.path["transactionId"])
    return ctx.stack.db.read(lambda w: _tx_json(_load_tx(w, ctx.caller, tx_id)))


def _list_tx(ctx: Ctx) -> dict[str, Any]:
    require_scope(ctx.caller, *READ_SCOPES)

    def read(w: Writer) -> dict[str, Any]:
        records = w.conn.execute("SELECT * FROM _transactions ORDER BY created_at, id").fetchall()
        visible = [
            _tx_json(r)
            for r in records
            if ctx.caller.bypasses_permissions or ctx.caller.roles & roles_for(json.loads(r["permissions"]), "read")
        ]
        return {"total": len(visible), "transactions": visible}

    return ctx.stack.db.read(read)


def _update_tx(ctx: Ctx) -> dict[str, Any]:
    require_scope(ctx.caller, *WRITE_SCOPES)
    tx_id = check_uid("transactionId", ctx.path["transactionId"])
    commit = as_bool(ctx.body.get("commit"), "commit", False)
    rollback = as_bool(ctx.body.get("rollback"), "rollback", False)
    if commit and rollback:
        raise bad_request("Cannot commit and rollback at the same time")
    if not commit and not rollback:
        raise bad_request("Either commit or rollback must be true")
    if commit:
        return commit_transaction(ctx.stack, ctx.caller, tx_id)

    def check(w: Writer) -> None:
        record = _load_tx(w, ctx.caller, tx_id)
        if record["status"] != "pending":
            raise transaction_not_ready()

    ctx.stack.db.read(check)
    return _set_status(ctx.stack, tx_id, "failed")


def _delete_tx(ctx: Ctx) -> Response:
    require_scope(ctx.caller, *WRITE_SCOPES)
    tx_id = check_uid("transactionId", ctx.path["transactionId"])

    def write(w: Writer) -> None:
        _load_tx(w, ctx.caller, tx_id)
        w.conn.execute("DELETE FROM _transactions WHERE id = ?", (tx_id,))

    ctx.stack.db.write(write)
    return empty_response()


def _create_operations(ctx: Ctx) -> tuple[int, Any]:
    require_scope(ctx.caller, *WRITE_SCOPES)
    tx_id = check_uid("transactionId", ctx.path["transactionId"])
    raw = ctx.body.get("operations")
    if not isinstance(raw, list):
        raise argument_invalid("operations", "Value must be a valid array")
    if not raw:
        raise bad_request("Operations array cannot be empty")
    operations = [_normalize_operation(ctx.stack, ctx.caller, op) for op in raw]
    return 201, _stage(ctx.stack, ctx.caller, tx_id, operations, not_ready=lambda: bad_request(NON_PENDING))


def _list_databases(ctx: Ctx) -> dict[str, Any]:
    require_scope(ctx.caller, "databases.read")
    stamp = ctx.stack.db.created_at
    items = [
        {
            "$id": db,
            "name": name,
            "$createdAt": stamp,
            "$updatedAt": stamp,
            "enabled": True,
            "type": "tablesdb",
            "policies": [],
            "archives": [],
        }
        for db, name in ctx.stack.db.schema.databases.items()
    ]
    return {"total": len(items), "databases": items}


def routes(stack: LocalStack) -> list[BaseRoute]:
    base = "/v1/tablesdb/{databaseId}/tables/{tableId}"
    tx = "/v1/tablesdb/transactions"
    return [
        Route("/v1/tablesdb", endpoint(stack, _list_databases), methods=["GET"]),
        Route(tx, endpoint(stack, _list_tx), methods=["GET"]),
        Route(tx, endpoint(stack, _create_tx), methods=["POST"]),
        Route(tx + "/{transactionId}", endpoint(stack, _get_tx), methods=["GET"]),
        Route(tx + "/{transactionId}", endpoint(stack, _update_tx), methods=["PATCH"]),
        Route(tx + "/{transactionId}", endpoint(stack, _delete_tx), methods=["DELETE"]),
        Route(tx + "/{transactionId}/operations", endpoint(stack, _create_operations), methods=["POST"]),
        Route("/v1/tablesdb/{databaseId}/tables", endpoint(stack, _list_tables), methods=["GET"]),
        Route(base, endpoint(stack, _get_table), methods=["GET"]),
        Route(base + "/rows", endpoint(stack, _list_rows), methods=["GET"]),
        Route(base + "/rows", endpoint(stack, _create_rows), methods=["POST"]),
        Route(base + "/rows", endpoint(stack, _bulk_upsert), methods=["PUT"]),
        Route(base + "/rows", endpoint(stack, _bulk_update), methods=["PATCH"]),
        Route(base + "/rows", endpoint(stack, _bulk_delete), methods=["DELETE"]),
        Route(base + "/rows/query", endpoint(stack, _list_rows_post), methods=["POST"]),
        Route(base + "/rows/{rowId}", endpoint(stack, _get_row), methods=["GET"]),
        Route(base + "/rows/{rowId}", endpoint(stack, _upsert_row), methods=["PUT"]),
        Route(base + "/rows/{rowId}", endpoint(stack, _update_row), methods=["PATCH"]),
        Route(base + "/rows/{rowId}", endpoint(stack, _delete_row), methods=["DELETE"]),
        Route(base + "/rows/{rowId}/{column}/increment", endpoint(stack, _increment(1)), methods=["PATCH"]),
        Route(base + "/rows/{rowId}/{column}/decrement", endpoint(stack, _increment(-1)), methods=["PATCH"]),
    ]
