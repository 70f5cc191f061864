"""Between a row's JSON (as the REST API shows it) and its SQLite storage form: Appwrite's structure validation
(in its order, with its messages), column defaults, and the decoding of a stored record."""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Mapping
from typing import Any

from ..errors import AppwriteError, invalid_structure
from .schema import FLOAT_MAX, INT64_MAX, INT64_MIN, Column, TableSchema, roles_for
from .timestamps import normalize_datetime


def _format_range_number(value: float, is_int: bool) -> str:
    if is_int:
        return f"{int(value):,}"
    if value == int(value) and abs(value) < 1e16:
        return f"{int(value):,}"
    return f"{value:,}"


def _type_description(column: Column) -> str:
    if column.type == "string":
        return f"Value must be a valid string and no longer than {column.size} chars"
    if column.type == "integer":
        return "Value must be a valid integer"
    if column.type == "double":
        return "Value must be a valid float"
    if column.type == "boolean":
        return "Value must be a valid boolean"
    if column.type == "datetime":
        return "Value must be valid date between 0000-01-01 and 9999-12-31."
    return "Value is invalid"


def check_value(column: Column, value: Any, label: str) -> Any:
    """Validate one scalar for ``column``; return its storage form. Raises the Appwrite structure error."""

    def bad(kind: str, description: str) -> AppwriteError:
        return invalid_structure(f'Attribute "{label}" has invalid {kind}. {description}')

    if column.type == "string":
        if column.format == "enum":
            if not isinstance(value, str):
                raise bad("type", "Value must be a valid string and no longer than 0 chars")
            if value not in (column.elements or ()):
                raise bad("format", f"Value must be one of ({', '.join(column.elements or ())})")
            return value
        if not isinstance(value, str) or (column.size is not None and len(value) > column.size):
            raise bad("type", _type_description(column))
        if column.format == "email" and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
            raise bad("format", "Value must be a valid email address")
        if column.format == "url" and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://\S+$", value):
            raise bad("format", "Value must be a valid URL")
        return value
    if column.type in ("integer", "double"):
        is_int = column.type == "integer"
        if isinstance(value, bool) or not isinstance(value, int | float) or (is_int and not isinstance(value, int)):
            raise bad("type", _type_description(column))
        if isinstance(value, float) and not math.isfinite(value):
            raise bad("type", _type_description(column))
        low = column.min if column.min is not None else (INT64_MIN if is_int else -FLOAT_MAX)
        high = column.max if column.max is not None else (INT64_MAX if is_int else FLOAT_MAX)
        if value < low or value > high:
            raise bad(
                "format",
                f"Value must be a valid range between {_format_range_number(low, is_int)} "
                f"and {_format_range_number(high, is_int)}",
            )
        return int(value) if is_int else float(value)
    if column.type == "boolean":
        if not isinstance(value, bool):
            raise bad("type", _type_description(column))
        return 1 if value else 0
    if column.type == "datetime":
        normalized = normalize_datetime(value)
        if normalized is None:
            raise bad("type", _type_description(column))
        return normalized
    raise bad("type", _type_description(column))


def validate_values(table: TableSchema, values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a complete set of user columns (as Appwrite's Structure validator does, in its order) and
    return their SQLite storage form. ``values`` holds every column the row will have (unset = absent/None)."""
    for column in table.columns.values():
        value = values.get(column.key)
        if column.required and value is None:
            raise invalid_structure(f'Missing required attribute "{column.key}"')
    for key in values:
        if key not in table.columns:
            raise invalid_structure(f'Unknown attribute: "{key}"')
    stored: dict[str, Any] = {}
    for column in table.columns.values():
        value = values.get(column.key)
        if value is None:
            stored[column.key] = None if not column.array else "[]"
            continue
        if column.array:
            if not isinstance(value, list):
                raise invalid_structure(f'Attribute "{column.key}" must be an array')
            items = [check_value(column, item, f"{column.key}['{i}']") for i, item in enumerate(value)]
            if column.type == "boolean":
                items = [bool(item) for item in items]
            stored[column.key] = json.dumps(items)
        else:
            stored[column.key] = check_value(column, value, column.key)
    return stored


def defaults_for(table: TableSchema) -> dict[str, Any]:
    return {c.key: c.default for c in table.columns.values() if c.default is not None}


def decode_row(table: TableSchema, record: sqlite3.Row) -> dict[str, Any]:
    """A SQLite record -> the row JSON exactly as the REST API returns it."""
    out: dict[str, Any] = {}
    for column in table.columns.values():
        raw = record[column.key]
        if column.array:
            out[column.key] = json.loads(raw) if raw else []
        elif raw is None:
            out[column.key] = None
        elif column.type == "boolean":
            out[column.key] = bool(raw)
        elif column.type == "double":
            out[column.key] = float(raw)
        else:
            out[column.key] = raw
    out["$id"] = record["$id"]
    out["$sequence"] = str(record["$sequence"])
    out["$createdAt"] = record["$createdAt"]
    out["$updatedAt"] = record["$updatedAt"]
    out["$permissions"] = json.loads(record["$permissions"] or "[]")
    out["$databaseId"] = table.database_id
    out["$tableId"] = table.table_id
    return out


def user_values(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith("$")}


def event_roles(table: TableSchema, row: Mapping[str, Any]) -> frozenset[str]:
    roles = set(table.roles_for("read"))
    if table.row_security:
        roles |= roles_for(row.get("$permissions", []), "read")
    return frozenset(roles)
