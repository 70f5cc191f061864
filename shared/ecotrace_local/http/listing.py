"""The ``queries`` of Appwrite's listing routes that are not row queries (users, databases, tables, columns,
indexes, functions): ``limit`` and ``offset`` only, as the CLI and the SDKs page through them
(``Query.limit(n)``, ``Query.offset(n)``); any other query is 400 ``general_query_invalid``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

from ..storage.queries import query_invalid

T = TypeVar("T")
DEFAULT_LIMIT = 25
MAX_LIMIT = 5000


def page_bounds(raw: Any, default_limit: int = DEFAULT_LIMIT) -> tuple[int, int]:
    """``(limit, offset)`` from ``queries`` (JSON strings, as the SDKs send them)."""
    limit, offset = default_limit, 0
    for item in raw if isinstance(raw, list) else []:
        try:
            query = json.loads(item) if isinstance(item, str) else item
            method, values = query["method"], query.get("values") or []
            number = int(values[0])
        except (ValueError, TypeError, KeyError, IndexError):
            raise query_invalid(f"Invalid query: {item}") from None
        if method == "limit" and 0 <= number <= MAX_LIMIT:
            limit = number
        elif method == "offset" and number >= 0:
            offset = number
        else:
            raise query_invalid(f"Invalid query: {item}")
    return limit, offset


def page(items: Sequence[T], raw: Any, default_limit: int = DEFAULT_LIMIT) -> list[T]:
    """The page of ``items`` the ``queries`` ask for."""
    limit, offset = page_bounds(raw, default_limit)
    return list(items[offset : offset + limit])
