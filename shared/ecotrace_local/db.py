"""The SQLite store behind the local stack: one SQLite table per Appwrite table, built from appwrite.json.

Every Appwrite table becomes a real SQLite table with typed columns (arrays as JSON text) plus ``$id``,
``$sequence`` (the rowid), ``$createdAt``, ``$updatedAt`` and ``$permissions``. Declared indexes become SQLite
indexes; unique ones are enforced by SQLite. One connection serves the whole process behind a lock (the server
calls in from a thread pool); writes run in ``BEGIN IMMEDIATE`` transactions and publish one
:class:`~ecotrace_local.events.RowEvent` per written row after the commit.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from .errors import AppwriteError, database_not_found, invalid_structure, row_already_exists, table_not_found
from .events import EventBus, RowEvent

T = TypeVar("T")
log = logging.getLogger(__name__)

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
FLOAT_MAX = 1.7976931348623157e308
INTERNAL_KEYS = ("$id", "$sequence", "$createdAt", "$updatedAt", "$permissions")
# SQLite column names of the internal attributes (quoted everywhere).
SQL_INTERNAL = {"$id": "$id", "$sequence": "$sequence", "$createdAt": "$createdAt", "$updatedAt": "$updatedAt"}


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------------------------- time


def format_datetime(moment: datetime) -> str:
    """Appwrite's wire format ``YYYY-MM-DDTHH:MM:SS.mmm+00:00`` (always UTC)."""
    utc = moment.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}."
        f"{utc.microsecond // 1000:03d}+00:00"
    )


def now_iso() -> str:
    return format_datetime(datetime.now(UTC))


_DATETIME_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:?\d{2}(:\d{2}(\.\d{1,6})?)?)?$"
)


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 date or date-time; a value without an offset is UTC (as Appwrite stores it). None if invalid."""
    if not isinstance(value, str) or not _DATETIME_RE.match(value.strip()):
        return None
    text = value.strip().replace(" ", "T", 1)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def normalize_datetime(value: Any) -> str | None:
    parsed = parse_datetime(value)
    if parsed is None:
        return None
    try:
        return format_datetime(parsed)
    except OverflowError:  # e.g. 0001-01-01T00:00+05:00 is before year 1 in UTC
        return None


# --------------------------------------------------------------------------------------------- schema


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


@dataclass
class Schema:
    databases: dict[str, str] = field(default_factory=dict)  # id -> name
    tables: dict[tuple[str, str], TableSchema] = field(default_factory=dict)

    @classmethod
    def from_appwrite_json(cls, data: Mapping[str, Any]) -> Schema:
        schema = cls()
        for db in data.get("tablesDB", []) or data.get("databases", []) or []:
            schema.databases[str(db["$id"])] = str(db.get("name", db["$id"]))
        for raw in data.get("tables", []) or []:
            columns: dict[str, Column] = {}
            for col in raw.get("columns", []):
                elements = col.get("elements")
                columns[col["key"]] = Column(
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
                columns=columns,
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


# --------------------------------------------------------------------------------------------- validation


def _format_range_number(value: float, is_int: bool) -> str:
    if is_int:
        return f"{int(value):,}"
    if value == int(value) and abs(value) < 1e16:
        return f"{int(value):,}"
    return f"{value:,}"


def _type_description(column: Column) -> str:
    if column.type == "string":
        return f"Value must be a valid string and no longer than {column.size} chars"
    if column.type == "integer":
        return "Value must be a valid integer"
    if column.type == "double":
        return "Value must be a valid float"
    if column.type == "boolean":
        return "Value must be a valid boolean"
    if column.type == "datetime":
        return "Value must be valid date between 0000-01-01 and 9999-12-31."
    return "Value is invalid"


def check_value(column: Column, value: Any, label: str) -> Any:
    """Validate one scalar for ``column``; return its storage form. Raises the Appwrite structure error."""

    def bad(kind: str, description: str) -> AppwriteError:
        return invalid_structure(f'Attribute "{label}" has invalid {kind}. {description}')

    if column.type == "string":
        if column.format == "enum":
            if not isinstance(value, str):
                raise bad("type", "Value must be a valid string and no longer than 0 chars")
            if value not in (column.elements or ()):
                raise bad("format", f"Value must be one of ({', '.join(column.elements or ())})")
            return value
        if not isinstance(value, str) or (column.size is not None and len(value) > column.size):
            raise bad("type", _type_description(column))
        if column.format == "email" and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
            raise bad("format", "Value must be a valid email address")
        if column.format == "url" and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://\S+$", value):
            raise bad("format", "Value must be a valid URL")
        return value
    if column.type in ("integer", "double"):
        is_int = column.type == "integer"
        if isinstance(value, bool) or not isinstance(value, int | float) or (is_int and not isinstance(value, int)):
            raise bad("type", _type_description(column))
        if isinstance(value, float) and not math.isfinite(value):
            raise bad("type", _type_description(column))
        low = column.min if column.min is not None else (INT64_MIN if is_int else -FLOAT_MAX)
        high = column.max if column.max is not None else (INT64_MAX if is_int else FLOAT_MAX)
        if value < low or value > high:
            raise bad(
                "format",
                f"Value must be a valid range between {_format_range_number(low, is_int)} "
                f"and {_format_range_number(high, is_int)}",
            )
        return int(value) if is_int else float(value)
    if column.type == "boolean":
        if not isinstance(value, bool):
            raise bad("type", _type_description(column))
        return 1 if value else 0
    if column.type == "datetime":
        normalized = normalize_datetime(value)
        if normalized is None:
            raise bad("type", _type_description(column))
        return normalized
    raise bad("type", _type_description(column))


def validate_values(table: TableSchema, values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a complete set of user columns (as Appwrite's Structure validator does, in its order) and
    return their SQLite storage form. ``values`` holds every column the row will have (unset = absent/None)."""
    for column in table.columns.values():
        value = values.get(column.key)
        if column.required and value is None:
            raise invalid_structure(f'Missing required attribute "{column.key}"')
    for key in values:
        if key not in table.columns:
            raise invalid_structure(f'Unknown attribute: "{key}"')
    stored: dict[str, Any] = {}
    for column in table.columns.values():
        value = values.get(column.key)
        if value is None:
            stored[column.key] = None if not column.array else "[]"
            continue
        if column.array:
            if not isinstance(value, list):
                raise invalid_structure(f'Attribute "{column.key}" must be an array')
            items = [check_value(column, item, f"{column.key}['{i}']") for i, item in enumerate(value)]
            if column.type == "boolean":
                items = [bool(item) for item in items]
            stored[column.key] = json.dumps(items)
        else:
            stored[column.key] = check_value(column, value, column.key)
    return stored


