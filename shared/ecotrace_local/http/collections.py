"""The legacy Databases API names of the same read-only schema (``/v1/databases``: collections, attributes,
indexes), which appwrite-cli 12 reads after it writes columns or indexes, and older SDKs use. Appwrite 1.9.6 serves
the same objects with the legacy names: ``documentSecurity`` for ``rowSecurity``, ``attributes`` for ``columns``
(also in an index), ``collections`` for ``tables``."""

from __future__ import annotations

from typing import Any

from ..storage.rows import Rows
from .endpoint import Ctx
from .listing import page
from .tables import get_database, get_table, keyed, list_databases, list_tables


def _index(index: dict[str, Any]) -> dict[str, Any]:
    return {("attributes" if k == "columns" else k): v for k, v in index.items()}


def _collection(table: dict[str, Any]) -> dict[str, Any]:
    renamed = {"rowSecurity": "documentSecurity", "columns": "attributes"}
    out = {renamed.get(k, k): v for k, v in table.items()}
    out["indexes"] = [_index(ix) for ix in table["indexes"]]
    return out


def _legacy_database(database: dict[str, Any]) -> dict[str, Any]:
    return {**database, "type": "legacy"}


def _ctx_for_table(ctx: Ctx) -> Ctx:
    path = {**ctx.path, "tableId": ctx.path["collectionId"]}
    return Ctx(ctx.caller, path, ctx.query, ctx.body, ctx.headers)


def list_legacy_databases(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    listed = list_databases(ctx, rows)
    return {"total": listed["total"], "databases": [_legacy_database(d) for d in listed["databases"]]}


def get_legacy_database(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    return _legacy_database(get_database(ctx, rows))


def list_collections(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    listed = list_tables(ctx, rows)
    return {"total": listed["total"], "collections": [_collection(t) for t in listed["tables"]]}


def get_collection(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    return _collection(get_table(_ctx_for_table(ctx), rows))


def list_attributes(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    attributes = get_collection(ctx, rows)["attributes"]
    return {"total": len(attributes), "attributes": page(attributes, ctx.param("queries"))}


def get_attribute(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    return keyed(get_collection(ctx, rows)["attributes"], ctx.path["key"], "attribute")


def list_collection_indexes(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    indexes = get_collection(ctx, rows)["indexes"]
    return {"total": len(indexes), "indexes": page(indexes, ctx.param("queries"))}


def get_collection_index(ctx: Ctx, rows: Rows) -> dict[str, Any]:
    return keyed(get_collection(ctx, rows)["indexes"], ctx.path["key"], "index")
