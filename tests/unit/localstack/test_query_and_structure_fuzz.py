"""Bad input never crashes the local stack's parsers: any query string or row payload either parses or raises
Appwrite's error (a 4xx), never another exception; compiled SQL always runs on SQLite."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ecotrace_local.errors import AppwriteError
from ecotrace_local.storage.codec import validate_values
from ecotrace_local.storage.queries import compile_filters, parse_queries
from ecotrace_local.storage.schema import Column, TableSchema
from ecotrace_local.storage.timestamps import normalize_datetime

TABLE = TableSchema(
    database_id="db",
    table_id="t",
    name="t",
    permissions=(),
    row_security=False,
    enabled=True,
    columns={
        "name": Column("name", "string", required=True, size=8),
        "n": Column("n", "integer", min=0, max=10),
        "x": Column("x", "double"),
        "ok": Column("ok", "boolean"),
        "when": Column("when", "datetime"),
        "tags": Column("tags", "string", array=True, size=4),
        "kind": Column("kind", "string", format="enum", elements=("a", "b")),
    },
    indexes=(),
)
ATTRIBUTES = st.sampled_from([*TABLE.columns, "$id", "$sequence", "$createdAt", "nope", ""])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
METHODS = st.sampled_from(
    [
        "equal",
        "notEqual",
        "lessThan",
        "greaterThanEqual",
        "between",
        "isNull",
        "startsWith",
        "endsWith",
        "contains",
        "search",
        "and",
        "or",
        "select",
        "orderAsc",
        "orderDesc",
        "limit",
        "offset",
        "cursorAfter",
        "foo",
    ]
)
QUERY = st.fixed_dictionaries(
    {"method": METHODS}, optional={"attribute": ATTRIBUTES, "values": st.lists(JSON_VALUES, max_size=3)}
).map(json.dumps)


def _sqlite() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    cols = ", ".join(f'"{c}"' for c in TABLE.columns)
    conn.execute(f'CREATE TABLE t ("$id", "$sequence", "$createdAt", "$updatedAt", "$permissions", {cols})')
    return conn


@settings(max_examples=150)
@given(st.lists(st.one_of(QUERY, st.text(max_size=40)), max_size=4))
def test_any_queries_parse_or_fail_with_an_appwrite_error(queries: list[str]) -> None:
    error: AppwriteError | None = None
    try:
        parsed = parse_queries(queries, TABLE)
        where, params = compile_filters(parsed.filters, TABLE)
    except AppwriteError as exc:
        error = exc
    if error is not None:
        assert 400 <= error.status < 500
    else:
        _sqlite().execute(f"SELECT * FROM t WHERE {where}", params).fetchall()


@settings(max_examples=150)
@given(st.dictionaries(st.sampled_from([*TABLE.columns, "other"]), JSON_VALUES, max_size=5))
def test_any_row_payload_validates_or_fails_with_a_structure_error(data: dict[str, Any]) -> None:
    error: AppwriteError | None = None
    try:
        stored = validate_values(TABLE, data)
    except AppwriteError as exc:
        error = exc
    if error is not None:
        assert error.type == "row_invalid_structure"
    else:
        assert set(stored) == set(TABLE.columns)
        assert isinstance(stored["name"], str)
        assert len(stored["name"]) <= 8


@given(st.datetimes(timezones=st.timezones()))
def test_datetimes_normalise_to_utc_milliseconds(moment: Any) -> None:
    text = normalize_datetime(moment.isoformat())
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:  # before year 1 once in UTC: refused, not crashed
        assert text is None
        return
    assert text is not None
    assert text == utc.strftime("%Y-%m-%dT%H:%M:%S.").zfill(20) + f"{utc.microsecond // 1000:03d}+00:00"
    assert datetime.fromisoformat(text) == utc.replace(microsecond=utc.microsecond // 1000 * 1000)
