"""User text in rows: stored so that Appwrite never reads it as an update operator, and read back exactly.

Appwrite takes a string value shaped like its operator JSON (``{"method":"multiply","values":[3]}``) for an
atomic operator wherever it parses operators: update, upsert, bulk update, and every operation of a transaction
(``ecotrace.ports.operator_shaped``). Commit messages, pull-request titles, workflow and job names are chosen by
whoever pushes, so any of them can be such a string. A string that is operator-shaped (or already begins with the
marker) is stored with one leading :data:`MARK`, U+2060 WORD JOINER: invisible where the text is shown, and not
JSON whitespace, so the stored value never decodes as JSON. Reading strips that one mark. Every other string is
stored as it is. So ``read_text(stored_text(s)) == s`` for every string ``s`` that fits its column, and the
stored value is never operator-shaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..ports import Row, operator_shaped

MARK = "\u2060"


def stored_text(value: str, size: int | None = None) -> str:
    """``value`` as it is stored (in a column of ``size`` characters: a value that only fits unmarked is cut by one
    character before it is marked; a value longer than ``size`` is the caller's to cut)."""
    if not (operator_shaped(value) or value.startswith(MARK)):
        return value
    if size is not None and len(value) + 1 > size:
        return stored_text(value[: size - 1], size)
    return MARK + value


def read_text(value: str) -> str:
    """A stored string as it was given to :func:`stored_text`."""
    return value[1:] if value.startswith(MARK) else value


def stored_row(row: Mapping[str, Any], sizes: Mapping[str, int] | None = None) -> Row:
    """Every string column of ``row`` (not the ``$`` keys) through :func:`stored_text`."""
    limits = sizes or {}
    return {
        key: stored_text(value, limits.get(key)) if isinstance(value, str) and not key.startswith("$") else value
        for key, value in row.items()
    }


def read_row(row: Mapping[str, Any]) -> Row:
    """Every string column of a stored row through :func:`read_text`."""
    return {
        key: read_text(value) if isinstance(value, str) and not key.startswith("$") else value
        for key, value in row.items()
    }
