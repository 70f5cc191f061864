"""The storage port. Services talk to tables only through :class:`Store`.

Rows are plain dicts in Appwrite's JSON shape (``$id``, ``$permissions``, ``$createdAt`` ... plus the
columns). Queries are Appwrite query strings, built with ``appwrite.query.Query``. Public methods hold
the rules (row-id validation, batching, pagination); adapters fill in a few small primitives.

A write that pure code decides on is a value (:class:`Create`, :class:`Update`, :class:`Upsert`,
:class:`Increment`, :class:`Delete`, :class:`BulkCreate`, :class:`BulkUpsert`): a plan can be built and compared in a
test without a store, then staged into a :class:`Transaction` with ``tx.stage(*writes)``.

Update operators. Appwrite reads a string value shaped like its operator JSON (``{"method":"increment",...}``) as an
atomic operator: on update, upsert and bulk update, and inside a transaction on every action, ``create`` and
``bulkCreate`` included (appwrite/appwrite ``Databases/Transactions/Update.php`` runs ``parseOperators`` on each
staged operation's data; a create then fails on the operator object). So the one way EcoTrace sends an operator is
an :class:`Add` value (``{"carbon_kg": Add(0.002)}``), which becomes the operator JSON here; a string that Appwrite
would read as an operator (:func:`operator_shaped`) is refused wherever it would be read as one
(:class:`OperatorTextError`). The row codec (``ecotrace.tables.text``) stores user text so that it never is.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from appwrite.query import Query

from ..errors import LimitReachedError, NotFoundError, ValidationError
from .operators import OPERATOR_METHODS as OPERATOR_METHODS
from .operators import Add as Add
from .operators import OperatorTextError as OperatorTextError
from .operators import operator_shaped as operator_shaped
from .operators import wire_data

Row = dict[str, Any]

DATABASE_ID = "ecotrace-main"
MAX_BATCH = 100  # rows per bulk request and operations per transaction (self-hosted Appwrite limit)
ROW_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,35}$")


_NOT_FILTERS = frozenset(
    {"limit", "offset", "cursorAfter", "cursorBefore", "orderAsc", "orderDesc", "orderRandom", "select"}
)
MAX_BULK_LIMIT = 1000  # rows one bulk delete or update may touch (a bound per request, well inside 30 s)


def _method(query: str) -> str:
    try:
        parsed = json.loads(query)
    except json.JSONDecodeError:
        return ""
    return str(parsed.get("method", "")) if isinstance(parsed, dict) else ""


def _filtered(queries: Sequence[str], what: str) -> list[str]:
    """The queries, refused unless at least one of them filters rows (a bulk write without one hits them all)."""
    given = list(queries)
    if not any(_method(q) and _method(q) not in _NOT_FILTERS for q in given):
        raise ValidationError(f"a bulk {what} needs a filter query: without one Appwrite would {what} every row")
    return given


def _bulk_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_BULK_LIMIT:
        raise ValidationError(f"a bulk write touches 1..{MAX_BULK_LIMIT} rows, not {limit}")
    return limit


def check_row_id(row_id: str) -> str:
    if not ROW_ID.match(row_id):
        raise ValidationError(f"invalid row id {row_id!r}: at most 36 chars of a-z A-Z 0-9 . - _")
    return row_id


@dataclass(frozen=True)
class Create:
    table: str
    row_id: str
    data: Row

    def stage(self, tx: Transaction) -> None:
        tx.create(self.table, self.row_id, self.data)


@dataclass(frozen=True)
class Update:
    table: str
    row_id: str
    data: Row

    def stage(self, tx: Transaction) -> None:
        tx.update(self.table, self.row_id, self.data)


@dataclass(frozen=True)
class Upsert:
    table: str
    row_id: str
    data: Row

    def stage(self, tx: Transaction) -> None:
        tx.upsert(self.table, self.row_id, self.data)


@dataclass(frozen=True)
class Increment:
    """Add ``value`` to ``column`` (negative: subtract; zero stages nothing)."""

    table: str
    row_id: str
    column: str
    value: float

    def stage(self, tx: Transaction) -> None:
        tx.increment(self.table, self.row_id, self.column, self.value)


@dataclass(frozen=True)
class Delete:
    table: str
    row_id: str

    def stage(self, tx: Transaction) -> None:
        tx.delete(self.table, self.row_id)


@dataclass(frozen=True)
class BulkCreate:
    table: str
    rows: tuple[Row, ...]  # each with its ``$id``

    def stage(self, tx: Transaction) -> None:
        tx.bulk_create(self.table, self.rows)


@dataclass(frozen=True)
class BulkUpsert:
    table: str
    rows: tuple[Row, ...]  # each with its ``$id``

    def stage(self, tx: Transaction) -> None:
        tx.bulk_upsert(self.table, self.rows)


Write = Create | Update | Upsert | Increment | Delete | BulkCreate | BulkUpsert


class Transaction:
    """Operations staged for one atomic commit (Appwrite TablesDB transactions).

    Use as a context manager: the operations are committed on a clean exit and discarded when the block
    raises. Nothing is sent before the commit, so a failure anywhere leaves nothing half-written.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self.operations: list[dict[str, Any]] = []
        self.committed = False

    def _op(self, action: str, table: str, row_id: str | None, data: Any) -> None:
        op: dict[str, Any] = {"action": action, "databaseId": self._store.database_id, "tableId": table}
        if row_id is not None:
            op["rowId"] = check_row_id(row_id)
        if isinstance(data, dict) and action not in ("increment", "decrement"):
            data = wire_data(data, f"{action} {table}/{row_id}")
        elif isinstance(data, list):
            data = [wire_data(row, f"{action} {table}") for row in data]
        if data is not None:
            op["data"] = data
        self.operations.append(op)

    def create(self, table: str, row_id: str, data: Row) -> None:
        self._op("create", table, row_id, data)

    def upsert(self, table: str, row_id: str, data: Row) -> None:
        self._op("upsert", table, row_id, data)

    def update(self, table: str, row_id: str, data: Row) -> None:
        self._op("update", table, row_id, data)

    def delete(self, table: str, row_id: str) -> None:
        self._op("delete", table, row_id, None)

    def increment(self, table: str, row_id: str, column: str, value: float) -> None:
        if value < 0:
            self._op("decrement", table, row_id, {"column": column, "value": -value})
        elif value > 0:
            self._op("increment", table, row_id, {"column": column, "value": value})

    def bulk_create(self, table: str, rows: Sequence[Row]) -> None:
        for i in range(0, len(rows), MAX_BATCH):
            for row in rows[i : i + MAX_BATCH]:
                check_row_id(str(row.get("$id", "")))
            self._op("bulkCreate", table, None, list(rows[i : i + MAX_BATCH]))

    def bulk_upsert(self, table: str, rows: Sequence[Row]) -> None:
        for i in range(0, len(rows), MAX_BATCH):
            for row in rows[i : i + MAX_BATCH]:
                check_row_id(str(row.get("$id", "")))
            self._op("bulkUpsert", table, None, list(rows[i : i + MAX_BATCH]))

    def stage(self, *writes: Write) -> None:
        """Stage writes decided elsewhere (a plan), in order."""
        for write in writes:
            write.stage(self)

    def commit(self) -> None:
        if self.operations and not self.committed:
            self._store._commit(self.operations)
        self.committed = True

    def __enter__(self) -> Transaction:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.commit()


