"""The in-memory :class:`ecotrace.ports.Store` for service tests: it keeps state and Appwrite's contract.

It stands where ``AppwriteStore`` stands (the primitives), so the port's own rules run unchanged in front of it.
What it enforces, as Appwrite does (TablesDB REST semantics):

- row ids: at most 36 characters of ``a-z A-Z 0-9 . - _``, not starting with a special character (400);
- the schema in ``schema/tables.json`` (pass ``schema=None`` to skip): unknown tables (404) and columns, missing
  required columns on create, wrong types, over-long strings, values outside an enum or a column's min/max,
  unreadable datetimes, arrays (400);
- update operators (``ecotrace.ports.operator_shaped`` strings, as ``ports.Add`` sends them): ``increment`` and
  ``decrement`` are applied in updates and upserts (to the column default where the upsert creates the row); any
  other operator is refused (400); inside a transaction an operator in a created row fails the commit, as the
  operator object does in Appwrite's create (a direct create stores the string as it is);
- 409 ``ConflictError`` on creating an existing id; 404 ``NotFoundError`` on updating, incrementing or deleting
  a missing row; 400 on an update with neither data nor permissions; at most ``MAX_BATCH`` rows per bulk request;
  ``$permissions`` given in data or as the argument are stored, ``None`` keeps the row's own;
- transactions as the adapter sends them, three requests (``tx_create``, ``tx_stage``, ``tx_commit`` on
  ``transactions``): every operation is applied to a copy that replaces the tables only if all succeed, so a
  failure leaves nothing half-written; more than ``MAX_BATCH`` operations are refused before any request;
- list queries, evaluated by ``tests/fakes/appwrite_queries.py`` (the subset services use; datetime columns
  compare as times; a query Appwrite would refuse is refused);
- realtime: ``events`` gets ``(action, table, row id)`` for each row a write changed, as Appwrite emits them
  (increment is an ``update``; bulk operations one per row; a transaction's only after it committed).

What tests observe and steer:

- ``tables`` (table -> row id -> row) is the state; ``rows(table)`` copies in id order, ``by_id(table)`` copies
  by id, ``snapshot(*tables)`` rows without volatile fields, ``seed(...)`` writes without checks or records;
- ``requests``: ``(method, table)`` of each request, in order; ``list_requests``: ``(table, parsed queries)`` of
  each list; ``commits``: the operations of each committed transaction;
- ``fail(method, table, times=1, after=0, error=None)`` makes matching requests raise (``StorageError`` unless
  ``error`` is given); ``faults`` holds such hooks (any ``(method, table) -> None`` callable); ``down = True``
  makes every request fail, like an unreachable Appwrite.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ecotrace.adapters.appwrite_store import StoreRejectedError
from ecotrace.clock import to_iso
from ecotrace.errors import ConflictError, NotFoundError, StorageError, ValidationError
from ecotrace.ports import MAX_BATCH, ROW_ID, Row, Store, operator_shaped
from tests.fakes.appwrite_queries import parse_datetime, parse_queries, run_queries

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schema" / "tables.json"
TX_STEPS = ("tx_create", "tx_stage", "tx_commit")  # one Store commit is three Appwrite requests
METHODS = ("get", "list", "create", "upsert", "update", "delete", "increment", "bulk_create", "bulk_upsert", *TX_STEPS)
VOLATILE = ("$createdAt", "$updatedAt", "$sequence", "delivery_id")  # left out of snapshots

Tables = dict[str, dict[str, Row]]
Schema = dict[str, dict[str, dict[str, Any]]]
Fault = Callable[[str, str], None]


def load_schema(path: Path = SCHEMA_PATH) -> Schema:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {table["$id"]: {column["key"]: column for column in table["columns"]} for table in data["tables"]}


def _value_ok(column: dict[str, Any], value: Any) -> bool:
    kind = column["type"]
    if kind in ("integer", "double"):
        if isinstance(value, bool) or not isinstance(value, int if kind == "integer" else int | float):
            return False
        return not (("min" in column and value < column["min"]) or ("max" in column and value > column["max"]))
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("string", "datetime", "email", "url", "ip", "enum"):
        if not isinstance(value, str):
            return False
        if "elements" in column and value not in column["elements"]:
            return False
        if kind == "datetime" and parse_datetime(value) is None:
            return False
        return len(value) <= int(column.get("size", 10**9))
    return True


def _operator_value(table: str, column: dict[str, Any] | None, key: str, current: Any, text: str) -> Any:
    parsed = json.loads(text)
    method, values = parsed.get("method"), parsed.get("values") or [1]
    if method not in ("increment", "decrement"):
        raise StoreRejectedError(f"the fake applies increment and decrement only, not {method!r} ({table}.{key})")
    if column is not None and column["type"] not in ("integer", "double"):
        raise StoreRejectedError(f'Cannot apply {method} operator to non-numeric field "{key}"')
    value = values[0] if method == "increment" else -values[0]
    return (current or 0) + value


@dataclass
class _Batch:
    """The state one request (or one transaction) writes to, and the events it will emit once it succeeds."""

    tables: Tables
    events: list[tuple[str, str, str]] = field(default_factory=list)
    in_tx: bool = False


class MemoryStore(Store):
    def __init__(self, clock: Callable[[], datetime] | None = None, *, schema: Schema | bool | None = True) -> None:
        self.schema: Schema | None = load_schema() if schema is True else (schema or None)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.tables: Tables = {name: {} for name in self.schema} if self.schema else {}
        self.requests: list[tuple[str, str]] = []
        self.list_requests: list[tuple[str, list[dict[str, Any]]]] = []
        self.commits: list[list[dict[str, Any]]] = []
        self.events: list[tuple[str, str, str]] = []
        self.faults: list[Fault] = []
        self.down = False
        self._lock = threading.RLock()
        self._sequence = 0

    # ---- test helpers ----------------------------------------------------------------------------------------
    def seed(self, table: str, row_id: str, data: Row, permissions: list[str] | None = None) -> Row:
        """Put a row in place without checks, records or events (test setup)."""
        row = self._stamp(table, row_id, {key: value for key, value in data.items() if not key.startswith("$")}, None)
        row["$permissions"] = list(permissions or data.get("$permissions") or [])
        self.tables.setdefault(table, {})[row_id] = row
        return copy.deepcopy(row)

    def rows(self, table: str) -> list[Row]:
        """Copies of the table's rows, in row-id order."""
        return [copy.deepcopy(row) for _, row in sorted(self.tables.get(table, {}).items())]

    def by_id(self, table: str) -> dict[str, Row]:
        """Copies of the table's rows by row id."""
        return {str(row["$id"]): row for row in self.rows(table)}

    def snapshot(self, *tables: str) -> dict[str, dict[str, Row]]:
        """Rows without the volatile fields (timestamps, sequence, delivery id), for comparing outcomes."""
        names = tables or tuple(self.tables)
        return {
            name: {
                row_id: {key: value for key, value in row.items() if key not in VOLATILE}
                for row_id, row in self.by_id(name).items()
            }
            for name in names
        }

    def fail(
        self, method: str, table: str | None = None, times: int = 1, after: int = 0, error: Exception | None = None
    ) -> None:
        """Make the next ``times`` requests of ``method`` (on ``table``; any table when None), after letting
        ``after`` through, raise ``error`` (default StorageError). ``method`` is one of ``METHODS``; the
        transaction steps are on the table ``transactions``."""
        if method not in METHODS:
            raise ValueError(f"no request is called {method!r}: one of {', '.join(METHODS)}")
        seen = failed = 0

        def fault(asked: str, asked_table: str) -> None:
            nonlocal seen, failed
            if asked != method or (table is not None and asked_table != table):
                return
            seen += 1
            if seen > after and failed < times:
                failed += 1
                raise error if error is not None else StorageError(f"injected failure of {method} {asked_table}")

        self.faults.append(fault)

    # ---- requests --------------------------------------------------------------------------------------------
    def _request(self, method: str, table: str) -> None:
        self.requests.append((method, table))
        if self.down:
            raise StorageError(f"store unreachable (test): {method} {table}")
        for fault in list(self.faults):
            fault(method, table)

    def _datetimes(self, table: str) -> frozenset[str]:
        if self.schema is None or table not in self.schema:
            return frozenset()
        return frozenset(key for key, column in self.schema[table].items() if column["type"] == "datetime")

    def _table(self, tables: Tables, table: str) -> dict[str, Row]:
        if self.schema is not None and table not in self.schema:
            raise NotFoundError(f"table {table!r} not found")
        return tables.setdefault(table, {})

    def _check(self, table: str, data: Row, *, creating: bool) -> None:
        if self.schema is None:
            return
        columns = self.schema[table]
        for key, value in data.items():
            column = columns.get(key)
            if column is None:
                raise StoreRejectedError(f'Invalid document structure: Unknown attribute: "{key}" in {table}')
            if value is None:
                if column.get("required"):
                    raise StoreRejectedError(f'Invalid document structure: Missing required attribute "{key}"')
                continue
            if column.get("array"):
                valid = isinstance(value, list) and all(_value_ok(column, item) for item in value)
            else:
                valid = _value_ok(column, value)
            if not valid:
                raise StoreRejectedError(f'Invalid document structure: Attribute "{key}" has invalid value')
        if creating:
            missing = [key for key, column in columns.items() if column.get("required") and data.get(key) is None]
            if missing:
                raise StoreRejectedError(f'Invalid document structure: Missing required attribute "{missing[0]}"')

    def _stamp(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        now = to_iso(self.clock())
        row: Row = {}
        if self.schema is not None and table in self.schema:
            for key, column in self.schema[table].items():
                row[key] = column.get("default", [] if column.get("array") else None)
        row.update(data)
        row.update(
            {
                "$id": row_id,
                "$tableId": table,
                "$databaseId": self.database_id,
                "$createdAt": now,
                "$updatedAt": now,
                "$permissions": list(permissions or []),
            }
        )
        self._sequence += 1
        row["$sequence"] = self._sequence
        return row

    @staticmethod
    def _split(data: Row, permissions: list[str] | None) -> tuple[Row, list[str] | None]:
        values = {key: value for key, value in data.items() if not key.startswith("$")}
        given = permissions if permissions is not None else data.get("$permissions")
        return values, (list(given) if given is not None else None)

    # ---- writes, applied to a batch so a request or a transaction lands whole or not at all ----------------------
    def _apply_create(
        self,
        batch: _Batch,
        table: str,
        row_id: str,
        data: Row,
        permissions: list[str] | None,
        *,
        action: str = "create",
    ) -> Row:
        if not ROW_ID.match(row_id):
            raise StoreRejectedError(f"Invalid `rowId` param: {row_id!r} is not a valid row id")
        rows = self._table(batch.tables, table)
        if row_id in rows:
            raise ConflictError(f"Document with the requested ID {row_id!r} already exists in {table}")
        values, permissions = self._split(data, permissions)
        if action == "upsert":  # operators start from the column default
            defaults = {k: c.get("default") for k, c in (self.schema or {}).get(table, {}).items()}
            values = self._operators(table, defaults, values)
        elif batch.in_tx and any(operator_shaped(value) for value in values.values()):
            raise StorageError(f"Unknown PDO Type for object: an operator in a created {table} row (as Appwrite)")
        self._check(table, values, creating=True)
        rows[row_id] = self._stamp(table, row_id, values, permissions)
        batch.events.append((action, table, row_id))
        return rows[row_id]

    def _operators(self, table: str, current: Row, values: Row) -> Row:
        columns = self.schema.get(table, {}) if self.schema is not None else {}
        return {
            key: _operator_value(table, columns.get(key), key, current.get(key), value)
            if operator_shaped(value)
            else value
            for key, value in values.items()
        }

    def _apply_update(
        self, batch: _Batch, table: str, row_id: str, data: Row, permissions: list[str] | None, *, action: str
    ) -> Row:
        rows = self._table(batch.tables, table)
        if row_id not in rows:
            raise NotFoundError(f"Document with the requested ID {row_id!r} could not be found in {table}")
        values, permissions = self._split(data, permissions)
        row = rows[row_id]
        values = self._operators(table, row, values)
        self._check(table, values, creating=False)
        row.update(values)
        if permissions is not None:
            row["$permissions"] = permissions
        row["$updatedAt"] = to_iso(self.clock())
        batch.events.append((action, table, row_id))
        return row

    def _apply_upsert(self, batch: _Batch, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        if row_id in self._table(batch.tables, table):
            return self._apply_update(batch, table, row_id, data, permissions, action="upsert")
        return self._apply_create(batch, table, row_id, data, permissions, action="upsert")

    def _apply_delete(self, batch: _Batch, table: str, row_id: str) -> None:
        rows = self._table(batch.tables, table)
        if row_id not in rows:
            raise NotFoundError(f"Document with the requested ID {row_id!r} could not be found in {table}")
        del rows[row_id]
        batch.events.append(("delete", table, row_id))

    def _apply_increment(self, batch: _Batch, table: str, row_id: str, column: str, value: float) -> Row:
        rows = self._table(batch.tables, table)
        if row_id not in rows:
            raise NotFoundError(f"Column with the requested key {column!r} could not be found (no row {row_id!r})")
        if self.schema is not None:
            spec = self.schema[table].get(column)
            if spec is None:
                raise NotFoundError(f"Column with the requested key {column!r} could not be found")
            if spec["type"] not in ("integer", "double") or spec.get("array"):
                raise StoreRejectedError(f"column {column!r} of {table} is not numeric")
        row = rows[row_id]
        row[column] = (row.get(column) or 0) + value
        row["$updatedAt"] = to_iso(self.clock())
        batch.events.append(("update", table, row_id))
        return row

    def _apply_op(self, batch: _Batch, op: dict[str, Any]) -> None:
        action, table, row_id, data = op["action"], op["tableId"], op.get("rowId"), op.get("data")
        if op.get("databaseId") != self.database_id:
            raise NotFoundError(f"database {op.get('databaseId')!r} not found")
        if action == "create":
            self._apply_create(batch, table, str(row_id), data or {}, None)
        elif action == "update":
            self._apply_update(batch, table, str(row_id), data or {}, None, action="update")
        elif action == "upsert":
            self._apply_upsert(batch, table, str(row_id), data or {}, None)
        elif action == "delete":
            self._apply_delete(batch, table, str(row_id))
        elif action in ("increment", "decrement"):
            sign = 1 if action == "increment" else -1
            self._apply_increment(batch, table, str(row_id), str(data["column"]), sign * data["value"])
        elif action in ("bulkCreate", "bulkUpsert"):
            self._bulk_rows(batch, "create" if action == "bulkCreate" else "upsert", table, data or [])
        else:
            raise StoreRejectedError(f"unsupported transaction action {action!r}")

    def _bulk_rows(self, batch: _Batch, action: str, table: str, rows: list[Row]) -> list[Row]:
        if len(rows) > MAX_BATCH:
            raise StoreRejectedError(f"at most {MAX_BATCH} rows per bulk request, got {len(rows)}")
        if action == "create":
            return [self._apply_create(batch, table, str(row.get("$id", "")), row, None) for row in rows]
        return [self._apply_upsert(batch, table, str(row.get("$id", "")), row, None) for row in rows]

    def _staged(self) -> _Batch:
        return _Batch(copy.deepcopy(self.tables))

    def _land(self, batch: _Batch) -> None:
        self.tables = batch.tables
        self.events.extend(batch.events)

    def _write(self, method: str, table: str, apply: Callable[[_Batch], Row]) -> Row:
        """One single-row request: applied in place (one row cannot be half-written), events on success."""
        with self._lock:
            self._request(method, table)
            batch = _Batch(self.tables)
            row = copy.deepcopy(apply(batch))
            self.events.extend(batch.events)
            return row

    # ---- primitives ------------------------------------------------------------------------------------------
    def _get(self, table: str, row_id: str) -> Row | None:
        with self._lock:
            self._request("get", table)
            row = self._table(self.tables, table).get(row_id)
            return copy.deepcopy(row) if row is not None else None

    def _list(self, table: str, queries: list[str]) -> list[Row]:
        with self._lock:
            self._request("list", table)
            parsed = parse_queries(queries)
            self.list_requests.append((table, [query.raw for query in parsed]))
            rows = list(self._table(self.tables, table).values())
            return [copy.deepcopy(row) for row in run_queries(rows, parsed, self._datetimes(table))]

    def _create(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        return self._write("create", table, lambda batch: self._apply_create(batch, table, row_id, data, permissions))

    def _upsert(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        return self._write("upsert", table, lambda batch: self._apply_upsert(batch, table, row_id, data, permissions))

    def _update(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        def apply(batch: _Batch) -> Row:
            values, given_permissions = self._split(data, permissions)
            if not values and given_permissions is None:
                raise StoreRejectedError("The request cannot be empty: at least one of data or permissions")
            return self._apply_update(batch, table, row_id, data, permissions, action="update")

        return self._write("update", table, apply)

    def _delete(self, table: str, row_id: str) -> None:
        def apply(batch: _Batch) -> Row:
            self._apply_delete(batch, table, row_id)
            return {}

        self._write("delete", table, apply)

    def _increment(self, table: str, row_id: str, column: str, value: float) -> Row:
        return self._write("increment", table, lambda batch: self._apply_increment(batch, table, row_id, column, value))

    def _bulk(self, action: str, table: str, rows: list[Row]) -> list[Row]:
        with self._lock:
            self._request(f"bulk_{action}", table)
            batch = self._staged()
            written = [copy.deepcopy(row) for row in self._bulk_rows(batch, action, table, rows)]
            self._land(batch)
            return written

    def _commit(self, operations: list[dict[str, Any]]) -> None:
        with self._lock:
            if len(operations) > MAX_BATCH:  # the adapter refuses before it sends anything
                raise ValidationError(f"a transaction holds at most {MAX_BATCH} operations, got {len(operations)}")
            for step in TX_STEPS:
                self._request(step, "transactions")
            batch = self._staged()
            batch.in_tx = True
            for op in operations:
                self._apply_op(batch, op)
            self._land(batch)
            self.commits.append(copy.deepcopy(operations))
