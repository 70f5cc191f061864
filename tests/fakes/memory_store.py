"""A generic in-memory :class:`ecotrace.ports.Store` that keeps Appwrite's contract, for service tests.

What it enforces, as Appwrite does:

- the schema in ``schema/tables.json``: unknown tables and columns, missing required columns on create,
  wrong types, over-long strings, values outside an enum, arrays (pass ``schema=None`` to skip);
- 409 ``ConflictError`` on creating an existing id, 404 ``NotFoundError`` on updating, incrementing or
  deleting a missing row; ``$permissions`` given in data or as the argument is stored;
- transactions: ``_commit`` applies every operation to a copy and swaps it in only if all succeed, so a
  failure leaves nothing half-written; more than ``MAX_BATCH`` operations are refused;
- the Appwrite query JSON subset services use: equal, notEqual, lessThan(Equal), greaterThan(Equal), between,
  isNull, isNotNull, startsWith, endsWith, contains, search (substring), or, and, select, orderAsc/orderDesc
  (several, stable), limit (default 25, like Appwrite), offset, cursorAfter, cursorBefore.

Test helpers: ``seed(table, row_id, data)`` writes without checks, ``rows(table)`` returns copies,
``requests`` records each primitive call as ``(method, table)``, ``fail_next(method, table)`` makes the next
matching call raise ``StorageError``.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ecotrace.adapters.appwrite_store import StoreRejectedError
from ecotrace.clock import to_iso
from ecotrace.errors import ConflictError, NotFoundError, StorageError, ValidationError
from ecotrace.ports import MAX_BATCH, Row, Store

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schema" / "tables.json"
DEFAULT_LIMIT = 25
MAX_LIMIT = 5000

Tables = dict[str, dict[str, Row]]


def load_schema(path: Path = SCHEMA_PATH) -> dict[str, dict[str, dict[str, Any]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {t["$id"]: {c["key"]: c for c in t["columns"]} for t in data["tables"]}


def _type_ok(column: dict[str, Any], value: Any) -> bool:
    kind = column["type"]
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "double":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("string", "datetime", "email", "url", "ip", "enum"):
        if not isinstance(value, str):
            return False
        if "elements" in column and value not in column["elements"]:
            return False
        return len(value) <= int(column.get("size", 10**9))
    return True


class _Query:
    """One parsed Appwrite query (``{"method": ..., "attribute": ..., "values": [...]}``)."""

    def __init__(self, raw: str | dict[str, Any]) -> None:
        data = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(data, dict) or "method" not in data:
            raise StoreRejectedError(f"invalid query: {raw!r}")
        self.method: str = data["method"]
        self.attribute: str | None = data.get("attribute")
        self.values: list[Any] = list(data.get("values") or [])

    def matches(self, row: Row) -> bool:
        m, values = self.method, self.values
        if m == "or":
            return any(_Query(v).matches(row) for v in values)
        if m == "and":
            return all(_Query(v).matches(row) for v in values)
        value = row.get(self.attribute or "")
        if m == "isNull":
            return value is None
        if m == "isNotNull":
            return value is not None
        if m == "equal":
            if isinstance(value, list):
                return any(v in value for v in values)
            return value in values
        if m == "notEqual":
            return value not in values
        if value is None:
            return False  # SQL semantics: comparisons with null are false
        if m == "lessThan":
            return bool(value < values[0])
        if m == "lessThanEqual":
            return bool(value <= values[0])
        if m == "greaterThan":
            return bool(value > values[0])
        if m == "greaterThanEqual":
            return bool(value >= values[0])
        if m == "between":
            return bool(values[0] <= value <= values[1])
        if m == "startsWith":
            return isinstance(value, str) and value.startswith(values[0])
        if m == "endsWith":
            return isinstance(value, str) and value.endswith(values[0])
        if m in ("contains", "search"):
            if isinstance(value, list):
                return any(v in value for v in values)
            return isinstance(value, str) and any(str(v) in value for v in values)
        raise StoreRejectedError(f"query method {m!r} is not supported by MemoryStore")


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, "") if value is None else (1, value)


class MemoryStore(Store):
    def __init__(
        self,
        *,
        schema: dict[str, dict[str, dict[str, Any]]] | bool | None = True,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.schema = load_schema() if schema is True else (schema or None)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.tables: Tables = {name: {} for name in self.schema} if self.schema else {}
        self.requests: list[tuple[str, str]] = []
        self.commits: list[list[dict[str, Any]]] = []
        self._faults: list[tuple[str, str | None, Exception | None]] = []
        self._lock = threading.RLock()
        self._seq = 0

    # ---- test helpers ----------------------------------------------------------------------------
    def seed(self, table: str, row_id: str, data: Row, permissions: list[str] | None = None) -> Row:
        """Put a row in place without checks or request records (test setup)."""
        row = self._stamp(table, row_id, {k: v for k, v in data.items() if not k.startswith("$")}, None)
        row["$permissions"] = list(permissions or data.get("$permissions") or [])
        self.tables.setdefault(table, {})[row_id] = row
        return copy.deepcopy(row)

    def rows(self, table: str) -> list[Row]:
        return [copy.deepcopy(r) for _, r in sorted(self.tables.get(table, {}).items())]

    def fail_next(self, method: str, table: str | None = None, error: Exception | None = None) -> None:
        """The next ``method`` call (``get``, ``list``, ``create``, ``commit`` ...) raises ``error``
        (default StorageError; e.g. ConflictError for a transaction another writer got to first)."""
        self._faults.append((method, table, error))

    # ---- internals --------------------------------------------------------------------------------
    def _request(self, method: str, table: str) -> None:
        self.requests.append((method, table))
        for i, (m, t, error) in enumerate(self._faults):
            if m == method and (t is None or t == table):
                del self._faults[i]
                raise error if error is not None else StorageError(f"injected failure: {method} {table}")

    def _table(self, tables: Tables, table: str) -> dict[str, Row]:
        if self.schema is not None and table not in self.schema:
            raise NotFoundError(f"table {table!r} not found")
        return tables.setdefault(table, {})

    def _check(self, table: str, data: Row, *, creating: bool) -> None:
        if self.schema is None:
            return
        columns = self.schema[table]
        for key, value in data.items():
            if key.startswith("$"):
                continue
            column = columns.get(key)
            if column is None:
                raise StoreRejectedError(f'Invalid document structure: Unknown attribute: "{key}" in {table}')
            if value is None:
                if column.get("required"):
                    raise StoreRejectedError(f'Invalid document structure: Missing required attribute "{key}"')
                continue
            if column.get("array"):
                ok = isinstance(value, list) and all(_type_ok(column, v) for v in value)
            else:
                ok = _type_ok(column, value)
            if not ok:
                raise StoreRejectedError(f'Invalid document structure: Attribute "{key}" has invalid value')
        if creating:
            missing = [k for k, c in columns.items() if c.get("required") and data.get(k) is None]
            if missing:
                raise StoreRejectedError(f'Invalid document structure: Missing required attribute "{missing[0]}"')

    def _stamp(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        now = to_iso(self.clock())
        row: Row = {}
        if self.schema is not None:
            for key, column in self.schema[table].items():
                row[key] = column.get("default")
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
        self._seq += 1
        row["$sequence"] = self._seq
        return row

    @staticmethod
    def _split(data: Row, permissions: list[str] | None) -> tuple[Row, list[str] | None]:
        values = {k: v for k, v in data.items() if not k.startswith("$")}
        perms = permissions if permissions is not None else data.get("$permissions")
        return values, (list(perms) if perms is not None else None)

    # apply-functions work on a given ``tables`` mapping so transactions can apply to a copy
    def _apply_create(self, tables: Tables, table: str, row_id: str, data: Row, perms: list[str] | None) -> Row:
        rows = self._table(tables, table)
        if row_id in rows:
            raise ConflictError(f"Document with the requested ID {row_id!r} already exists in {table}")
        values, perms = self._split(data, perms)
        self._check(table, values, creating=True)
        rows[row_id] = self._stamp(table, row_id, values, perms)
        return rows[row_id]

    def _apply_update(self, tables: Tables, table: str, row_id: str, data: Row, perms: list[str] | None) -> Row:
        rows = self._table(tables, table)
        if row_id not in rows:
            raise NotFoundError(f"Document with the requested ID {row_id!r} could not be found in {table}")
        values, perms = self._split(data, perms)
        self._check(table, values, creating=False)
        row = rows[row_id]
        row.update(values)
        if perms is not None:
            row["$permissions"] = perms
        row["$updatedAt"] = to_iso(self.clock())
        return row

    def _apply_upsert(self, tables: Tables, table: str, row_id: str, data: Row, perms: list[str] | None) -> Row:
        if row_id in self._table(tables, table):
            return self._apply_update(tables, table, row_id, data, perms)
        return self._apply_create(tables, table, row_id, data, perms)

    def _apply_delete(self, tables: Tables, table: str, row_id: str) -> None:
        rows = self._table(tables, table)
        if row_id not in rows:
            raise NotFoundError(f"Document with the requested ID {row_id!r} could not be found in {table}")
        del rows[row_id]

    def _apply_increment(self, tables: Tables, table: str, row_id: str, column: str, value: float) -> Row:
        rows = self._table(tables, table)
        if row_id not in rows:
            raise NotFoundError(f"Document with the requested ID {row_id!r} could not be found in {table}")
        if self.schema is not None:
            spec = self.schema[table].get(column)
            if spec is None or spec["type"] not in ("integer", "double"):
                raise StoreRejectedError(f"column {column!r} of {table} is not numeric")
        row = rows[row_id]
        row[column] = (row.get(column) or 0) + value
        row["$updatedAt"] = to_iso(self.clock())
        return row

    # ---- primitives -------------------------------------------------------------------------------
    def _get(self, table: str, row_id: str) -> Row | None:
        with self._lock:
            self._request("get", table)
            row = self._table(self.tables, table).get(row_id)
            return copy.deepcopy(row) if row is not None else None

    def _list(self, table: str, queries: list[str]) -> list[Row]:
        with self._lock:
            self._request("list", table)
            parsed = [_Query(q) for q in queries]
            rows = list(self._table(self.tables, table).values())
            filters = [q for q in parsed if q.method not in _MODIFIERS]
            rows = [r for r in rows if all(q.matches(r) for q in filters)]
            orders = [q for q in parsed if q.method in ("orderAsc", "orderDesc")]
            rows.sort(key=lambda r: r["$sequence"])
            for q in reversed(orders):
                rows.sort(key=lambda r, a=q.attribute: _sort_key(r.get(a or "")), reverse=q.method == "orderDesc")
            for q in parsed:
                if q.method in ("cursorAfter", "cursorBefore"):
                    ids = [r["$id"] for r in rows]
                    if q.values[0] not in ids:
                        raise StoreRejectedError(f"Cursor row {q.values[0]!r} not found")
                    at = ids.index(q.values[0])
                    rows = rows[at + 1 :] if q.method == "cursorAfter" else rows[:at]
            offset = next((int(q.values[0]) for q in parsed if q.method == "offset"), 0)
            limit = next((int(q.values[0]) for q in parsed if q.method == "limit"), DEFAULT_LIMIT)
            if not 0 <= limit <= MAX_LIMIT:
                raise StoreRejectedError(f"Invalid limit {limit}")
            rows = rows[offset : offset + limit]
            selects = [a for q in parsed if q.method == "select" for a in q.values]
            out = [copy.deepcopy(r) for r in rows]
            if selects and "*" not in selects:
                out = [{k: v for k, v in r.items() if k.startswith("$") or k in selects} for r in out]
            return out

    def _create(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        with self._lock:
            self._request("create", table)
            return copy.deepcopy(self._apply_create(self.tables, table, row_id, data, permissions))

    def _upsert(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        with self._lock:
            self._request("upsert", table)
            return copy.deepcopy(self._apply_upsert(self.tables, table, row_id, data, permissions))

    def _update(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        with self._lock:
            self._request("update", table)
            return copy.deepcopy(self._apply_update(self.tables, table, row_id, data, permissions))

    def _delete(self, table: str, row_id: str) -> None:
        with self._lock:
            self._request("delete", table)
            self._apply_delete(self.tables, table, row_id)

    def _bulk(self, action: str, table: str, rows: list[Row]) -> list[Row]:
        with self._lock:
            self._request(f"bulk_{action}", table)
            staged = copy.deepcopy(self.tables)
            fn = self._apply_create if action == "create" else self._apply_upsert
            out = [copy.deepcopy(fn(staged, table, str(r["$id"]), r, None)) for r in rows]
            self.tables = staged
            return out

    def _increment(self, table: str, row_id: str, column: str, value: float) -> Row:
        with self._lock:
            self._request("increment", table)
            return copy.deepcopy(self._apply_increment(self.tables, table, row_id, column, value))

    def _commit(self, operations: list[dict[str, Any]]) -> None:
        with self._lock:
            self._request("commit", "*")
            if len(operations) > MAX_BATCH:
                raise ValidationError(f"a transaction holds at most {MAX_BATCH} operations, got {len(operations)}")
            staged = copy.deepcopy(self.tables)
            for op in operations:
                self._apply_op(staged, op)
            self.tables = staged
            self.commits.append(copy.deepcopy(operations))

    def _apply_op(self, tables: Tables, op: dict[str, Any]) -> None:
        action, table, row_id, data = op["action"], op["tableId"], op.get("rowId"), op.get("data")
        if op.get("databaseId") != self.database_id:
            raise NotFoundError(f"database {op.get('databaseId')!r} not found")
        if action == "create":
            self._apply_create(tables, table, str(row_id), data or {}, None)
        elif action == "update":
            self._apply_update(tables, table, str(row_id), data or {}, None)
        elif action == "upsert":
            self._apply_upsert(tables, table, str(row_id), data or {}, None)
        elif action == "delete":
            self._apply_delete(tables, table, str(row_id))
        elif action in ("increment", "decrement"):
            sign = 1 if action == "increment" else -1
            self._apply_increment(tables, table, str(row_id), str(data["column"]), sign * data["value"])
        elif action in ("bulkCreate", "bulkUpsert"):
            fn = self._apply_create if action == "bulkCreate" else self._apply_upsert
            for row in data or []:
                fn(tables, table, str(row["$id"]), row, None)
        else:
            raise StoreRejectedError(f"unsupported transaction action {action!r}")


_MODIFIERS = {"limit", "offset", "cursorAfter", "cursorBefore", "orderAsc", "orderDesc", "select"}