def defaults_for(table: TableSchema) -> dict[str, Any]:
    return {c.key: c.default for c in table.columns.values() if c.default is not None}


def decode_row(table: TableSchema, record: sqlite3.Row) -> dict[str, Any]:
    """A SQLite record -> the row JSON exactly as the REST API returns it."""
    out: dict[str, Any] = {}
    for column in table.columns.values():
        raw = record[column.key]
        if column.array:
            out[column.key] = json.loads(raw) if raw else []
        elif raw is None:
            out[column.key] = None
        elif column.type == "boolean":
            out[column.key] = bool(raw)
        elif column.type == "double":
            out[column.key] = float(raw)
        else:
            out[column.key] = raw
    out["$id"] = record["$id"]
    out["$sequence"] = str(record["$sequence"])
    out["$createdAt"] = record["$createdAt"]
    out["$updatedAt"] = record["$updatedAt"]
    out["$permissions"] = json.loads(record["$permissions"] or "[]")
    out["$databaseId"] = table.database_id
    out["$tableId"] = table.table_id
    return out


def user_values(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith("$")}


def event_roles(table: TableSchema, row: Mapping[str, Any]) -> frozenset[str]:
    roles = set(table.roles_for("read"))
    if table.row_security:
        roles |= roles_for(row.get("$permissions", []), "read")
    return frozenset(roles)


# --------------------------------------------------------------------------------------------- store


class UniqueViolation(AppwriteError):
    def __init__(self) -> None:
        super().__init__(
            409, "row_unique_constraint_violation", "Row with the requested unique attributes already exists."
        )


