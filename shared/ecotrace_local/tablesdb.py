"""TablesDB REST: databases and tables (read-only, from appwrite.json) and rows, as Appwrite 1.9.6 serves them.

Row writes go through :mod:`ecotrace_local.rowops` inside one SQLite transaction; with ``transactionId`` they are
staged instead (:mod:`ecotrace_local.transactions`), whose routes are mounted here too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from . import transactions_api
from .errors import AppwriteError, argument_invalid, table_not_found
from .rest import Ctx, as_bool, check_custom_id, check_uid, empty_response, endpoint
from .storage.access import check_grantable, default_row_permissions, normalize_permissions, require_scope
from .storage.ids import new_unique_id
from .storage.queries import parse_queries
from .storage.rowops import (
    MAX_BULK,
    READ_SCOPES,
    WRITE_SCOPES,
    bad_request,
    bulk_rows,
    clean_data,
    require_bulk,
    unauthorized_scope,
)
from .storage.schema import TableSchema
from .storage.transactions import NON_PENDING, normalize_operation

if TYPE_CHECKING:
    from .app import LocalStack

TABLE_READ_SCOPES = ("tables.read", "collections.read")

# ------------------------------------------------------------------------------------------ row handlers


def _table(ctx: Ctx) -> TableSchema:
    database_id = check_uid("databaseId", ctx.path["databaseId"])
    table_id = check_uid("tableId", ctx.path["tableId"])
    table = ctx.stack.rows.schema.table(database_id, table_id)
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
    schema = ctx.stack.rows.schema
    if database_id not in schema.databases:
        raise AppwriteError(
            404, "database_not_found", f"Database with the requested ID '{database_id}' could not be found."
        )
    tables = [t.to_json(ctx.stack.rows.created_at) for (db, _), t in schema.tables.items() if db == database_id]
    return {"total": len(tables), "tables": tables}


def _get_table(ctx: Ctx) -> dict[str, Any]:
    require_scope(ctx.caller, *TABLE_READ_SCOPES)
    if not ctx.caller.is_key:
        raise unauthorized_scope()
    return _table(ctx).to_json(ctx.stack.rows.created_at)


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
    return ctx.stack.rows.list_rows(
        table, ctx.caller, parsed, want_total=want_total, transaction_id=ctx.param("transactionId")
    )


def _list_rows_post(ctx: Ctx) -> dict[str, Any]:
    return _list_rows(ctx, ctx.body.get("queries", []))


def _get_row(ctx: Ctx) -> dict[str, Any]:
    require_scope(ctx.caller, *READ_SCOPES)
    table = _table(ctx)
    row_id = check_uid("rowId", ctx.path["rowId"])
    parsed = parse_queries(ctx.param("queries"), table)
    return ctx.stack.rows.get(table, ctx.caller, row_id, parsed.selects, transaction_id=ctx.param("transactionId"))


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
        require_bulk(ctx.caller)
        rows = bulk_rows(ctx.body["rows"])
        if tx_id:
            _stage(ctx, tx_id, "bulkCreate", table, data=rows)
            return 200, {"total": len(rows), "rows": []}
        created = ctx.stack.rows.bulk_create(table, ctx.caller, rows)
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
        _stage(ctx, tx_id, "create", table, row_id=row_id, data=staged_data)
        perms = permissions if permissions is not None else default_row_permissions(ctx.caller)
        return 201, _staged_mock(table, row_id, data, perms)
    return 201, ctx.stack.rows.create(table, ctx.caller, row_id, data, permissions)


def _row_id(ctx: Ctx) -> str:
    return check_uid("rowId", ctx.path["rowId"])


def _single_write(ctx: Ctx) -> tuple[TableSchema, str, Any, Any]:
    """The checked (table, row id, data, permissions) of a PATCH or PUT on one row."""
    require_scope(ctx.caller, *WRITE_SCOPES)
    table = _table(ctx)
    row_id = _row_id(ctx)
    data = ctx.body.get("data")
    if data is not None and not isinstance(data, dict):
        raise argument_invalid("data", "Value must be a valid JSON object")
    return table, row_id, data, ctx.body.get("permissions")


def _stage_single(
    ctx: Ctx, tx_id: str, action: str, table: TableSchema, row_id: str, data: Any, permissions: Any
) -> dict[str, Any]:
    """Stage an update or upsert of one row in transaction ``tx_id``; return the data as staged."""
    staged_data = dict(data or {})
    if permissions is not None:
        staged_data["$permissions"] = normalize_permissions(permissions)
    _stage(ctx, tx_id, action, table, row_id=row_id, data=staged_data)
    return staged_data


# Appwrite answers a non-pending transaction with general_bad_request on these routes, transaction_not_ready on
# the others (appwrite-rest.md section 4).
_NON_PENDING_IS_BAD_REQUEST = frozenset(
    {"increment", "decrement", "bulkCreate", "bulkUpsert", "bulkUpdate", "bulkDelete"}
)


def _stage(
    ctx: Ctx, tx_id: str, action: str, table: TableSchema, *, row_id: str | None = None, data: Any = None
) -> None:
    """Stage one operation of this request in transaction ``tx_id`` (nothing is written until the commit)."""
    op: dict[str, Any] = {"action": action, "databaseId": table.database_id, "tableId": table.table_id}
    if row_id is not None:
        op["rowId"] = row_id
    if data is not None:
        op["data"] = data
    staged = [normalize_operation(ctx.caller, op)]
    if action in _NON_PENDING_IS_BAD_REQUEST:
        ctx.stack.transactions.stage(ctx.caller, tx_id, staged, not_ready=lambda: bad_request(NON_PENDING))
    else:
        ctx.stack.transactions.stage(ctx.caller, tx_id, staged)


def _update_row(ctx: Ctx) -> Any:
    table, row_id, data, permissions = _single_write(ctx)
    tx_id = ctx.param("transactionId")
    if tx_id:
        staged_data = _stage_single(ctx, tx_id, "update", table, row_id, data, permissions)
        row = ctx.stack.rows.find_staged(table, ctx.caller, row_id, tx_id)
        return row if row is not None else _staged_mock(table, row_id, staged_data, permissions)
    return ctx.stack.rows.update(
        table, ctx.caller, row_id, data, permissions, if_unmodified_since=_timestamp_header(ctx)
    )


def _upsert_row(ctx: Ctx) -> Any:
    table, row_id, data, permissions = _single_write(ctx)
    tx_id = ctx.param("transactionId")
    if tx_id:
        staged_data = _stage_single(ctx, tx_id, "upsert", table, row_id, data, permissions)
        return 201, _staged_mock(table, row_id, staged_data, permissions)
    row, _created = ctx.stack.rows.upsert(
        table, ctx.caller, row_id, data, permissions, if_unmodified_since=_timestamp_header(ctx)
    )
    return 200, row


def _delete_row(ctx: Ctx) -> Response:
    require_scope(ctx.caller, *WRITE_SCOPES)
    table = _table(ctx)
    row_id = _row_id(ctx)
    tx_id = ctx.param("transactionId")
    if tx_id:
        _stage(ctx, tx_id, "delete", table, row_id=row_id)
        return empty_response()
    ctx.stack.rows.delete(table, ctx.caller, row_id, if_unmodified_since=_timestamp_header(ctx))
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
            _stage(ctx, tx_id, "increment" if sign > 0 else "decrement", table, row_id=row_id, data=data)
            return {"$id": row_id, "$tableId": table.table_id, "$databaseId": table.database_id, column: data["value"]}
        return ctx.stack.rows.increment(
            table, ctx.caller, row_id, column, value, limit, sign=sign, if_unmodified_since=_timestamp_header(ctx)
        )

    return handler


def _bulk_upsert(ctx: Ctx) -> Any:
    require_scope(ctx.caller, *WRITE_SCOPES)
    table = _table(ctx)
    require_bulk(ctx.caller)
    rows = bulk_rows(ctx.body.get("rows"))
    tx_id = ctx.param("transactionId")
    if tx_id:
        _stage(ctx, tx_id, "bulkUpsert", table, data=rows)
        return {"total": len(rows), "rows": []}
    upserted = ctx.stack.rows.bulk_upsert(table, ctx.caller, rows)
    return {"total": len(upserted), "rows": upserted}


def _bulk_update(ctx: Ctx) -> Any:
    require_scope(ctx.caller, *WRITE_SCOPES)
    table = _table(ctx)
    require_bulk(ctx.caller)
    data = ctx.body.get("data") or {}
    queries = ctx.body.get("queries") or []
    parse_queries(queries, table)
    clean_data(ctx.caller, data)
    tx_id = ctx.param("transactionId")
    if tx_id:
        _stage(ctx, tx_id, "bulkUpdate", table, data={"data": data, "queries": queries})
        return {"total": 0, "rows": []}
    updated = ctx.stack.rows.bulk_update(table, ctx.caller, data, queries)
    return {"total": len(updated), "rows": updated[:MAX_BULK]}


def _bulk_delete(ctx: Ctx) -> Any:
    require_scope(ctx.caller, *WRITE_SCOPES)
    table = _table(ctx)
    require_bulk(ctx.caller)
    queries = ctx.body.get("queries") or []
    parse_queries(queries, table)
    tx_id = ctx.param("transactionId")
    if tx_id:
        _stage(ctx, tx_id, "bulkDelete", table, data={"queries": queries})
        return {"total": 0, "rows": []}
    deleted = ctx.stack.rows.bulk_delete(table, ctx.caller, queries)
    return {"total": len(deleted), "rows": deleted}


def _list_databases(ctx: Ctx) -> dict[str, Any]:
    require_scope(ctx.caller, "databases.read")
    stamp = ctx.stack.rows.created_at
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
        for db, name in ctx.stack.rows.schema.databases.items()
    ]
    return {"total": len(items), "databases": items}


def _get_database(ctx: Ctx) -> dict[str, Any]:
    database_id = check_uid("databaseId", ctx.path["databaseId"])
    for database in _list_databases(ctx)["databases"]:
        if database["$id"] == database_id:
            return dict(database)
    raise AppwriteError(
        404, "database_not_found", f"Database with the requested ID '{database_id}' could not be found."
    )


def routes(stack: LocalStack) -> list[BaseRoute]:
    base = "/v1/tablesdb/{databaseId}/tables/{tableId}"
    return [
        Route("/v1/tablesdb", endpoint(stack, _list_databases), methods=["GET"]),
        *transactions_api.routes(stack),
        Route("/v1/tablesdb/{databaseId}", endpoint(stack, _get_database), methods=["GET"]),
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
