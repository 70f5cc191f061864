"""The SQLite file behind the local stack: one connection, one lock, WAL, and one SQLite table per Appwrite table.

Declared indexes become SQLite indexes; unique ones are enforced by SQLite. One connection serves the whole process
behind a lock (the server calls in from a thread pool); writes run in ``BEGIN IMMEDIATE`` transactions and publish
one :class:`~ecotrace_local.events.RowEvent` per written row after the commit. The stores that keep system tables
(users, transactions) create theirs through :meth:`Database.ensure`.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from ..errors import AppwriteError, row_already_exists
from ..events import EventBus, RowEvent
from .codec import decode_row, defaults_for, event_roles, user_values, validate_values
from .schema import Schema, TableSchema, quote_ident
from .timestamps import now_iso

T = TypeVar("T")
log = logging.getLogger(__name__)


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

    def ensure(self, statements: Iterable[str]) -> None:
        """Run idempotent DDL (``CREATE ... IF NOT EXISTS``) in one transaction: a store's system tables."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in statements:
                    self.conn.execute(statement)
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise

    def clear_rows(self) -> None:
        """Empty every table of the schema (no row events): the test harness's reset."""

        def wipe(_: Writer) -> None:
            for table in self.schema.tables.values():
                self.conn.execute(f"DELETE FROM {table.sql_name}")  # noqa: S608 - quoted schema identifier

        self.write(wipe)

    def _migrate(self) -> None:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
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
