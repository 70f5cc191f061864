"""TablesDB rows, as Appwrite 1.9.6 serves them: list, get, create (one or bulk), update, upsert, delete,
increment/decrement and the bulk routes. The work is ``storage/rows.py``'s; with ``transactionId`` a write is staged
in that transaction instead (``storage/transactions.py``) and answered as Appwrite answers a staged write."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..errors import AppwriteError, argument_invalid
from ..storage.access import check_grantable, default_row_permissions, normalize_permissions, require_scope
from ..storage.ids import new_unique_id
from ..storage.queries import parse_queries
from ..storage.rowops import (
    MAX_BULK,
    READ_SCOPES,
    WRITE_SCOPES,
    bad_request,
    bulk_rows,
    clean_data,
    require_bulk,
)
from ..storage.rows import Rows
from ..storage.schema import TableSchema
from ..storage.transactions import NON_PENDING, Transactions, normalize_operation
from .endpoint import Ctx, as_bool, check_custom_id, check_uid, empty_response
from .tables import table_in_path

# Appwrite answers a non-pending transaction with general_bad_request on these routes, transaction_not_ready on
# the others (appwrite-rest.md section 4).
_NON_PENDING_IS_BAD_REQUEST = frozenset(
    {"increment", "decrement", "bulkCreate", "bulkUpsert", "bulkUpdate", "bulkDelete"}
)


def _row_id(ctx: Ctx) -> str:
    return check_uid("rowId", ctx.path["rowId"])


def _timestamp_header(ctx: Ctx) -> str | None:
    return ctx.headers.get("x-appwrite-timestamp") or None


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


def _stage(
    ctx: Ctx,
    transactions: Transactions,
    tx_id: str,
    action: str,
    table: TableSchema,
    *,
    row_id: str | None = None,
    data: Any = None,
) -> None:
    """Stage one operation of this request in transaction ``tx_id`` (nothing is written until the commit)."""
    op: dict[str, Any] = {"action": action, "databaseId": table.database_id, "tableId": table.table_id}
    if row_id is not None:
        op["rowId"] = row_id
    if data is not None:
        op["data"] = data
    staged = [normalize_operation(ctx.caller, op)]
    if action in _NON_PENDING_IS_BAD_REQUEST:
        transactions.stage(ctx.caller, tx_id, staged, not_ready=lambda: bad_request(NON_PENDING))
    else:
        transactions.stage(ctx.caller, tx_id, staged)


# ------------------------------------------------------------------------------------------ reads


def list_rows(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    return _list(ctx, rows, ctx.param("queries"))


def query_rows(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    """``POST …/rows/query``: a listing whose queries come in the body."""
    return _list(ctx, rows, ctx.body.get("queries", []))


def _list(ctx: Ctx, rows: Rows, queries: Any) -> dict[str, Any]:
    require_scope(ctx.caller, *READ_SCOPES)
    table = table_in_path(ctx, rows.schema)
    parsed = parse_queries(queries, table)
    want_total = as_bool(ctx.param("total"), "total", True)
    ttl = ctx.param("ttl")  # list caching is not emulated; the parameter is still checked
    if ttl is not None:
        try:
            ttl_s = int(ttl)
        except (TypeError, ValueError):
            ttl_s = -1
        if isinstance(ttl, bool) or not 0 <= ttl_s <= 86400:
            raise argument_invalid("ttl", "Value must be a valid range between 0 and 86,400")
    return rows.list_rows(table, ctx.caller, parsed, want_total=want_total, transaction_id=ctx.param("transactionId"))


def get_row(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    require_scope(ctx.caller, *READ_SCOPES)
    table = table_in_path(ctx, rows.schema)
    row_id = _row_id(ctx)
    parsed = parse_queries(ctx.param("queries"), table)
    return rows.get(table, ctx.caller, row_id, parsed.selects, transaction_id=ctx.param("transactionId"))


# ------------------------------------------------------------------------------------------ writes


def create_rows(ctx: Ctx, rows: Rows, transactions: Transactions) -> tuple[int, Any]:
    """One row (``rowId`` + ``data``) or many (``rows``)."""
    require_scope(ctx.caller, *WRITE_SCOPES)
    table = table_in_path(ctx, rows.schema)
    has_data, has_rows = ctx.body.get("data") is not None, ctx.body.get("rows") is not None
    tx_id = ctx.param("transactionId")
    if has_rows:
        if has_data or ctx.body.get("rowId") is not None or ctx.body.get("permissions") is not None:
            raise bad_request("You can only send one of the following parameters: data, rows")
        require_bulk(ctx.caller)
        batch = bulk_rows(ctx.body["rows"])
        if tx_id:
            _stage(ctx, transactions, tx_id, "bulkCreate", table, data=batch)
            return 200, {"total": len(batch), "rows": []}
        created = rows.bulk_create(table, ctx.caller, batch)
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
        _stage(ctx, transactions, tx_id, "create", table, row_id=row_id, data=staged_data)
        perms = permissions if permissions is not None else default_row_permissions(ctx.caller)
        return 201, _staged_mock(table, row_id, data, perms)
    return 201, rows.create(table, ctx.caller, row_id, data, permissions)


def _single_write(ctx: Ctx, rows: Rows) -> tuple[TableSchema, str, Any, Any]:
    """The checked (table, row id, data, permissions) of a PATCH or PUT on one row."""
    require_scope(ctx.caller, *WRITE_SCOPES)
    table = table_in_path(ctx, rows.schema)
    row_id = _row_id(ctx)
    data = ctx.body.get("data")
    if data is not None and not isinstance(data, dict):
        raise argument_invalid("data", "Value must be a valid JSON object")
    return table, row_id, data, ctx.body.get("permissions")


def _stage_single(
    ctx: Ctx,
    transactions: Transactions,
    tx_id: str,
    action: str,
    table: TableSchema,
    row_id: str,
    data: Any,
    permissions: Any,
) -> dict[str, Any]:
    """Stage an update or upsert of one row in transaction ``tx_id``; return the data as staged."""
    staged_data = dict(data or {})
    if permissions is not None:
        staged_data["$permissions"] = normalize_permissions(permissions)
    _stage(ctx, transactions, tx_id, action, table, row_id=row_id, data=staged_data)
    return staged_data


def update_row(ctx: Ctx, rows: Rows, transactions: Transactions) -> Any:
    table, row_id, data, permissions = _single_write(ctx, rows)
    tx_id = ctx.param("transactionId")
    if tx_id:
        staged_data = _stage_single(ctx, transactions, tx_id, "update", table, row_id, data, permissions)
        row = rows.find_staged(table, ctx.caller, row_id, tx_id)
        return row if row is not None else _staged_mock(table, row_id, staged_data, permissions)
    return rows.update(table, ctx.caller, row_id, data, permissions, if_unmodified_since=_timestamp_header(ctx))


def upsert_row(ctx: Ctx, rows: Rows, transactions: Transactions) -> Any:
    table, row_id, data, permissions = _single_write(ctx, rows)
    tx_id = ctx.param("transactionId")
    if tx_id:
        staged_data = _stage_single(ctx, transactions, tx_id, "upsert", table, row_id, data, permissions)
        return 201, _staged_mock(table, row_id, staged_data, permissions)
    row, _created = rows.upsert(
        table, ctx.caller, row_id, data, permissions, if_unmodified_since=_timestamp_header(ctx)
    )
    return 200, row


def delete_row(ctx: Ctx, rows: Rows, transactions: Transactions) -> Response:
    require_scope(ctx.caller, *WRITE_SCOPES)
    table = table_in_path(ctx, rows.schema)
    row_id = _row_id(ctx)
    tx_id = ctx.param("transactionId")
    if tx_id:
        _stage(ctx, transactions, tx_id, "delete", table, row_id=row_id)
        return empty_response()
    rows.delete(table, ctx.caller, row_id, if_unmodified_since=_timestamp_header(ctx))
    return empty_response()


def _change(ctx: Ctx, rows: Rows, transactions: Transactions, *, sign: int) -> Any:
    require_scope(ctx.caller, *WRITE_SCOPES)
    table = table_in_path(ctx, rows.schema)
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
        _stage(ctx, transactions, tx_id, "increment" if sign > 0 else "decrement", table, row_id=row_id, data=data)
        return {"$id": row_id, "$tableId": table.table_id, "$databaseId": table.database_id, column: data["value"]}
    return rows.increment(
        table, ctx.caller, row_id, column, value, limit, sign=sign, if_unmodified_since=_timestamp_header(ctx)
    )


def increment_column(ctx: Ctx, rows: Rows, transactions: Transactions) -> Any:
    return _change(ctx, rows, transactions, sign=1)


def decrement_column(ctx: Ctx, rows: Rows, transactions: Transactions) -> Any:
    return _change(ctx, rows, transactions, sign=-1)


# ------------------------------------------------------------------------------------------ bulk


def bulk_upsert(ctx: Ctx, rows: Rows, transactions: Transactions) -> Any:
    require_scope(ctx.caller, *WRITE_SCOPES)
    table = table_in_path(ctx, rows.schema)
    require_bulk(ctx.caller)
    batch = bulk_rows(ctx.body.get("rows"))
    tx_id = ctx.param("transactionId")
    if tx_id:
        _stage(ctx, transactions, tx_id, "bulkUpsert", table, data=batch)
        return {"total": len(batch), "rows": []}
    upserted = rows.bulk_upsert(table, ctx.caller, batch)
    return {"total": len(upserted), "rows": upserted}


def bulk_update(ctx: Ctx, rows: Rows, transactions: Transactions) -> Any:
    require_scope(ctx.caller, *WRITE_SCOPES)
    table = table_in_path(ctx, rows.schema)
    require_bulk(ctx.caller)
    data = ctx.body.get("data") or {}
    queries = ctx.body.get("queries") or []
    parse_queries(queries, table)
    clean_data(ctx.caller, data)
    tx_id = ctx.param("transactionId")
    if tx_id:
        _stage(ctx, transactions, tx_id, "bulkUpdate", table, data={"data": data, "queries": queries})
        return {"total": 0, "rows": []}
    updated = rows.bulk_update(table, ctx.caller, data, queries)
    return {"total": len(updated), "rows": updated[:MAX_BULK]}


def bulk_delete(ctx: Ctx, rows: Rows, transactions: Transactions) -> Any:
    require_scope(ctx.caller, *WRITE_SCOPES)
    table = table_in_path(ctx, rows.schema)
    require_bulk(ctx.caller)
    queries = ctx.body.get("queries") or []
    parse_queries(queries, table)
    tx_id = ctx.param("transactionId")
    if tx_id:
        _stage(ctx, transactions, tx_id, "bulkDelete", table, data={"queries": queries})
        return {"total": 0, "rows": []}
    deleted = rows.bulk_delete(table, ctx.caller, queries)
    return {"total": len(deleted), "rows": deleted}
