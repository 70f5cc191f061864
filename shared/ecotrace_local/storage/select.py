"""Parsed queries run against one table: filters, the caller's read permissions, cursor, order, page and total.

Every listing of the stack goes through here (rows, bulk update/delete targets, function executions), so a query
means the same thing everywhere.
"""

from __future__ import annotations

from typing import Any

from ..errors import AppwriteError, user_unauthorized
from .access import Caller, can_read, table_allows
from .database import Writer
from .queries import (
    TOTAL_CAP,
    ParsedQueries,
    apply_select,
    compile_filters,
    cursor_storage_value,
    effective_orders,
    keyset_after,
    order_sql,
)
from .schema import TableSchema


def select_rows(
    w: Writer, table: TableSchema, caller: Caller, parsed: ParsedQueries, *, default_limit: int | None
) -> list[dict[str, Any]]:
    """Rows matching the parsed queries that ``caller`` may read, in order, after cursor/offset/limit."""
    where, params = compile_filters(parsed.filters, table)
    perm_sql, perm_params = read_filter(caller, table)
    where = f"({where}) AND {perm_sql}"
    params = [*params, *perm_params]
    orders = effective_orders(parsed)
    reverse = False
    if parsed.cursor is not None:
        direction, cursor_id = parsed.cursor
        cursor_row = w.get(table, cursor_id)
        if cursor_row is None or not can_read(caller, table, cursor_row):  # unreadable: as unknown (no oracle)
            raise AppwriteError(400, "general_cursor_not_found", f"Row '{cursor_id}' for the 'cursor' value not found.")
        if direction == "before":
            reverse = True
            orders = [(a, "DESC" if d == "ASC" else "ASC") for a, d in orders]
        key_sql, key_params = keyset_after(orders, [cursor_storage_value(table, a, cursor_row) for a, _ in orders])
        where = f"{where} AND {key_sql}"
        params = [*params, *key_params]
    limit = parsed.limit if parsed.limit is not None else default_limit
    order = "ORDER BY random()" if parsed.random else order_sql(orders)
    tail = f"{order} LIMIT ? OFFSET ?"
    rows = w.query(table, where, [*params, -1 if limit is None else limit, parsed.offset], tail)
    if reverse:
        rows.reverse()
    return rows


def read_filter(caller: Caller, table: TableSchema) -> tuple[str, list[Any]]:
    """SQL limiting rows to those ``caller`` may read (all, when the table grants read)."""
    if table_allows(caller, table, "read"):
        return "1", []
    if not table.row_security:
        raise user_unauthorized()
    perms = [f'read("{role}")' for role in sorted(caller.roles)]
    marks = ", ".join("?" for _ in perms)
    return f'EXISTS (SELECT 1 FROM json_each("$permissions") WHERE json_each.value IN ({marks}))', perms  # noqa: S608 - identifiers are schema-checked and quoted; values are bound


def page(
    w: Writer,
    table: TableSchema,
    caller: Caller,
    parsed: ParsedQueries,
    *,
    default_limit: int | None,
    want_total: bool,
) -> tuple[int, list[dict[str, Any]]]:
    """One page of a listing: (total matched, at most ``TOTAL_CAP``, or 0 when not wanted; the page's rows with
    the queries' ``select`` applied)."""
    rows = select_rows(w, table, caller, parsed, default_limit=default_limit)
    total = 0
    if want_total:
        where, params = compile_filters(parsed.filters, table)
        perm_sql, perm_params = read_filter(caller, table)
        total = w.count(table, f"({where}) AND {perm_sql}", [*params, *perm_params], TOTAL_CAP)
    return total, [apply_select(r, parsed.selects) for r in rows]
