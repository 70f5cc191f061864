"""TablesDB databases, tables, columns and indexes, read-only (they come from appwrite.json), as Appwrite 1.9.6
serves them (the legacy ``/v1/databases`` names of the same are ``collections.py``). Listings take ``limit`` and
``offset`` queries. A schema write is 405 ``general_not_implemented``: the schema is appwrite.json's."""

from __future__ import annotations

from typing import Any

from ..errors import AppwriteError, table_not_found
from ..storage.access import require_scope
from ..storage.rowops import unauthorized_scope
from ..storage.rows import Rows
from ..storage.schema import Schema, TableSchema
from .endpoint import Ctx, check_uid
from .listing import page

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
    return {"total": len(items), "databases": page(items, ctx.param("queries"))}


def get_database(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    database_id = check_uid("databaseId", ctx.path["databaseId"])
    require_scope(ctx.caller, "databases.read")
    if database_id not in rows.schema.databases:
        raise _database_not_found(database_id)
    stamp = rows.created_at
    return {
        "$id": database_id,
        "name": rows.schema.databases[database_id],
        "$createdAt": stamp,
        "$updatedAt": stamp,
        "enabled": True,
        "type": "tablesdb",
        "policies": [],
        "archives": [],
    }


def list_tables(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    require_scope(ctx.caller, *TABLE_READ_SCOPES)
    if not ctx.caller.is_key:
        raise unauthorized_scope()
    database_id = check_uid("databaseId", ctx.path["databaseId"])
    schema = rows.schema
    if database_id not in schema.databases:
        raise _database_not_found(database_id)
    tables = [t.to_json(rows.created_at) for (db, _), t in schema.tables.items() if db == database_id]
    return {"total": len(tables), "tables": page(tables, ctx.param("queries"))}


def get_table(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    require_scope(ctx.caller, *TABLE_READ_SCOPES)
    if not ctx.caller.is_key:
        raise unauthorized_scope()
    return table_in_path(ctx, rows.schema).to_json(rows.created_at)


def _table_part(ctx: Ctx, rows: Rows, part: str) -> list[dict[str, Any]]:
    table = get_table(ctx, rows)
    items: list[dict[str, Any]] = table[part]
    return items


def keyed(items: list[dict[str, Any]], key: str, kind: str) -> dict[str, Any]:
    for item in items:
        if item["key"] == key:
            return item
    raise AppwriteError(404, f"{kind}_not_found", f"{kind.capitalize()} with the requested key could not be found.")


def list_columns(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    columns = _table_part(ctx, rows, "columns")
    return {"total": len(columns), "columns": page(columns, ctx.param("queries"))}


def get_column(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    return keyed(_table_part(ctx, rows, "columns"), ctx.path["key"], "column")


def list_indexes(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    indexes = _table_part(ctx, rows, "indexes")
    return {"total": len(indexes), "indexes": page(indexes, ctx.param("queries"))}


def get_index(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    return keyed(_table_part(ctx, rows, "indexes"), ctx.path["key"], "index")


def schema_is_read_only(ctx: Ctx) -> Any:
    """Any write to databases, tables, columns or indexes (e.g. ``appwrite push tables`` with changes)."""
    require_scope(ctx.caller, "databases.write", "tables.write", "collections.write")
    raise AppwriteError(
        405,
        "general_not_implemented",
        "The local stack's schema is read-only: it is appwrite.json's. Change schema/tables.json, run `make schema` "
        "and restart `make dev`.",
    )
