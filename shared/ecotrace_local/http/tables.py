"""TablesDB databases and tables, read-only (they come from appwrite.json), as Appwrite 1.9.6 serves them."""

from __future__ import annotations

from typing import Any

from ..errors import AppwriteError, table_not_found
from ..storage.access import require_scope
from ..storage.rowops import unauthorized_scope
from ..storage.rows import Rows
from ..storage.schema import Schema, TableSchema
from .endpoint import Ctx, check_uid

TABLE_READ_SCOPES = ("tables.read", "collections.read")


def table_in_path(ctx: Ctx, schema: Schema) -> TableSchema:
    """The table named by the ``databaseId`` and ``tableId`` path parameters."""
    database_id = check_uid("databaseId", ctx.path["databaseId"])
    table_id = check_uid("tableId", ctx.path["tableId"])
    table = schema.table(database_id, table_id)
    if not table.enabled and not ctx.caller.is_key:  # a disabled table stays reachable with a key only
        raise table_not_found(table_id)
    return table


def _database_not_found(database_id: str) -> AppwriteError:
    return AppwriteError(
        404, "database_not_found", f"Database with the requested ID '{database_id}' could not be found."
    )


def list_databases(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    require_scope(ctx.caller, "databases.read")
    stamp = rows.created_at
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
        for db, name in rows.schema.databases.items()
    ]
    return {"total": len(items), "databases": items}


def get_database(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    database_id = check_uid("databaseId", ctx.path["databaseId"])
    for database in list_databases(ctx, rows)["databases"]:
        if database["$id"] == database_id:
            return dict(database)
    raise _database_not_found(database_id)


def list_tables(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    require_scope(ctx.caller, *TABLE_READ_SCOPES)
    if not ctx.caller.is_key:
        raise unauthorized_scope()
    database_id = check_uid("databaseId", ctx.path["databaseId"])
    schema = rows.schema
    if database_id not in schema.databases:
        raise _database_not_found(database_id)
    tables = [t.to_json(rows.created_at) for (db, _), t in schema.tables.items() if db == database_id]
    return {"total": len(tables), "tables": tables}


def get_table(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    require_scope(ctx.caller, *TABLE_READ_SCOPES)
    if not ctx.caller.is_key:
        raise unauthorized_scope()
    return table_in_path(ctx, rows.schema).to_json(rows.created_at)
