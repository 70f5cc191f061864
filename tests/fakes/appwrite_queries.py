"""Appwrite's list queries, evaluated over rows in memory (for :class:`tests.fakes.memory_store.MemoryStore`).

The subset services use: equal, notEqual, lessThan(Equal), greaterThan(Equal), between, isNull, isNotNull,
startsWith, endsWith, contains, search (substring), or, and; then orderAsc/orderDesc (several, stable, nulls
first; ties in insertion order), cursorAfter/cursorBefore, offset, limit (default 25, at most 5000) and select.
Datetime columns compare as times; a comparison with null is false, as in SQL. Anything else is refused with
the 400 Appwrite would answer (``StoreRejectedError``), so a service cannot rely on a query Appwrite lacks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ecotrace.adapters.appwrite_store import StoreRejectedError
from ecotrace.ports import Row

DEFAULT_LIMIT = 25
MAX_LIMIT = 5000


def parse_datetime(value: str) -> datetime | None:
    """An Appwrite datetime (ISO 8601; without an offset it is UTC), or None when it is not one."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


class ParsedQuery:
    """One parsed Appwrite query (``{"method": ..., "attribute": ..., "values": [...]}``)."""

    def __init__(self, raw: str | dict[str, Any]) -> None:
        data = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(data, dict) or "method" not in data:
            raise StoreRejectedError(f"invalid query: {raw!r}")
        self.raw: dict[str, Any] = data
        self.method: str = data["method"]
        self.attribute: str | None = data.get("attribute")
        self.values: list[Any] = list(data.get("values") or [])

    def matches(self, row: Row, datetimes: frozenset[str]) -> bool:
        method, values = self.method, self.values
        if method == "or":
            return any(ParsedQuery(value).matches(row, datetimes) for value in values)
        if method == "and":
            return all(ParsedQuery(value).matches(row, datetimes) for value in values)
        value = row.get(self.attribute or "")
        if method == "isNull":
            return value is None
        if method == "isNotNull":
            return value is not None
        if self.attribute in datetimes:  # compared as times, as Appwrite does
            value = parse_datetime(value) if isinstance(value, str) else value
            values = [_query_time(self.method, wanted) for wanted in values]
        if method == "equal":
            if isinstance(value, list):
                return any(wanted in value for wanted in values)
            return value in values
        if method == "notEqual":
            return value not in values
        if value is None:
            return False  # SQL semantics: comparisons with null are false
        if method == "lessThan":
            return bool(value < values[0])
        if method == "lessThanEqual":
            return bool(value <= values[0])
        if method == "greaterThan":
            return bool(value > values[0])
        if method == "greaterThanEqual":
            return bool(value >= values[0])
        if method == "between":
            return bool(values[0] <= value <= values[1])
        if method == "startsWith":
            return isinstance(value, str) and value.startswith(values[0])
        if method == "endsWith":
            return isinstance(value, str) and value.endswith(values[0])
        if method in ("contains", "search"):
            if isinstance(value, list):
                return any(wanted in value for wanted in values)
            return isinstance(value, str) and any(str(wanted) in value for wanted in values)
        raise StoreRejectedError(f"query method {method!r} is not supported by MemoryStore")


def _query_time(method: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    parsed = parse_datetime(value)
    if parsed is None:
        raise StoreRejectedError(f"Invalid query: {method} needs a datetime, got {value!r}")
    return parsed


_MODIFIERS = {"limit", "offset", "cursorAfter", "cursorBefore", "orderAsc", "orderDesc", "select"}


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, "") if value is None else (1, value)


def parse_queries(queries: Sequence[str]) -> list[ParsedQuery]:
    return [ParsedQuery(query) for query in queries]


def run_queries(rows: list[Row], parsed: list[ParsedQuery], datetimes: frozenset[str]) -> list[Row]:
    """The rows (in insertion order, by ``$sequence``) the queries select, ordered, paged and projected."""
    filters = [query for query in parsed if query.method not in _MODIFIERS]
    rows = [row for row in rows if all(query.matches(row, datetimes) for query in filters)]
    rows.sort(key=lambda row: row["$sequence"])
    orders = [query for query in parsed if query.method in ("orderAsc", "orderDesc")]
    for order in reversed(orders):
        attribute = order.attribute or ""
        rows.sort(key=lambda row: _sort_key(row.get(attribute)), reverse=order.method == "orderDesc")
    for query in parsed:
        if query.method in ("cursorAfter", "cursorBefore"):
            ids = [row["$id"] for row in rows]
            if query.values[0] not in ids:
                raise StoreRejectedError(f"Cursor row {query.values[0]!r} not found")
            at = ids.index(query.values[0])
            rows = rows[at + 1 :] if query.method == "cursorAfter" else rows[:at]
    offset = next((int(query.values[0]) for query in parsed if query.method == "offset"), 0)
    limit = next((int(query.values[0]) for query in parsed if query.method == "limit"), DEFAULT_LIMIT)
    if not 0 <= limit <= MAX_LIMIT:
        raise StoreRejectedError(f"Invalid limit {limit}")
    rows = rows[offset : offset + limit]
    selects = [column for query in parsed if query.method == "select" for column in query.values]
    if selects and "*" not in selects:
        return [{key: value for key, value in row.items() if key.startswith("$") or key in selects} for row in rows]
    return rows
