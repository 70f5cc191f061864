"""A bounded table in a private in-memory SQLite database, for records that are logs rather than data (function
executions): kept while the stack runs, newest ``max_rows`` only, forgotten at a restart, and listed through the
same queries, permissions and paging as the project's tables."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any, TypeVar

from ..events import EventBus
from .access import PROJECT_KEY, Caller, row_allows
from .codec import validate_values
from .database import Database, Writer
from .queries import DEFAULT_LIMIT, parse_queries
from .schema import Schema, TableSchema, quote_ident
from .select import page

T = TypeVar("T")
_EMPTY_PAGE: tuple[int, list[dict[str, Any]]] = (0, [])


class MemoryTable:
    def __init__(self, table: TableSchema, *, max_rows: int) -> None:
        self.table = table
        self.max_rows = max_rows
        schema = Schema(
            databases={table.database_id: table.database_id}, tables={(table.database_id, table.table_id): table}
        )
        self._db = Database(Path(":memory:"), schema, EventBus())  # a bus nobody listens to: no row events
        self._closed = False
        names = ["$id", "$createdAt", "$updatedAt", "$permissions", *table.columns]
        self._insert_sql = (
            f"INSERT INTO {table.sql_name} ({', '.join(quote_ident(n) for n in names)}) "  # noqa: S608 - quoted schema identifiers, bound values
            f'VALUES ({", ".join("?" for _ in names)}) ON CONFLICT("$id") DO NOTHING'
        )
        self._update_sql = (
            f"UPDATE {table.sql_name} SET {', '.join(f'{quote_ident(n)} = ?' for n in names[1:])} "  # noqa: S608 - quoted schema identifiers, bound values
            'WHERE "$id" = ?'
        )
        # The ? oldest rows ("$sequence" has gaps: an upsert that updates still takes a number).
        self._trim_sql = (
            f'DELETE FROM {table.sql_name} WHERE "$sequence" IN (SELECT "$sequence" FROM {table.sql_name} '  # noqa: S608 - quoted schema identifier
            'ORDER BY "$sequence" LIMIT ?)'
        )
        self._rows = 0  # how many rows the table holds (kept under the database's lock)

    def put(
        self, row_id: str, values: Mapping[str, Any], permissions: list[str], *, created_at: str, updated_at: str
    ) -> None:
        """Insert the row, or replace the one with this id (which keeps its place in the default order); drop the
        oldest rows beyond ``max_rows``. ``values`` are validated as a row's; no row event is published. Nothing
        happens once the table is closed."""
        stored = validate_values(self.table, values)  # every column, in the table's order
        params = [row_id, created_at, updated_at, json.dumps(permissions), *stored.values()]

        def write(w: Writer) -> None:
            if w.conn.execute(self._insert_sql, params).rowcount == 0:  # already there: a new state
                w.conn.execute(self._update_sql, [*params[1:], row_id])
                return
            self._rows += 1
            if self._rows > self.max_rows:
                w.conn.execute(self._trim_sql, (self._rows - self.max_rows,))
                self._rows = self.max_rows

        self._guarded(lambda: self._db.write(write), None)

    def get(self, row_id: str) -> dict[str, Any] | None:
        return self._guarded(lambda: self._db.read(lambda w: w.get(self.table, row_id)), None)

    def readable(self, caller: Caller, row_id: str) -> dict[str, Any] | None:
        """The row, if ``caller`` may read it (the same rule as for the project's rows)."""
        row = self.get(row_id)
        return row if row is not None and row_allows(caller, self.table, row, "read") else None

    def select(
        self,
        caller: Caller,
        queries: Any = None,
        *,
        where: Mapping[str, Any] | None = None,
        queryable: Collection[str] | None = None,
        default_limit: int | None = DEFAULT_LIMIT,
        want_total: bool = True,
    ) -> tuple[int, list[dict[str, Any]]]:
        """(total, page) of the rows ``caller`` may read that match the caller's ``queries`` (naming only
        ``queryable`` attributes) and the store's own ``where`` equalities."""
        parsed = parse_queries(queries, self.table, queryable=queryable)
        parsed.filters = [
            *({"method": "equal", "attribute": k, "values": [v]} for k, v in (where or {}).items()),
            *parsed.filters,
        ]
        return self._guarded(
            lambda: self._db.read(
                lambda w: page(w, self.table, caller, parsed, default_limit=default_limit, want_total=want_total)
            ),
            _EMPTY_PAGE,
        )

    def rows(self, **where: Any) -> list[dict[str, Any]]:
        """Every row whose columns equal ``where``, oldest first."""
        return self.select(PROJECT_KEY, where=where, default_limit=None, want_total=False)[1]

    def _guarded(self, fn: Callable[[], T], closed: T) -> T:
        """``fn()``, or ``closed`` once the table is closed (also when it closes while ``fn`` waits)."""
        if self._closed:
            return closed
        try:
            return fn()
        except sqlite3.ProgrammingError:
            if self._closed:
                return closed
            raise

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._db.close()
