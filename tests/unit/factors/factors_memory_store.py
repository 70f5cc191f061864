"""A minimal in-memory Store for the emission-factor tests (until tests/fakes/memory_store.py lands).

Rows are checked against schema/tables.json like Appwrite does (unknown or missing required columns, string
sizes, enums, min/max) and the row id against the port's rule. Supports the queries the resolver sends
(``lessThan`` on a datetime, ``orderAsc``, ``limit``, ``equal`` on ``$id``). ``down = True`` makes every call
fail with StorageError, like an unreachable Appwrite.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from ecotrace.clock import parse_iso
from ecotrace.errors import NotFoundError, StorageError, ValidationError
from ecotrace.ports import Row, Store

SCHEMA = Path(__file__).resolve().parents[3] / "schema" / "tables.json"


class FactorsMemoryStore(Store):
    def __init__(self) -> None:
        tables = json.loads(SCHEMA.read_text(encoding="utf-8"))["tables"]
        self.columns = {t["$id"]: {c["key"]: c for c in t["columns"]} for t in tables}
        self.rows: dict[str, dict[str, Row]] = {t: {} for t in self.columns}
        self.down = False
        self.calls: list[tuple[str, str]] = []

    def _touch(self, op: str, table: str) -> None:
        self.calls.append((op, table))
        if self.down:
            raise StorageError("store unreachable (test)")

    def _check(self, table: str, data: Row, *, partial: bool) -> None:
        cols = self.columns[table]
        for key, value in data.items():
            col = cols.get(key)
            if col is None:
                raise ValidationError(f'Unknown attribute: "{key}"')
            if value is None:
                if col.get("required"):
                    raise ValidationError(f'Missing required attribute "{key}"')
                continue
            kind = col["type"]
            if kind == "string":
                if not isinstance(value, str) or len(value) > col.get("size", 1 << 20):
                    raise ValidationError(f'Attribute "{key}" is too long or not a string')
                if col.get("format") == "enum" and value not in col["elements"]:
                    raise ValidationError(f'Attribute "{key}" must be one of {col["elements"]}')
            elif kind in ("double", "integer"):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValidationError(f'Attribute "{key}" has invalid type')
                if kind == "integer" and not isinstance(value, int):
                    raise ValidationError(f'Attribute "{key}" must be an integer')
                if ("min" in col and value < col["min"]) or ("max" in col and value > col["max"]):
                    raise ValidationError(f'Attribute "{key}" out of range')
            elif kind == "datetime":
                parse_iso(str(value))
        if not partial:
            missing = [k for k, c in cols.items() if c.get("required") and data.get(k) is None]
            if missing:
                raise ValidationError(f"Missing required attributes {missing}")

    def _get(self, table: str, row_id: str) -> Row | None:
        self._touch("get", table)
        row = self.rows[table].get(row_id)
        return copy.deepcopy(row) if row else None

    def _list(self, table: str, queries: list[str]) -> list[Row]:
        self._touch("list", table)
        rows = list(self.rows[table].values())
        limit = 25
        order: str | None = None
        for text in queries:
            q: dict[str, Any] = json.loads(text)
            method, attr, values = q["method"], q.get("attribute"), q.get("values", [])
            if method == "lessThan":
                rows = [r for r in rows if r.get(attr) and parse_iso(r[attr]) < parse_iso(values[0])]
            elif method == "equal":
                rows = [r for r in rows if r.get(attr) in values]
            elif method == "orderAsc":
                order = attr
            elif method == "limit":
                limit = int(values[0])
            else:
                raise ValidationError(f"query {method} not supported by this fake")
        if order:
            rows.sort(key=lambda r: str(r.get(order)))
        return copy.deepcopy(rows[:limit])

    def _upsert(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        self._touch("upsert", table)
        existing = self.rows[table].get(row_id, {})
        merged = {**{k: v for k, v in existing.items() if not k.startswith("$")}, **data}
        self._check(table, merged, partial=False)
        self.rows[table][row_id] = {"$id": row_id, **merged}
        return copy.deepcopy(self.rows[table][row_id])

    def _create(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        return self._upsert(table, row_id, data, permissions)

    def _update(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        if row_id not in self.rows[table]:
            raise NotFoundError("row not found")
        return self._upsert(table, row_id, data, permissions)

    def _delete(self, table: str, row_id: str) -> None:
        self._touch("delete", table)
        self.rows[table].pop(row_id, None)

    def _bulk(self, action: str, table: str, rows: list[Row]) -> list[Row]:
        return [self._upsert(table, str(r["$id"]), {k: v for k, v in r.items() if k != "$id"}, None) for r in rows]

    def _increment(self, table: str, row_id: str, column: str, value: float) -> Row:
        raise NotImplementedError("not used by the emission-factor code")

    def _commit(self, operations: list[dict[str, Any]]) -> None:
        raise NotImplementedError("not used by the emission-factor code")