class Store(ABC):
    """Tables of one database. Adapters: ``AppwriteStore`` (production and the local stack)."""

    database_id: str = DATABASE_ID

    # ---- primitives the adapters fill in -------------------------------------------------------
    @abstractmethod
    def _get(self, table: str, row_id: str) -> Row | None: ...

    @abstractmethod
    def _list(self, table: str, queries: list[str]) -> list[Row]: ...

    @abstractmethod
    def _create(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        """Create one row; raise ConflictError when the id exists."""

    @abstractmethod
    def _upsert(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row: ...

    @abstractmethod
    def _update(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row: ...

    @abstractmethod
    def _delete(self, table: str, row_id: str) -> None: ...

    @abstractmethod
    def _bulk(self, action: str, table: str, rows: list[Row]) -> list[Row]:
        """``action`` is ``create`` or ``upsert``; at most MAX_BATCH rows; atomic."""

    @abstractmethod
    def _increment(self, table: str, row_id: str, column: str, value: float) -> Row: ...

    @abstractmethod
    def _commit(self, operations: list[dict[str, Any]]) -> None:
        """Run the operations atomically (one Appwrite transaction, or several of at most 100)."""

    # ---- primitives with a default built from the ones above (adapters override them with one request) ----
    def _increment_bounded(self, table: str, row_id: str, column: str, value: float, bound: float) -> Row:
        """Add ``value`` unless the result would pass ``bound`` (LimitReachedError). The default reads and then
        writes, so it is atomic only under the caller's own lock: adapters send Appwrite's bounded increment."""
        row = self._get(table, row_id)
        if row is None:
            raise NotFoundError(f"increment {table}/{row_id}: no such row")
        if float(row.get(column) or 0) + value > bound:
            raise LimitReachedError(f"{table}/{row_id}.{column} has reached the maximum value of {bound:g}")
        return self._increment(table, row_id, column, value)

    def _delete_where(self, table: str, queries: list[str]) -> int:
        """Delete the rows the queries select (they include a limit); returns how many."""
        rows = self._list(table, [*queries, Query.select(["$id"])])
        for row in rows:
            self._delete(table, str(row["$id"]))
        return len(rows)

    def _update_where(self, table: str, data: Row, queries: list[str]) -> int:
        """Set ``data`` on the rows the queries select (they include a limit); returns how many."""
        rows = self._list(table, [*queries, Query.select(["$id"])])
        for row in rows:
            self._update(table, str(row["$id"]), data, None)
        return len(rows)

    # ---- the public API -----------------------------------------------------------------------
    def get(self, table: str, row_id: str) -> Row | None:
        return self._get(table, check_row_id(row_id))

    def find(self, table: str, queries: Sequence[str] = ()) -> list[Row]:
        """One page (Appwrite's default limit is 25: pass ``Query.limit``)."""
        return self._list(table, list(queries))

    def iterate(self, table: str, queries: Sequence[str] = (), page_size: int = 100) -> Iterator[Row]:
        """Every matching row, by cursor pagination (ordered by ``$id`` unless an order is given)."""
        cursor: str | None = None
        while True:
            page_q = [*queries, Query.limit(page_size)]
            if cursor is not None:
                page_q.append(Query.cursor_after(cursor))
            rows = self._list(table, page_q)
            yield from rows
            if len(rows) < page_size:
                return
            cursor = str(rows[-1]["$id"])

    def get_many(self, table: str, row_ids: Sequence[str]) -> dict[str, Row]:
        """Rows by id, in as few requests as Appwrite allows (100 ids per request)."""
        found: dict[str, Row] = {}
        ids = [check_row_id(r) for r in dict.fromkeys(row_ids)]
        for i in range(0, len(ids), MAX_BATCH):
            chunk = ids[i : i + MAX_BATCH]
            for row in self._list(table, [Query.equal("$id", chunk), Query.limit(len(chunk))]):
                found[str(row["$id"])] = row
        return found

    def create(self, table: str, row_id: str, data: Row, permissions: list[str] | None = None) -> Row:
        return self._create(table, check_row_id(row_id), data, permissions)

    def upsert(self, table: str, row_id: str, data: Row, permissions: list[str] | None = None) -> Row:
        return self._upsert(table, check_row_id(row_id), wire_data(data, f"upsert {table}/{row_id}"), permissions)

    def update(self, table: str, row_id: str, data: Row, permissions: list[str] | None = None) -> Row:
        return self._update(table, check_row_id(row_id), wire_data(data, f"update {table}/{row_id}"), permissions)

    def delete(self, table: str, row_id: str) -> None:
        self._delete(table, check_row_id(row_id))

    def bulk_create(self, table: str, rows: Sequence[Row]) -> list[Row]:
        return self._bulk_chunks("create", table, rows)

    def bulk_upsert(self, table: str, rows: Sequence[Row]) -> list[Row]:
        return self._bulk_chunks("upsert", table, [wire_data(row, f"bulk upsert {table}") for row in rows])

    def increment(self, table: str, row_id: str, column: str, value: float = 1, *, bound: float | None = None) -> Row:
        """Add ``value`` (negative: subtract) atomically; adding 0 changes nothing and sends no write (Appwrite
        refuses a zero increment). With ``bound``, a positive ``value`` is added only if the result stays at or
        below it, else LimitReachedError and nothing changes (Appwrite's ``max``). A missing row: NotFoundError."""
        if value == 0:
            row = self._get(table, check_row_id(row_id))
            if row is None:
                raise NotFoundError(f"increment {table}/{row_id}: no such row")
            return row
        if bound is not None:
            if value < 0:
                raise ValidationError("a bound applies to positive increments only")
            return self._increment_bounded(table, check_row_id(row_id), column, value, bound)
        return self._increment(table, check_row_id(row_id), column, value)

    def delete_where(self, table: str, queries: Sequence[str], *, limit: int = MAX_BATCH) -> int:
        """Delete at most ``limit`` rows the queries select; returns how many. Appwrite deletes EVERY row of a
        table when a bulk delete has no filter, so a query list without one is refused here."""
        return self._delete_where(table, [*_filtered(queries, "delete"), Query.limit(_bulk_limit(limit))])

    def update_where(self, table: str, data: Row, queries: Sequence[str], *, limit: int = MAX_BATCH) -> int:
        """Set ``data`` on at most ``limit`` rows the queries select; returns how many (no filter: refused)."""
        if not data:
            raise ValidationError("update_where needs the columns to set")
        queries = [*_filtered(queries, "update"), Query.limit(_bulk_limit(limit))]
        return self._update_where(table, wire_data(data, f"bulk update {table}"), queries)

    def transaction(self) -> Transaction:
        return Transaction(self)

    def _bulk_chunks(self, action: str, table: str, rows: Sequence[Row]) -> list[Row]:
        out: list[Row] = []
        for i in range(0, len(rows), MAX_BATCH):
            chunk = list(rows[i : i + MAX_BATCH])
            for row in chunk:
                check_row_id(str(row.get("$id", "")))
            out.extend(self._bulk(action, table, chunk))
        return out