class Writer:
    """Row operations inside one open SQLite transaction. Raises AppwriteError; the caller rolls back."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.events: list[RowEvent] = []

    # reads
    def get(self, table: TableSchema, row_id: str) -> dict[str, Any] | None:
        record = self.conn.execute(f'SELECT * FROM {table.sql_name} WHERE "$id" = ?', (row_id,)).fetchone()  # noqa: S608 - identifiers are schema-checked and quoted; values are bound
        return None if record is None else decode_row(table, record)

    def query(self, table: TableSchema, where_sql: str, params: list[Any], tail_sql: str = "") -> list[dict[str, Any]]:
        sql = f"SELECT * FROM {table.sql_name} WHERE {where_sql} {tail_sql}"  # noqa: S608 - identifiers are schema-checked and quoted; values are bound
        return [decode_row(table, r) for r in self.conn.execute(sql, params).fetchall()]

    def count(self, table: TableSchema, where_sql: str, params: list[Any], cap: int) -> int:
        sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM {table.sql_name} WHERE {where_sql} LIMIT {int(cap)})"  # noqa: S608 - identifiers are schema-checked and quoted; values are bound
        return int(self.conn.execute(sql, params).fetchone()[0])

    # writes
    def _event(self, table: TableSchema, row: dict[str, Any], action: str) -> None:
        self.events.append(
            RowEvent(
                database_id=table.database_id,
                table_id=table.table_id,
                row_id=row["$id"],
                action=action,
                row=row,
                read_roles=event_roles(table, row),
                timestamp=datetime.now(UTC),
            )
        )

    def insert(
        self,
        table: TableSchema,
        row_id: str,
        values: Mapping[str, Any],
        permissions: list[str],
        *,
        created_at: str | None = None,
        updated_at: str | None = None,
        action: str = "create",
    ) -> dict[str, Any]:
        """Create a row from user column values (defaults applied, validated)."""
        merged = defaults_for(table)
        for key, value in values.items():
            if value is not None or key not in merged:  # null takes the column default, as on Appwrite
                merged[key] = value
        stored = validate_values(table, merged)
        if self.get(table, row_id) is not None:
            raise row_already_exists(row_id)
        stamp = now_iso()
        cols = ["$id", "$createdAt", "$updatedAt", "$permissions", *stored.keys()]
        params = [row_id, created_at or stamp, updated_at or created_at or stamp, json.dumps(permissions)]
        params.extend(stored.values())
        names = ", ".join(quote_ident(c) for c in cols)
        marks = ", ".join("?" for _ in cols)
        sql = f"INSERT INTO {table.sql_name} ({names}) VALUES ({marks})"  # noqa: S608 - quoted identifiers, bound values
        self._execute(sql, params)
        row = self.get(table, row_id)
        assert row is not None
        self._event(table, row, action)
        return row

    def replace(
        self,
        table: TableSchema,
        existing: Mapping[str, Any],
        values: Mapping[str, Any],
        permissions: list[str] | None,
        *,
        action: str = "update",
        updated_at: str | None = None,
        created_at: str | None = None,
    ) -> dict[str, Any]:
        """Merge ``values`` (partial user columns) into ``existing`` and write it."""
        merged = {**user_values(existing), **values}
        stored = validate_values(table, merged)
        perms = list(existing["$permissions"]) if permissions is None else permissions
        assignments = ['"$updatedAt" = ?', '"$permissions" = ?', *(f"{quote_ident(k)} = ?" for k in stored)]
        params: list[Any] = [updated_at or now_iso(), json.dumps(perms), *stored.values()]
        if created_at:
            assignments.append('"$createdAt" = ?')
            params.append(created_at)
        params.append(existing["$id"])
        self._execute(f'UPDATE {table.sql_name} SET {", ".join(assignments)} WHERE "$id" = ?', params)  # noqa: S608 - identifiers are schema-checked and quoted; values are bound
        row = self.get(table, existing["$id"])
        assert row is not None
        self._event(table, row, action)
        return row

    def set_number(self, table: TableSchema, existing: Mapping[str, Any], column: str, value: float) -> dict[str, Any]:
        self._execute(
            f'UPDATE {table.sql_name} SET {quote_ident(column)} = ?, "$updatedAt" = ? WHERE "$id" = ?',  # noqa: S608 - identifiers are schema-checked and quoted; values are bound
            [value, now_iso(), existing["$id"]],
        )
        row = self.get(table, existing["$id"])
        assert row is not None
        self._event(table, row, "update")
        return row

    def delete(self, table: TableSchema, existing: Mapping[str, Any]) -> None:
        self._execute(f'DELETE FROM {table.sql_name} WHERE "$id" = ?', [existing["$id"]])  # noqa: S608 - identifiers are schema-checked and quoted; values are bound
        self._event(table, dict(existing), "delete")

    def _execute(self, sql: str, params: list[Any]) -> None:
        try:
            self.conn.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise UniqueViolation() from exc
            raise


class Database:
    """The SQLite file. ``read``/``write``/``simulate`` run a callable under the process-wide lock."""

    def __init__(self, path: Path, schema: Schema, bus: EventBus) -> None:
        self.path = path
        self.schema = schema
        self.bus = bus
        self.created_at = now_iso()
        self._lock = threading.RLock()
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10.0)
        self.conn.row_factory = sqlite3.Row
        with self._lock:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def _migrate(self) -> None:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS _users (id TEXT PRIMARY KEY, email TEXT, name TEXT NOT NULL DEFAULT '', "
                "phone TEXT NOT NULL DEFAULT '', labels TEXT NOT NULL DEFAULT '[]', "
                "email_verification INTEGER NOT NULL DEFAULT 0, status INTEGER NOT NULL DEFAULT 1, "
                "created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
            )
            conn.execute("CREATE UNIQUE INDEX IF NOT EXISTS _users_email ON _users(email)")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS _transactions (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, "
                "updated_at TEXT NOT NULL, status TEXT NOT NULL, expires_at TEXT NOT NULL, "
                "permissions TEXT NOT NULL, operations TEXT NOT NULL DEFAULT '[]')"
            )
            row = conn.execute("SELECT value FROM _meta WHERE key = 'created_at'").fetchone()
            if row is None:
                conn.execute("INSERT INTO _meta(key, value) VALUES ('created_at', ?)", (self.created_at,))
            else:
                self.created_at = str(row["value"])
            for table in self.schema.tables.values():
                self._migrate_table(table)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _migrate_table(self, table: TableSchema) -> None:
        conn = self.conn
        user_cols = [f"{quote_ident(c.key)} {c.sql_type}" for c in table.columns.values()]
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {table.sql_name} ("
            '"$sequence" INTEGER PRIMARY KEY AUTOINCREMENT, "$id" TEXT NOT NULL UNIQUE, '
            '"$createdAt" TEXT NOT NULL, "$updatedAt" TEXT NOT NULL, "$permissions" TEXT NOT NULL DEFAULT \'[]\''
            + "".join(f", {c}" for c in user_cols)
            + ")"
        )
        existing = {r["name"] for r in conn.execute(f"PRAGMA table_info({table.sql_name})").fetchall()}
        for column in table.columns.values():
            if column.key not in existing:
                default = " DEFAULT '[]'" if column.array else ""
                conn.execute(
                    f"ALTER TABLE {table.sql_name} ADD COLUMN {quote_ident(column.key)} {column.sql_type}{default}"
                )
                stored_default = None
                if column.default is not None:
                    stored_default = validate_values(
                        TableSchema(table.database_id, table.table_id, "", (), False, True, {column.key: column}, ()),
                        {column.key: column.default},
                    )[column.key]
                if stored_default is not None:
                    conn.execute(f"UPDATE {table.sql_name} SET {quote_ident(column.key)} = ?", (stored_default,))  # noqa: S608 - identifiers are schema-checked and quoted; values are bound
        self._sync_indexes(table)

    def _sync_indexes(self, table: TableSchema) -> None:
        """Make the SQLite indexes match the declared ones: create new, rebuild changed, drop undeclared."""
        conn = self.conn
        prefix = f"ix__{table.database_id}__{table.table_id}__"
        wanted: dict[str, str] = {}
        for index in table.indexes:
            if index.type not in ("key", "unique") or not index.columns:
                continue  # fulltext: queries scan instead
            unique = "UNIQUE " if index.type == "unique" else ""
            parts = []
            for i, col in enumerate(index.columns):
                order = index.orders[i] if i < len(index.orders) else "ASC"
                parts.append(f"{quote_ident(col)} {'DESC' if str(order).upper() == 'DESC' else 'ASC'}")
            name = prefix + index.key
            wanted[name] = f"CREATE {unique}INDEX {quote_ident(name)} ON {table.sql_name} ({', '.join(parts)})"
        existing = {
            str(r["name"]): str(r["sql"])
            for r in conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                (table.sql_name.strip('"').replace('""', '"'),),
            ).fetchall()
            if str(r["name"]).startswith(prefix)
        }
        for name, sql in existing.items():
            if wanted.get(name) != sql:
                conn.execute(f"DROP INDEX {quote_ident(name)}")
        for name, sql in wanted.items():
            if existing.get(name) == sql:
                continue
            try:
                conn.execute(sql)
            except sqlite3.IntegrityError as exc:
                raise RuntimeError(
                    f"cannot create unique index {name.removeprefix(prefix)!r} on table {table.table_id!r}: "
                    f"rows already in {self.path} break it ({exc})"
                ) from exc

    def read(self, fn: Callable[[Writer], T]) -> T:
        with self._lock:
            return fn(Writer(self.conn))

    def write(self, fn: Callable[[Writer], T]) -> T:
        """Run ``fn`` in one SQLite transaction; publish its row events after the commit."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            writer = Writer(self.conn)
            try:
                result = fn(writer)
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:  # also when COMMIT itself failed (e.g. busy, disk full)
                    self.conn.execute("ROLLBACK")
                raise
        for event in writer.events:
            try:
                self.bus.publish(event)
            except Exception:  # a subscriber's bug must not turn a committed write into an error
                log.exception("row event subscriber failed for %s/%s", event.table_id, event.row_id)
        return result

    def simulate(self, stage: Callable[[Writer], None], read: Callable[[Writer], T]) -> T:
        """Apply ``stage`` (uncommitted transaction operations), run ``read`` on that state, roll back."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                writer = Writer(self.conn)
                stage(writer)
                return read(writer)
            finally:
                self.conn.execute("ROLLBACK")
