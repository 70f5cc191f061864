"""Appwrite's update operators, as the port sends them and refuses them (see the package docstring).

Appwrite reads a string value shaped like its operator JSON (``{"method":"increment",...}``) as an atomic operator
on update, upsert and bulk update, and inside a transaction on every action (appwrite/appwrite
``Databases/Transactions/Update.php`` runs ``parseOperators`` on each staged operation's data). :class:`Add` is the
one way EcoTrace sends one; :func:`wire_data` turns it into the JSON and refuses any other operator-shaped value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from appwrite.operator import Operator

from ..errors import UnprocessableError

Row = dict[str, Any]

# utopia-php/database ``Operator::isMethod`` (src/Database/Operator.php): the methods Appwrite parses.
OPERATOR_METHODS = frozenset(
    {
        "increment", "decrement", "multiply", "divide", "modulo", "power", "stringConcat", "stringReplace",
        "arrayAppend", "arrayPrepend", "arrayInsert", "arrayRemove", "arrayUnique", "arrayIntersect", "arrayDiff",
        "arrayFilter", "toggle", "dateAddDays", "dateSubDays", "dateSetNow",
    }
)  # fmt: skip


class OperatorTextError(UnprocessableError):
    """A string Appwrite would read as an update operator was about to be sent where it would be read as one."""

    code = "operator_text"


def operator_shaped(value: object) -> bool:
    """Whether Appwrite would take the string ``value`` for an operator: it JSON-decodes (leading JSON whitespace
    allowed) to an object whose ``method`` is a string ``Operator::isMethod`` accepts (appwrite/appwrite
    ``Databases/Action.php`` ``parseOperators``). Errs on the side of yes (Python's decoder accepts ``NaN``)."""
    if not isinstance(value, str) or not value.lstrip(" \t\n\r").startswith("{"):
        return False
    try:
        decoded = json.loads(value)
    except (ValueError, RecursionError):
        return False
    method = decoded.get("method") if isinstance(decoded, dict) else None
    return isinstance(method, str) and method in OPERATOR_METHODS


@dataclass(frozen=True)
class Add:
    """An atomic change of a numeric column by ``value`` (negative: subtract), sent as Appwrite's increment or
    decrement operator in an update or upsert. Where the upsert creates the row, Appwrite applies it to the
    column's default (utopia-php/database ``Adapter/SQL.php`` ``upsertDocuments``: "For new documents, apply
    operators to attribute defaults"), so a column with default 0 starts at ``value``."""

    value: float

    def wire(self) -> str:
        return str(Operator.increment(self.value) if self.value >= 0 else Operator.decrement(-self.value))


def _wire_value(key: str, value: Any, where: str) -> Any:
    if isinstance(value, Add):
        return value.wire()
    if operator_shaped(value) or (isinstance(value, dict) and isinstance(value.get("method"), str)):
        raise OperatorTextError(
            f"{where}: the value of {key!r} would be read by Appwrite as an update operator; "
            "user text must go through the row codec (ecotrace.tables.text)",
            details={"column": key},
        )
    if isinstance(value, list | dict):
        return _wire_nested(value, where)
    return value


def _wire_nested(value: list[Any] | dict[Any, Any], where: str) -> Any:
    """Appwrite's recursion: inside an array, strings are left alone and nested arrays are parsed again."""
    if isinstance(value, dict):
        return wire_data(value, where)
    return [_wire_nested(item, where) if isinstance(item, list | dict) else item for item in value]


def wire_data(data: Row, where: str) -> Row:
    """``data`` as it may be sent where Appwrite parses operators: :class:`Add` values become operator JSON, and a
    string that would be read as an operator raises :class:`OperatorTextError` (``$``-keys are never parsed)."""
    out: Row = {}
    for key, value in data.items():
        out[key] = value if str(key).startswith("$") else _wire_value(str(key), value, where)
    return out
