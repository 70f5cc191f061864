"""The tables of appwrite.json as the store sees them: databases, tables, typed columns, indexes, permissions.

Every Appwrite table becomes one SQLite table named ``rows__<database>__<table>`` with its typed columns (arrays as
JSON text) plus ``$id``, ``$sequence`` (the rowid), ``$createdAt``, ``$updatedAt`` and ``$permissions``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import database_not_found, table_not_found

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
FLOAT_MAX = 1.7976931348623157e308


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Column:
    key: str
    type: str  # string | integer | double | boolean | datetime
    required: bool = False
    array: bool = False
    size: int | None = None
    default: Any = None
    min: float | None = None
    max: float | None = None
    format: str | None = None
    elements: tuple[str, ...] | None = None

    @property
    def sql_type(self) -> str:
        if self.array:
            return "TEXT"
        return {"integer": "INTEGER", "double": "REAL", "boolean": "INTEGER"}.get(self.type, "TEXT")

    @property
    def numeric(self) -> bool:
        return self.type in ("integer", "double") and not self.array

    def to_json(self, created_at: str) -> dict[str, Any]:
        """The column in Appwrite's Column* model shape."""
        out: dict[str, Any] = {
            "key": self.key,
            "type": self.type,
            "status": "available",
            "error": "",
            "required": self.required,
            "array": self.array,
            "description": "",
            "$createdAt": created_at,
            "$updatedAt": created_at,
        }
        if self.type == "string":
            if self.format == "enum":
                out["elements"] = list(self.elements or ())
                out["format"] = "enum"
            else:
                out["size"] = self.size if self.size is not None else 0
                out["encrypt"] = False  # ColumnString.encrypt (no encrypted columns here)
                if self.format:
                    out["format"] = self.format
        elif self.type in ("integer", "double"):
            out["min"] = self.min if self.min is not None else (INT64_MIN if self.type == "integer" else -FLOAT_MAX)
            out["max"] = self.max if self.max is not None else (INT64_MAX if self.type == "integer" else FLOAT_MAX)
        elif self.type == "datetime":
            out["format"] = ""  # Appwrite stores "" for datetime columns and returns it, not the model default
        out["default"] = self.default
        return out


@dataclass(frozen=True)
class Index:
    key: str
    type: str  # key | unique | fulltext
    columns: tuple[str, ...]
    orders: tuple[str, ...]


@dataclass
class TableSchema:
    database_id: str
    table_id: str
    name: str
    permissions: tuple[str, ...]
    row_security: bool
    enabled: bool
    columns: dict[str, Column]
    indexes: tuple[Index, ...]

    @property
    def sql_name(self) -> str:
        return quote_ident(f"rows__{self.database_id}__{self.table_id}")

    def roles_for(self, action: str) -> frozenset[str]:
        """Roles granted ``action`` (read|create|update|delete) at table level (``write`` = update+delete)."""
        return roles_for(self.permissions, action)

    def to_json(self, created_at: str) -> dict[str, Any]:
        return {
            "$id": self.table_id,
            "$createdAt": created_at,
            "$updatedAt": created_at,
            "$permissions": list(self.permissions),
            "databaseId": self.database_id,
            "name": self.name,
            "description": "",
            "enabled": self.enabled,
            "rowSecurity": self.row_security,
            "columns": [c.to_json(created_at) for c in self.columns.values()],
            "indexes": [
                {
                    "$id": ix.key,
                    "$createdAt": created_at,
                    "$updatedAt": created_at,
                    "key": ix.key,
                    "description": "",
                    "type": ix.type,
                    "status": "available",
                    "error": "",
                    "columns": list(ix.columns),
                    "lengths": [0 for _ in ix.columns],
                    "orders": list(ix.orders),
                }
                for ix in self.indexes
            ],
            "bytesMax": 0,
            "bytesUsed": 0,
        }


_PERMISSION_RE = re.compile(r'^(\w+)\("(.*)"\)$')


def roles_for(permissions: Iterable[str], action: str) -> frozenset[str]:
    roles: set[str] = set()
    for perm in permissions:
        match = _PERMISSION_RE.match(perm)
        if not match:
            continue
        kind, role = match.group(1), match.group(2)
        if kind == action or (kind == "write" and action in ("create", "update", "delete")):
            roles.add(role)
    return frozenset(roles)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _column(col: Mapping[str, Any]) -> Column:
    elements = col.get("elements")
    return Column(
        key=str(col["key"]),
        type=str(col["type"]),
        required=bool(col.get("required", False)),
        array=bool(col.get("array", False)),
        size=col.get("size"),
        default=col.get("default"),
        min=_number(col.get("min")),
        max=_number(col.get("max")),
        format=col.get("format") or None,
        elements=tuple(elements) if elements is not None else None,
    )


@dataclass
class Schema:
    databases: dict[str, str] = field(default_factory=dict)  # id -> name
    tables: dict[tuple[str, str], TableSchema] = field(default_factory=dict)
    # Databases declared only in appwrite.json's legacy "databases" section: their row writes carry Appwrite's 42
    # legacy event names instead of the 64 of a TablesDB database.
    legacy_databases: frozenset[str] = frozenset()

    @classmethod
    def from_appwrite_json(cls, data: Mapping[str, Any]) -> Schema:
        schema = cls()
        for db in data.get("tablesDB", []) or data.get("databases", []) or []:
            schema.databases[str(db["$id"])] = str(db.get("name", db["$id"]))
        tablesdb_ids = {str(d.get("$id")) for d in data.get("tablesDB", []) or []}
        schema.legacy_databases = frozenset(str(d.get("$id")) for d in data.get("databases", []) or []) - tablesdb_ids
        for raw in data.get("tables", []) or []:
            indexes = tuple(
                Index(
                    key=str(ix["key"]),
                    type=str(ix.get("type", "key")),
                    columns=tuple(ix.get("columns") or ix.get("attributes") or ()),
                    orders=tuple(ix.get("orders") or ()),
                )
                for ix in raw.get("indexes", [])
            )
            table = TableSchema(
                database_id=str(raw["databaseId"]),
                table_id=str(raw["$id"]),
                name=str(raw.get("name", raw["$id"])),
                permissions=tuple(raw.get("$permissions", [])),
                row_security=bool(raw.get("rowSecurity", raw.get("documentSecurity", False))),
                enabled=bool(raw.get("enabled", True)),
                columns={str(col["key"]): _column(col) for col in raw.get("columns", [])},
                indexes=indexes,
            )
            schema.databases.setdefault(table.database_id, table.database_id)
            schema.tables[(table.database_id, table.table_id)] = table
        return schema

    def table(self, database_id: str, table_id: str) -> TableSchema:
        if database_id not in self.databases:
            raise database_not_found(database_id)
        table = self.tables.get((database_id, table_id))
        if table is None:
            raise table_not_found(table_id)
        return table
