"""Appwrite's atomic update operators: strings shaped like the SDK's ``Operator`` JSON (``{"method","values"}``)
in update, upsert and bulk-update data are replaced by the value they compute from the current row."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from ..errors import AppwriteError
from .schema import TableSchema
from .timestamps import format_datetime, now_iso, parse_datetime

OPERATOR_METHODS = {
    "increment", "decrement", "multiply", "divide", "modulo", "power", "arrayAppend", "arrayPrepend",
    "arrayInsert", "arrayRemove", "arrayUnique", "arrayIntersect", "arrayDiff", "arrayFilter", "stringConcat",
    "stringReplace", "toggle", "dateAddDays", "dateSubDays", "dateSetNow",
}  # fmt: skip


def _as_operator(value: Any) -> tuple[str, list[Any]] | None:
    """A string shaped like the SDK's ``Operator`` JSON (``{"method","values"}``), else None."""
    if not isinstance(value, str) or not value.startswith("{") or '"method"' not in value:
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    if not isinstance(parsed, dict) or set(parsed) - {"method", "values"}:
        return None
    method, values = parsed.get("method"), parsed.get("values", [])
    if method not in OPERATOR_METHODS or not isinstance(values, list):
        return None
    return str(method), values


def _operator_error(key: str, detail: str) -> AppwriteError:
    return AppwriteError(400, "general_argument_invalid", f'Invalid operator for attribute "{key}": {detail}')


def _number_arg(key: str, values: list[Any], i: int, default: float | None = None) -> float | None:
    value = values[i] if i < len(values) else default
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise _operator_error(key, "value must be numeric")
    return value


def _apply_numeric(key: str, method: str, current: Any, values: list[Any]) -> Any:
    cur = current if current is not None else 0
    arg = _number_arg(key, values, 0, 1 if method in ("increment", "decrement") else None)
    bound = _number_arg(key, values, 1)
    if arg is None:
        raise _operator_error(key, "a value is required")
    if method == "increment":
        new = cur + arg
    elif method == "decrement":
        new = cur - arg
    elif method == "multiply":
        new = cur * arg
    elif method in ("divide", "modulo"):
        if arg == 0:
            raise _operator_error(key, "division by zero")
        new = cur / arg if method == "divide" else cur % arg
    else:
        new = cur**arg
    if bound is not None:
        new = min(new, bound) if method in ("increment", "multiply", "power") else max(new, bound)
    return int(new) if isinstance(cur, int) and float(new).is_integer() and method != "divide" else new


def _filter_keep(item: Any, values: list[Any]) -> bool:
    condition = str(values[0]) if values else "isNotNull"
    operand = values[1] if len(values) > 1 else None
    if condition == "equal":
        return bool(item == operand)
    if condition == "notEqual":
        return bool(item != operand)
    if condition in ("greaterThan", "lessThan"):
        if item is None or operand is None:
            return False
        return bool(item > operand) if condition == "greaterThan" else bool(item < operand)
    if condition == "isNull":
        return item is None
    return item is not None


def apply_operators(table: TableSchema, existing: dict[str, Any] | None, values: dict[str, Any]) -> dict[str, Any]:
    """Replace operator strings in update data by the value they compute from the current row."""
    out = dict(values)
    for key, value in values.items():
        operator = _as_operator(value)
        column = table.columns.get(key)
        if operator is None or column is None:
            continue
        method, args = operator
        current = existing.get(key) if existing is not None else None
        if method in ("increment", "decrement", "multiply", "divide", "modulo", "power"):
            out[key] = _apply_numeric(key, method, current, args)
        elif method.startswith("array"):
            items = list(current or [])
            if method == "arrayAppend":
                items += args
            elif method == "arrayPrepend":
                items = args + items
            elif method == "arrayInsert":
                if len(args) != 2 or not isinstance(args[0], int) or not 0 <= args[0] <= len(items):
                    raise _operator_error(key, "index out of range")
                items.insert(args[0], args[1])
            elif method == "arrayRemove":
                items = [i for i in items if i not in args]
            elif method == "arrayUnique":
                items = list(dict.fromkeys(items))
            elif method == "arrayIntersect":
                items = [i for i in items if i in args]
            elif method == "arrayDiff":
                items = [i for i in items if i not in args]
            else:
                items = [i for i in items if _filter_keep(i, args)]
            out[key] = items
        elif method == "stringConcat":
            out[key] = f"{current or ''}{args[0] if args else ''}"
        elif method == "stringReplace":
            if len(args) != 2 or not all(isinstance(a, str) for a in args):
                raise _operator_error(key, "search and replace strings are required")
            out[key] = (current or "").replace(args[0], args[1])
        elif method == "toggle":
            out[key] = not bool(current)
        elif method == "dateSetNow":
            out[key] = now_iso()
        else:
            days = _number_arg(key, args, 0)
            base = parse_datetime(current) if current else None
            if base is None or days is None:
                raise _operator_error(key, "a date and a number of days are required")
            out[key] = format_datetime(base + timedelta(days=days if method == "dateAddDays" else -days))
    return out
