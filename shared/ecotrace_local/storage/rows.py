"""The rows of the project's tables: every read and write the TablesDB API makes, each in one SQLite transaction
(reads with ``transaction_id`` see that transaction's staged operations, then roll back)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import row_not_found
from .access import Caller, row_allows
from .database import Database, Writer
from .queries import DEFAULT_LIMIT, ParsedQueries, apply_select
from .rowops import (
    op_bulk_create,
    op_bulk_delete,
    op_bulk_update,
    op_bulk_upsert,
    op_create,
    op_delete,
    op_increment,
    op_update,
    op_upsert,
)
from .schema import Schema, TableSchema
from .select import page, read_filter
from .transactions import Transactions

T = TypeVar("T")


class Rows:
    def __init__(self, db: Database, transactions: Transactions) -> None:
        self._db = db
        self._transactions = transactions

    @property
    def schema(self) -> Schema:
        return self._db.schema

    @property
    def created_at(self) -> str:
        """When the database file was created (the ``$createdAt`` of its databases and tables)."""
        return self._db.created_at

    def _read(self, caller: Caller, transaction_id: Any, fn: Callable[[Writer], T]) -> T:
        if transaction_id:
            return self._db.simulate(self._transactions.staged_state(caller, transaction_id), fn)
        return self._db.read(fn)

    # ---- reads

    def list_rows(
        self, table: TableSchema, caller: Caller, parsed: ParsedQueries, *, want_total: bool, transaction_id: Any = None
    ) -> dict[str, Any]:
        """``{"total", "rows"}``: the rows ``caller`` may read that match ``parsed``."""
        read_filter(caller, table)  # 401 before any work when the caller cannot list at all

        def read(w: Writer) -> dict[str, Any]:
            total, rows = page(w, table, caller, parsed, default_limit=DEFAULT_LIMIT, want_total=want_total)
            return {"total": total, "rows": rows}

        return self._read(caller, transaction_id, read)

    def get(
        self,
        table: TableSchema,
        caller: Caller,
        row_id: str,
        selects: list[str] | None = None,
        *,
        transaction_id: Any = None,
    ) -> dict[str, Any]:
        """The row, if ``caller`` may read it (else 404, as for a row that does not exist)."""

        def read(w: Writer) -> dict[str, Any]:
            row = w.get(table, row_id)
            if row is None or not row_allows(caller, table, row, "read"):
                raise row_not_found(row_id)
            return apply_select(row, selects)

        return self._read(caller, transaction_id, read)

    def find_staged(
        self, table: TableSchema, caller: Caller, row_id: str, transaction_id: Any
    ) -> dict[str, Any] | None:
        """The row as transaction ``transaction_id`` would leave it, or None (no permission check: the answer to
        staging an update)."""
        return self._read(caller, transaction_id, lambda w: w.get(table, row_id))

    # ---- writes

    def create(
        self, table: TableSchema, caller: Caller, row_id: str, data: Any, permissions: Any = None
    ) -> dict[str, Any]:
        return self._db.write(lambda w: op_create(w, table, caller, row_id, data, permissions))

    def update(
        self,
        table: TableSchema,
        caller: Caller,
        row_id: str,
        data: Any,
        permissions: Any = None,
        *,
        if_unmodified_since: str | None = None,
    ) -> dict[str, Any]:
        return self._db.write(
            lambda w: op_update(w, table, caller, row_id, data, permissions, if_unmodified_since=if_unmodified_since)
        )

    def upsert(
        self,
        table: TableSchema,
        caller: Caller,
        row_id: str,
        data: Any,
        permissions: Any = None,
        *,
        if_unmodified_since: str | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """(the row, whether it was created)."""
        return self._db.write(
            lambda w: op_upsert(w, table, caller, row_id, data, permissions, if_unmodified_since=if_unmodified_since)
        )

    def delete(
        self, table: TableSchema, caller: Caller, row_id: str, *, if_unmodified_since: str | None = None
    ) -> dict[str, Any]:
        return self._db.write(lambda w: op_delete(w, table, caller, row_id, if_unmodified_since=if_unmodified_since))

    def increment(
        self,
        table: TableSchema,
        caller: Caller,
        row_id: str,
        column: str,
        value: Any,
        limit: Any,
        *,
        sign: int,
        if_unmodified_since: str | None = None,
    ) -> dict[str, Any]:
        """Add ``sign * value`` to a numeric column, bounded by ``limit`` (a max when incrementing, a min else)."""
        return self._db.write(
            lambda w: op_increment(
                w, table, caller, row_id, column, value, limit, sign=sign, if_unmodified_since=if_unmodified_since
            )
        )

    def bulk_create(self, table: TableSchema, caller: Caller, rows: Any) -> list[dict[str, Any]]:
        return self._db.write(lambda w: op_bulk_create(w, table, caller, rows))

    def bulk_upsert(self, table: TableSchema, caller: Caller, rows: Any) -> list[dict[str, Any]]:
        return self._db.write(lambda w: op_bulk_upsert(w, table, caller, rows))

    def bulk_update(self, table: TableSchema, caller: Caller, data: Any, queries: Any) -> list[dict[str, Any]]:
        return self._db.write(lambda w: op_bulk_update(w, table, caller, data, queries))

    def bulk_delete(self, table: TableSchema, caller: Caller, queries: Any) -> list[dict[str, Any]]:
        return self._db.write(lambda w: op_bulk_delete(w, table, caller, queries))
