"""An in-memory Store for the webhook's unit tests: Appwrite's rules on ids, columns and transactions.

Enforces the schema in schema/tables.json (unknown columns, missing required columns, over-long strings and
enum values are refused, as Appwrite does), 409 on a duplicate create, 404 on update/increment of a missing
row, all-or-nothing commits. ``requests`` counts what would be Appwrite requests; ``faults`` lets a test make
chosen primitives fail.
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
from ecotrace.errors import ConflictError, NotFoundError, StorageError
from ecotrace.ports import Row, Store

SCHEMA = json.loads((Path(__file__).resolve().parents[3] / "schema" / "tables.json").read_text())
TABLES = {t["$id"]: {c["key"]: c for c in t["columns"]} for t in SCHEMA["tables"]}


def _type_ok(kind: str, v: Any) -> bool:
    if kind == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if kind == "double":
        return isinstance(v, int | float) and not isinstance(v, bool)
    if kind == "boolean":
        return isinstance(v, bool)
    return True


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+00:00"


class MemoryStore(Store):
    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        self.tables: dict[str, dict[str, Row]] = {t: {} for t in TABLES}
        self.requests: list[tuple[str, str]] = []
        self.faults: list[Callable[[str, str], None]] = []
        self.lock = threading.RLock()

    # ---- helpers ---------------------------------------------------------------------------------
    def _request(self, method: str, table: str) -> None:
        self.requests.append((method, table))
        for fault in list(self.faults):
            fault(method, table)

    def fail(self, method: str, table: str | None = None, times: int = 1, after: int = 0) -> None:
        """Make the next ``times`` matching requests (after skipping ``after``) raise StorageError."""
        state = {"seen": 0, "failed": 0}

        def fault(m: str, t: str) -> None:
            if m != method or (table is not None and t != table):
                return
            state["seen"] += 1
            if state["seen"] > after and state["failed"] < times:
                state["failed"] += 1
                raise StorageError(f"injected failure of {method} {t}")

        self.faults.append(fault)

    def _check(self, table: str, data: Row, *, full: bool) -> None:
        columns = TABLES[table]
        for key, value in data.items():
            if key.startswith("$"):
                continue
            col = columns.get(key)
            if col is None:
                raise StoreRejectedError(f'Invalid document structure: Unknown attribute: "{key}"')
            if value is None:
                continue
            values = value if col.get("array") else [value]
            for v in values:
                if col["type"] == "string":
                    if not isinstance(v, str):
                        raise StoreRejectedError(f'Attribute "{key}" has invalid type')
                    if col.get("format") == "enum" and v not in col["elements"]:
                        raise StoreRejectedError(f'Attribute "{key}" has invalid format')
                    if len(v) > col.get("size", 10**9):
                        raise StoreRejectedError(f'Attribute "{key}" is too long')
                elif not _type_ok(col["type"], v):
                    raise StoreRejectedError(f'Attribute "{key}" has invalid type')
                if "min" in col and isinstance(v, int | float) and v < col["min"]:
                    raise StoreRejectedError(f'Attribute "{key}" below minimum')
        if full:
            for key, col in columns.items():
                if col.get("required") and data.get(key) is None:
                    raise StoreRejectedError(f'Invalid document structure: Missing required attribute "{key}"')

    def _new_row(self, tables: dict[str, dict[str, Row]], table: str, row_id: str, data: Row, perms: Any) -> Row:
        if row_id in tables[table]:
            raise ConflictError(f"row {table}/{row_id} already exists")
        body = {k: v for k, v in data.items() if not k.startswith("$")}
        self._check(table, body, full=True)
        row = {c["key"]: c.get("default", [] if c.get("array") else None) for c in TABLES[table].values()}
        row.update(copy.deepcopy(body))
        stamp = _iso(self.clock())
        permissions = perms if perms is not None else data.get("$permissions", [])
        row.update({"$id": row_id, "$permissions": list(permissions or []), "$createdAt": stamp, "$updatedAt": stamp})
        tables[table][row_id] = row
        return copy.deepcopy(row)

    def _patch(self, tables: dict[str, dict[str, Row]], table: str, row_id: str, data: Row, perms: Any) -> Row:
        row = tables[table].get(row_id)
        if row is None:
            raise NotFoundError(f"row {table}/{row_id} not found")
        body = {k: v for k, v in data.items() if not k.startswith("$")}
        self._check(table, body, full=False)
        row.update(copy.deepcopy(body))
        if perms is not None:
            row["$permissions"] = list(perms)
        elif "$permissions" in data:
            row["$permissions"] = list(data["$permissions"])
        row["$updatedAt"] = _iso(self.clock())
        return copy.deepcopy(row)

    def _inc(self, tables: dict[str, dict[str, Row]], table: str, row_id: str, column: str, value: float) -> Row:
        row = tables[table].get(row_id)
        if row is None:
            raise NotFoundError(f"row {table}/{row_id} not found")
        new = (row.get(column) or 0) + value
        if TABLES[table][column].get("min") is not None and new < TABLES[table][column]["min"] - 1e-9:
            raise StoreRejectedError(f"{column} would go below its minimum")
        row[column] = new
        row["$updatedAt"] = _iso(self.clock())
        return copy.deepcopy(row)

    # ---- primitives --------------------------------------------------------------------------------
    def _get(self, table: str, row_id: str) -> Row | None:
        with self.lock:
            self._request("get", table)
            row = self.tables[table].get(row_id)
            return copy.deepcopy(row) if row else None

    def _list(self, table: str, queries: list[str]) -> list[Row]:
        with self.lock:
            self._request("list", table)
            rows = sorted(self.tables[table].values(), key=lambda r: str(r["$id"]))
            limit = 25
            cursor = None
            for raw in queries:
                q = json.loads(raw)
                method, attr, values = q["method"], q.get("attribute"), q.get("values", [])
                if method == "equal":
                    rows = [r for r in rows if r.get(attr) in values]
                elif method == "startsWith":
                    rows = [r for r in rows if str(r.get(attr) or "").startswith(values[0])]
                elif method == "limit":
                    limit = int(values[0])
                elif method == "cursorAfter":
                    cursor = values[0]
                elif method in ("orderAsc", "orderDesc"):
                    rows = sorted(rows, key=lambda r: (r.get(attr) is None, r.get(attr)), reverse=method == "orderDesc")
                else:
                    raise StoreRejectedError(f"query {method} not supported by the fake")
            if cursor is not None:
                ids = [r["$id"] for r in rows]
                rows = rows[ids.index(cursor) + 1 :] if cursor in ids else []
            return copy.deepcopy(rows[:limit])

    def _create(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        with self.lock:
            self._request("create", table)
            return self._new_row(self.tables, table, row_id, data, permissions)

    def _upsert(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        with self.lock:
            self._request("upsert", table)
            if row_id in self.tables[table]:
                return self._patch(self.tables, table, row_id, data, permissions)
            return self._new_row(self.tables, table, row_id, data, permissions)

    def _update(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        with self.lock:
            self._request("update", table)
            return self._patch(self.tables, table, row_id, data, permissions)

    def _delete(self, table: str, row_id: str) -> None:
        with self.lock:
            self._request("delete", table)
            if self.tables[table].pop(row_id, None) is None:
                raise NotFoundError(f"row {table}/{row_id} not found")

    def _bulk(self, action: str, table: str, rows: list[Row]) -> list[Row]:
        with self.lock:
            self._request(f"bulk_{action}", table)
            staged = copy.deepcopy(self.tables)
            out = []
            for row in rows:
                rid = str(row["$id"])
                if action == "upsert" and rid in staged[table]:
                    out.append(self._patch(staged, table, rid, row, None))
                else:
                    out.append(self._new_row(staged, table, rid, row, None))
            self.tables = staged
            return out

    def _increment(self, table: str, row_id: str, column: str, value: float) -> Row:
        with self.lock:
            self._request("increment", table)
            return self._inc(self.tables, table, row_id, column, value)

    def _commit(self, operations: list[dict[str, Any]]) -> None:
        with self.lock:
            # create transaction, stage operations, commit: three Appwrite requests
            for step in ("tx_create", "tx_stage", "tx_commit"):
                self._request(step, "transactions")
            if len(operations) > 100:
                raise StoreRejectedError("transaction_limit_exceeded")
            staged = copy.deepcopy(self.tables)
            for op in operations:
                table, action, rid, data = op["tableId"], op["action"], op.get("rowId"), op.get("data")
                if action == "create":
                    self._new_row(staged, table, rid, data, None)
                elif action == "update":
                    self._patch(staged, table, rid, data, None)
                elif action == "upsert":
                    if rid in staged[table]:
                        self._patch(staged, table, rid, data, None)
                    else:
                        self._new_row(staged, table, rid, data, None)
                elif action in ("increment", "decrement"):
                    sign = 1 if action == "increment" else -1
                    self._inc(staged, table, rid, data["column"], sign * data["value"])
                elif action in ("bulkCreate", "bulkUpsert"):
                    for row in data:
                        r = str(row["$id"])
                        if action == "bulkUpsert" and r in staged[table]:
                            self._patch(staged, table, r, row, None)
                        else:
                            self._new_row(staged, table, r, row, None)
                elif action == "delete":
                    staged[table].pop(rid, None)
                else:
                    raise StoreRejectedError(f"action {action} not supported by the fake")
            self.tables = staged

    # ---- test helpers --------------------------------------------------------------------------------
    def rows(self, table: str) -> dict[str, Row]:
        return copy.deepcopy(self.tables[table])

    def snapshot(self, *tables: str) -> dict[str, dict[str, Row]]:
        """Rows without the volatile timestamps, for comparing outcomes."""
        names = tables or tuple(self.tables)
        return {
            t: {
                rid: {k: v for k, v in row.items() if k not in ("$createdAt", "$updatedAt", "delivery_id")}
                for rid, row in self.tables[t].items()
            }
            for t in names
        }
