"""Appwrite query strings (``{"method","attribute"?,"values"?}``) parsed and compiled to parameterised SQL.

Values are always bound as parameters; only schema-checked column names are placed in the SQL text.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from ..errors import AppwriteError, argument_invalid
from . import jsontext
from .schema import TableSchema, quote_ident
from .timestamps import normalize_datetime

MAX_QUERIES = 100
MAX_QUERY_CHARS = 4096
MAX_VALUES = 500
DEFAULT_LIMIT = 25
MAX_INT64 = 2**63 - 1  # an integer column, limit and offset hold a signed 64-bit integer
MIN_INT64 = -(2**63)
TOTAL_CAP = 5000
INTERNAL_ATTRIBUTES = {"$id": "string", "$sequence": "integer", "$createdAt": "datetime", "$updatedAt": "datetime"}

FILTER_METHODS = {
    "equal",
    "notEqual",
    "lessThan",
    "lessThanEqual",
    "greaterThan",
    "greaterThanEqual",
    "between",
    "notBetween",
    "isNull",
    "isNotNull",
    "startsWith",
    "notStartsWith",
    "endsWith",
    "notEndsWith",
    "contains",
    "notContains",
    "search",
    "notSearch",
    "and",
    "or",
}
OTHER_METHODS = {"select", "orderAsc", "orderDesc", "orderRandom", "limit", "offset", "cursorAfter", "cursorBefore"}
QUERIES_DESCRIPTION = (
    "Value must a valid array no longer than 100 items and Value must be a valid string and no longer than 4096 chars"
)


def query_invalid(message: str) -> AppwriteError:
    return AppwriteError(400, "general_query_invalid", message)


@dataclass
class ParsedQueries:
    filters: list[dict[str, Any]] = field(default_factory=list)
    selects: list[str] | None = None
    orders: list[tuple[str, str]] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0
    cursor: tuple[str, str] | None = None  # ("after" | "before", row id)
    random: bool = False


def check_query_strings(raw: Any, param: str = "queries") -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_QUERIES:
        raise argument_invalid(param, QUERIES_DESCRIPTION)
    for item in raw:
        if not isinstance(item, str) or len(item) > MAX_QUERY_CHARS:
            raise argument_invalid(param, QUERIES_DESCRIPTION)
    return list(raw)


def _column_type(table: TableSchema, attribute: Any) -> tuple[str, bool]:
    if not isinstance(attribute, str):
        raise query_invalid("Invalid query: Syntax error")
    if attribute in INTERNAL_ATTRIBUTES:
        return INTERNAL_ATTRIBUTES[attribute], False
    column = table.columns.get(attribute)
    if column is None:
        raise query_invalid(f"Invalid query: Attribute not found in schema: {attribute}")
    return column.type, column.array


def _int_value(values: Any, what: str, low: int) -> int:
    if not isinstance(values, list) or len(values) != 1:
        raise query_invalid(
            f"Invalid query: Invalid {what}: Value must be a valid range between {low:,} and {2**63 - 1:,}"
        )
    value = values[0]
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_INT64:
        raise query_invalid(
            f"Invalid query: Invalid {what}: Value must be a valid range between {low:,} and {MAX_INT64:,}"
        )
    return value


def parse_queries(raw: Any, table: TableSchema, *, queryable: Collection[str] | None = None) -> ParsedQueries:
    """Parse and check query strings against ``table``. ``queryable``: the only attributes a query may name (an
    API that lets callers filter on some columns only, as Appwrite's executions list); None: every column."""
    strings = check_query_strings(raw)
    parsed = ParsedQueries()
    for text in strings:
        try:
            query = jsontext.loads(text)
        except jsontext.JsonTextError as exc:
            raise query_invalid(f"Invalid query: {exc}") from None
        if not isinstance(query, dict) or not isinstance(query.get("method"), str):
            raise query_invalid("Invalid query: Syntax error")
        method = query["method"]
        values = query.get("values", [])
        if values is None:
            values = []
        if not isinstance(values, list):
            raise query_invalid("Invalid query: Syntax error")
        if queryable is not None:
            _check_queryable(query, queryable)
        if method in FILTER_METHODS:
            _check_filter(query, table)
            parsed.filters.append(query)
        elif method == "select":
            for attribute in values:
                if attribute == "*":
                    continue
                if not isinstance(attribute, str):
                    raise query_invalid("Invalid query: Syntax error")
                if attribute.startswith("$") and attribute in (*INTERNAL_ATTRIBUTES, "$permissions"):
                    continue
                _column_type(table, attribute)
            parsed.selects = [*(parsed.selects or []), *[str(v) for v in values]]
        elif method in ("orderAsc", "orderDesc"):
            attribute = query.get("attribute")
            _, is_array = _column_type(table, attribute)
            if is_array:
                raise query_invalid(f"Invalid query: Cannot order by array attribute: {attribute}")
            parsed.orders.append((str(attribute), "ASC" if method == "orderAsc" else "DESC"))
        elif method == "orderRandom":
            parsed.random = True
        elif method == "limit":
            parsed.limit = _int_value(values, "limit", 1)
        elif method == "offset":
            parsed.offset = _int_value(values, "offset", 0)
        elif method in ("cursorAfter", "cursorBefore"):
            if len(values) != 1 or not isinstance(values[0], str) or not values[0]:
                raise query_invalid("Invalid query: Invalid cursor: Cursor must contain at most 36 chars.")
            parsed.cursor = ("after" if method == "cursorAfter" else "before", values[0])
        else:
            raise query_invalid(f"Invalid query method: {method}")
    return parsed


def _check_queryable(query: dict[str, Any], queryable: Collection[str]) -> None:
    method = query.get("method")
    values = query.get("values") or []
    if method in ("and", "or"):
        for child in values:
            if isinstance(child, dict):
                _check_queryable(child, queryable)
        return
    named = [v for v in values if v != "*"] if method == "select" else [query.get("attribute")]
    if method in ("limit", "offset", "cursorAfter", "cursorBefore", "orderRandom"):
        named = []
    for attribute in named:
        if attribute not in queryable:
            raise query_invalid(f"Invalid query: Attribute not found in schema: {attribute}")


def _check_filter(query: dict[str, Any], table: TableSchema) -> None:
    method = query["method"]
    values = query.get("values") or []
    if method in ("and", "or"):
        for child in values:
            if not isinstance(child, dict) or child.get("method") not in FILTER_METHODS:
                raise query_invalid("Invalid query: Syntax error")
            _check_filter(child, table)
        if len(values) < 2:  # utopia-php/database Validator/Query/Filter.php
            raise query_invalid(f"Invalid query: {method.capitalize()} queries require at least two queries")
        return
    attribute = query.get("attribute")
    _column_type(table, attribute)
    if method in ("search", "notSearch") and not any(
        ix.type == "fulltext" and ix.columns == (attribute,) for ix in table.indexes
    ):
        # Appwrite refuses full-text search without a fulltext index; so does the emulator, to catch it early.
        raise query_invalid(f'Invalid query: Searching by attribute "{attribute}" requires a fulltext index.')
    if len(values) > MAX_VALUES:
        raise query_invalid(f"Invalid query: Query on attribute has greater than {MAX_VALUES} values: {attribute}")
    if method in ("isNull", "isNotNull"):
        return
    if method in ("between", "notBetween") and len(values) != 2:
        raise query_invalid(f"Invalid query: {method} queries require exactly two values.")
    if not values:
        raise query_invalid(f"Invalid query: {method} queries require at least one value.")


def _sql_value(table: TableSchema, attribute: str, value: Any, *, as_text: bool = False) -> Any:
    """A query value converted to the column's storage form (or a clear query error)."""
    kind, _ = _column_type(table, attribute)
    bad = query_invalid(f'Invalid query: Query value is invalid for attribute "{attribute}"')
    if as_text:
        if not isinstance(value, str):
            raise bad
        return value
    if kind == "string":
        if not isinstance(value, str):
            raise bad
        return value
    if kind == "integer":
        if isinstance(value, str) and attribute == "$sequence" and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad
        if isinstance(value, float) and not math.isfinite(value):
            raise bad
        if not MIN_INT64 <= value <= MAX_INT64:  # SQLite's INTEGER, as Appwrite's BIGINT
            raise bad
        return value
    if kind == "double":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad
        try:
            number = float(value)
        except OverflowError:  # an integer past a double (10**400)
            raise bad from None
        if not math.isfinite(number):
            raise bad
        return number
    if kind == "boolean":
        if not isinstance(value, bool):
            raise bad
        return 1 if value else 0
    if kind == "datetime":
        normalized = normalize_datetime(value)
        if normalized is None:
            raise bad
        return normalized
    raise bad


def compile_filters(filters: list[dict[str, Any]], table: TableSchema) -> tuple[str, list[Any]]:
    """AND of the filters -> (``where`` SQL, params)."""
    params: list[Any] = []
    parts = [_compile(f, table, params) for f in filters]
    return (" AND ".join(f"({p})" for p in parts) if parts else "1"), params


def _compile(query: dict[str, Any], table: TableSchema, params: list[Any]) -> str:
    method = query["method"]
    values = list(query.get("values") or [])
    if method in ("and", "or"):
        parts = [_compile(child, table, params) for child in values]
        if not parts:
            return "1"
        return f" {method.upper()} ".join(f"({p})" for p in parts)
    attribute = str(query["attribute"])
    col = quote_ident(attribute)
    _, is_array = _column_type(table, attribute)
    if method == "isNull":
        return f"{col} IS NULL" if not is_array else f"({col} IS NULL OR {col} = '[]')"
    if method == "isNotNull":
        return f"{col} IS NOT NULL" if not is_array else f"({col} IS NOT NULL AND {col} != '[]')"
    if is_array:
        if method in ("contains", "equal", "notContains"):
            converted = [_sql_value(table, attribute, v) for v in values]
            params.extend(converted)
            marks = ", ".join("?" for _ in converted)
            clause = f"EXISTS (SELECT 1 FROM json_each({col}) WHERE json_each.value IN ({marks}))"  # noqa: S608 - identifiers are schema-checked and quoted; values are bound
            return f"NOT {clause}" if method == "notContains" else clause
        raise query_invalid(f'Invalid query: Cannot query {method} on attribute "{attribute}" because it is an array.')
    if method in ("equal", "notEqual"):
        converted = [_sql_value(table, attribute, v) for v in values]
        params.extend(converted)
        marks = ", ".join("?" for _ in converted)
        return f"{col} IN ({marks})" if method == "equal" else f"{col} NOT IN ({marks})"
    comparisons = {"lessThan": "<", "lessThanEqual": "<=", "greaterThan": ">", "greaterThanEqual": ">="}
    if method in comparisons:
        params.append(_sql_value(table, attribute, values[0]))
        return f"{col} {comparisons[method]} ?"
    if method in ("between", "notBetween"):
        params.extend([_sql_value(table, attribute, values[0]), _sql_value(table, attribute, values[1])])
        return f"{col} {'NOT ' if method == 'notBetween' else ''}BETWEEN ? AND ?"
    if method in ("startsWith", "notStartsWith"):
        value = _sql_value(table, attribute, values[0], as_text=True)
        params.extend([value, value])
        clause = f"substr({col}, 1, length(?)) = ?"
        return f"NOT ({clause})" if method.startswith("not") else clause
    if method in ("endsWith", "notEndsWith"):
        value = _sql_value(table, attribute, values[0], as_text=True)
        params.extend([value, value, value])
        clause = f"(length(?) = 0 OR substr({col}, -length(?)) = ?)"
        return f"NOT {clause}" if method.startswith("not") else clause
    if method in ("contains", "notContains"):
        texts = [_sql_value(table, attribute, v, as_text=True) for v in values]
        params.extend(texts)
        clause = " OR ".join(f"instr({col}, ?) > 0" for _ in texts)
        return f"NOT ({clause})" if method == "notContains" else f"({clause})"
    if method in ("search", "notSearch"):
        text = _sql_value(table, attribute, values[0], as_text=True)
        words = [w for w in text.split() if w] or [text]
        params.extend(w.lower() for w in words)
        clause = " OR ".join(f"instr(lower({col}), ?) > 0" for _ in words)
        return f"NOT ({clause})" if method == "notSearch" else f"({clause})"
    raise query_invalid(f"Invalid query method: {method}")


def cursor_storage_value(table: TableSchema, attribute: str, row: dict[str, Any]) -> Any:
    value = row.get(attribute)
    if attribute == "$sequence":
        return int(value) if value not in (None, "") else None
    column = table.columns.get(attribute)
    if column is not None and column.type == "boolean" and value is not None:
        return 1 if value else 0
    return value


def keyset_after(orders: list[tuple[str, str]], cursor_values: list[Any]) -> tuple[str, list[Any]]:
    """Rows strictly after the cursor in ORDER BY ``orders`` (SQLite sorts NULL first ascending)."""
    params: list[Any] = []
    ors: list[str] = []
    for i, (attribute, direction) in enumerate(orders):
        ands: list[str] = []
        for j in range(i):
            prev_attr = quote_ident(orders[j][0])
            if cursor_values[j] is None:
                ands.append(f"{prev_attr} IS NULL")
            else:
                ands.append(f"{prev_attr} = ?")
                params.append(cursor_values[j])
        col = quote_ident(attribute)
        value = cursor_values[i]
        if direction == "ASC":
            if value is None:
                ands.append(f"{col} IS NOT NULL")
            else:
                ands.append(f"{col} > ?")
                params.append(value)
        elif value is None:
            ands.append("0")
        else:
            ands.append(f"({col} < ? OR {col} IS NULL)")
            params.append(value)
        ors.append("(" + " AND ".join(ands) + ")")
    return "(" + " OR ".join(ors) + ")", params


def order_sql(orders: list[tuple[str, str]]) -> str:
    return "ORDER BY " + ", ".join(f"{quote_ident(a)} {d}" for a, d in orders)


def effective_orders(parsed: ParsedQueries) -> list[tuple[str, str]]:
    orders = [o for o in parsed.orders if o[0] != "$sequence"]
    sequence = [o for o in parsed.orders if o[0] == "$sequence"]
    return [*orders, sequence[0] if sequence else ("$sequence", "ASC")]


def apply_select(row: dict[str, Any], selects: list[str] | None) -> dict[str, Any]:
    if not selects or "*" in selects:
        return row
    keep = set(selects)
    return {k: v for k, v in row.items() if k.startswith("$") or k in keep}
