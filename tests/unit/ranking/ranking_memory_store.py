"""A minimal in-memory Store for the leaderboard tests (until tests/fakes/memory_store.py lands).

It keeps the parts of Appwrite's contract the leaderboard relies on: columns are checked against
schema/tables.json (unknown column, missing required column, enum, min/max -> 400 like Appwrite),
``Query.select`` returns only the selected columns, filters ``equal`` / ``greaterThanEqual`` / ``lessThan``
on datetimes compare as times, default page size 25, ``cursorAfter`` on a missing row fails, upsert merges,
bulk writes hold at most 100 rows. Every write is recorded as a realtime-style event in ``events``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from ecotrace.clock import parse_iso
from ecotrace.errors import ConflictError, NotFoundError, ValidationError
from ecotrace.ports import MAX_BATCH, Row, Store

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "schema" / "tables.json"


def load_tables() -> dict[str, dict[str, Any]]:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return {t["$id"]: {c["key"]: c for c in t["columns"]} for t in schema["tables"]}


class MemoryStore(Store):
    def __init__(self) -> None:
        self.columns = load_tables()
        self.tables: dict[str, dict[str, Row]] = {t: {} for t in self.columns}
        self.events: list[tuple[str, str, str]] = []  # (action, table, row id)
        self.list_requests: list[tuple[str, list[dict[str, Any]]]] = []

    # ---- contract checks ------------------------------------------------------------------------
    def _check(self, table: str, data: Row, *, creating: bool) -> None:
        cols = self.columns[table]
        for key, value in data.items():
            if key.startswith("$"):
                continue
            col = cols.get(key)
            if col is None:
                raise ValidationError(f'Invalid document structure: Unknown attribute: "{key}"')
            if value is None:
                continue
            kind = col["type"]
            if kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValidationError(f'Attribute "{key}" has invalid type')
            if kind == "double" and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ValidationError(f'Attribute "{key}" has invalid type')
            if kind == "datetime":
                parse_iso(str(value))
            if col.get("format") == "enum" and value not in col["elements"]:
                raise ValidationError(f'Attribute "{key}" has invalid format')
            if kind == "string" and col.get("format") != "enum" and len(str(value)) > col["size"]:
                raise ValidationError(f'Attribute "{key}" is too long')
            if kind in ("integer", "double"):
                if "min" in col and value < col["min"]:
                    raise ValidationError(f'Attribute "{key}" below minimum')
                if "max" in col and value > col["max"]:
                    raise ValidationError(f'Attribute "{key}" above maximum')
        if creating:
            for key, col in cols.items():
                if col.get("required") and data.get(key) is None:
                    raise ValidationError(f'Invalid document structure: Missing required attribute "{key}"')

    def _put(self, action: str, table: str, row_id: str, data: Row) -> Row:
        existing = self.tables[table].get(row_id)
        clean = {k: v for k, v in data.items() if not k.startswith("$")}
        if existing is None:
            full = {c: None for c in self.columns[table]}
            full.update(clean)
            self._check(table, full, creating=True)
            row = {"$id": row_id, **full}
        else:
            self._check(table, clean, creating=False)
            row = {**existing, **clean}
        self.tables[table][row_id] = row
        self.events.append((action, table, row_id))
        return copy.deepcopy(row)

    # ---- primitives -----------------------------------------------------------------------------
    def _get(self, table: str, row_id: str) -> Row | None:
        row = self.tables[table].get(row_id)
        return copy.deepcopy(row) if row is not None else None

    def _list(self, table: str, queries: list[str]) -> list[Row]:
        parsed = [json.loads(q) for q in queries]
        self.list_requests.append((table, parsed))
        rows = list(self.tables[table].values())
        limit, cursor, select = 25, None, None
        for q in parsed:
            method, attr, values = q["method"], q.get("attribute"), q.get("values", [])
            if method == "limit":
                limit = int(values[0])
            elif method == "cursorAfter":
                cursor = values[0]
            elif method == "select":
                select = list(values)
            elif method in ("equal", "greaterThanEqual", "lessThan"):
                if attr != "$id" and attr not in self.columns[table]:
                    raise ValidationError(f"Invalid query: Attribute not found in schema: {attr}")
                col = self.columns[table].get(attr or "")
                rows = [r for r in rows if _matches(col, r.get(attr or ""), method, values)]
            else:
                raise ValidationError(f"query method {method} not supported by the memory store")
        if cursor is not None:
            ids = [r["$id"] for r in rows]
            if cursor not in self.tables[table]:
                raise ValidationError(f"Row '{cursor}' for the 'cursor' value not found.")
            rows = rows[ids.index(cursor) + 1 :] if cursor in ids else []
        rows = rows[:limit]
        if select is not None:
            for key in select:
                if key != "$id" and key not in self.columns[table]:
                    raise ValidationError(f"Invalid query: Attribute not found in schema: {key}")
            rows = [{"$id": r["$id"], **{k: r.get(k) for k in select if k != "$id"}} for r in rows]
        return copy.deepcopy(rows)

    def _create(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        if row_id in self.tables[table]:
            raise ConflictError(f"Row with the requested ID '{row_id}' already exists.")
        return self._put("create", table, row_id, data)

    def _upsert(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        return self._put("upsert", table, row_id, data)

    def _update(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        if row_id not in self.tables[table]:
            raise NotFoundError(f"Row with the requested ID '{row_id}' could not be found.")
        return self._put("update", table, row_id, data)

    def _delete(self, table: str, row_id: str) -> None:
        if self.tables[table].pop(row_id, None) is None:
            raise NotFoundError(f"Row with the requested ID '{row_id}' could not be found.")
        self.events.append(("delete", table, row_id))

    def _bulk(self, action: str, table: str, rows: list[Row]) -> list[Row]:
        if len(rows) > MAX_BATCH:
            raise ValidationError(f"at most {MAX_BATCH} rows per bulk request")
        snapshot = copy.deepcopy(self.tables[table]), len(self.events)
        try:
            out = []
            for row in rows:
                row_id = str(row["$id"])
                if action == "create":
                    out.append(self._create(table, row_id, row, None))
                else:
                    out.append(self._put("upsert", table, row_id, row))
            return out
        except Exception:  # atomic like Appwrite's bulk endpoints
            self.tables[table], n = snapshot
            del self.events[n:]
            raise

    def _increment(self, table: str, row_id: str, column: str, value: float) -> Row:
        row = self.tables[table].get(row_id)
        if row is None:
            raise NotFoundError(f"Column with the requested key '{column}' could not be found.")
        return self._put("update", table, row_id, {column: (row.get(column) or 0) + value})

    def _commit(self, operations: list[dict[str, Any]]) -> None:
        raise NotImplementedError("the leaderboard does not use transactions")


def _matches(col: dict[str, Any] | None, value: Any, method: str, wanted: list[Any]) -> bool:
    if value is None:
        return False
    if col is not None and col["type"] == "datetime":
        value = parse_iso(str(value))
        wanted = [parse_iso(str(w)) for w in wanted]
    if method == "equal":
        return value in wanted
    if method == "greaterThanEqual":
        return bool(value >= wanted[0])
    return bool(value < wanted[0])
