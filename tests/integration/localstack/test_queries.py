"""Appwrite queries over the wire: operators, ordering, cursors, totals, and the query errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from appwrite.exception import AppwriteException
from appwrite.query import Query
from appwrite.services.tables_db import TablesDB
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecotrace_local.storage.database import Writer
from ecotrace_local.testing import StackHandle
from tests.integration.localstack.ls_support import DB

ROWS: list[dict[str, Any]] = [
    {"$id": "r0", "title": "apple", "count": 5, "tags": ["red", "fruit"], "kind": "a", "due": "2025-01-01T00:00:00Z"},
    {"$id": "r1", "title": "apricot", "count": 1, "tags": ["fruit"], "kind": "b", "due": "2025-02-01T00:00:00Z"},
    {"$id": "r2", "title": "banana", "count": 9, "tags": [], "done": True},
    {"$id": "r3", "title": "blueberry", "tags": ["blue"], "kind": "a", "body": "a sweet blue fruit"},
    {"$id": "r4", "title": "cherry", "count": 5, "tags": ["red"], "due": "2024-12-31T23:59:59Z"},
]


def ids(result: Any) -> list[str]:
    return [r.id for r in result.rows]


@pytest.fixture
def seeded(tables: TablesDB) -> TablesDB:
    tables.create_rows(DB, "notes", [{k: v for k, v in r.items() if v is not None} for r in ROWS])
    return tables


@pytest.mark.parametrize(
    ("queries", "expected"),
    [
        ([Query.equal("title", "apple")], ["r0"]),
        ([Query.equal("count", [1, 9])], ["r1", "r2"]),
        ([Query.not_equal("count", 5)], ["r1", "r2", "r3"]),
        ([Query.less_than("count", 5)], ["r1", "r3"]),  # a missing count takes the default 0
        ([Query.less_than_equal("count", 5)], ["r0", "r1", "r3", "r4"]),
        ([Query.greater_than("count", 5)], ["r2"]),
        ([Query.greater_than_equal("count", 5)], ["r0", "r2", "r4"]),
        ([Query.between("count", 2, 9)], ["r0", "r2", "r4"]),
        ([Query.is_null("due")], ["r2", "r3"]),
        ([Query.is_not_null("kind")], ["r0", "r1", "r3"]),
        ([Query.starts_with("title", "ap")], ["r0", "r1"]),
        ([Query.ends_with("title", "rry")], ["r3", "r4"]),
        ([Query.contains("tags", "red")], ["r0", "r4"]),
        ([Query.contains("tags", ["blue", "fruit"])], ["r0", "r1", "r3"]),
        ([Query.contains("title", "an")], ["r2"]),
        ([Query.search("body", "sweet")], ["r3"]),
        ([Query.equal("done", True)], ["r2"]),
        ([Query.equal("kind", "a"), Query.greater_than("count", 1)], ["r0"]),
        ([Query.or_queries([Query.equal("title", "apple"), Query.equal("count", 9)])], ["r0", "r2"]),
        (
            [Query.and_queries([Query.starts_with("title", "b"), Query.greater_than("count", 0)])],
            ["r2"],
        ),
        ([Query.greater_than("due", "2025-01-01T00:00:00.000+00:00")], ["r1"]),
        ([Query.less_than("due", "2025-01-01")], ["r4"]),
        ([Query.equal("$id", ["r3", "r4"])], ["r3", "r4"]),
        ([Query.order_desc("count")], ["r2", "r0", "r4", "r1", "r3"]),
        ([Query.order_asc("count"), Query.order_desc("title")], ["r3", "r1", "r4", "r0", "r2"]),
        ([Query.order_desc("$sequence"), Query.limit(2)], ["r4", "r3"]),
        ([Query.limit(2), Query.offset(1)], ["r1", "r2"]),
    ],
)
def test_operators(seeded: TablesDB, queries: list[str], expected: list[str]) -> None:
    assert ids(seeded.list_rows(DB, "notes", queries)) == expected


def test_queries_on_created_at_and_sequence(seeded: TablesDB) -> None:
    r2 = seeded.get_row(DB, "notes", "r2")
    assert ids(seeded.list_rows(DB, "notes", [Query.greater_than("$sequence", r2.sequence)])) == ["r3", "r4"]
    created = seeded.list_rows(DB, "notes", [Query.created_before("2999-01-01T00:00:00.000+00:00")])
    assert created.total == 5


def test_select_returns_chosen_columns_plus_metadata(seeded: TablesDB) -> None:
    row = seeded.list_rows(DB, "notes", [Query.select(["title"]), Query.limit(1)]).rows[0]
    assert row.data == {"title": "apple"}
    assert row.id == "r0"
    assert row.tableid == "notes"


def test_cursor_pagination_walks_every_row_once(seeded: TablesDB) -> None:
    seen: list[str] = []
    cursor: list[str] = []
    while True:
        page = seeded.list_rows(DB, "notes", [Query.order_desc("count"), Query.limit(2), *cursor])
        if not page.rows:
            break
        seen += ids(page)
        cursor = [Query.cursor_after(page.rows[-1].id)]
    assert seen == ["r2", "r0", "r4", "r1", "r3"]
    back = seeded.list_rows(DB, "notes", [Query.order_desc("count"), Query.limit(2), Query.cursor_before("r1")])
    assert ids(back) == ["r0", "r4"]


def test_total_counts_all_matches_and_can_be_skipped(seeded: TablesDB) -> None:
    page = seeded.list_rows(DB, "notes", [Query.limit(1)])
    assert page.total == 5
    assert len(page.rows) == 1
    assert seeded.list_rows(DB, "notes", total=False).total == 0


def test_default_limit_is_25_and_total_is_capped_at_5000(stack: StackHandle, tables: TablesDB) -> None:
    table = stack.stack.schema.table(DB, "notes")

    def bulk(w: Writer) -> None:  # straight into SQLite: 5001 API calls would be slow
        stamp = "2025-01-01T00:00:00.000+00:00"
        w.conn.executemany(
            f'INSERT INTO {table.sql_name} ("$id", "$createdAt", "$updatedAt", "$permissions", "title") '
            "VALUES (?, ?, ?, '[]', 't')",
            [(f"x{i}", stamp, stamp) for i in range(5001)],
        )

    stack.stack.db.write(bulk)
    page = tables.list_rows(DB, "notes")
    assert len(page.rows) == 25
    assert page.total == 5000


def _error(tables: TablesDB, queries: list[str]) -> AppwriteException:
    with pytest.raises(AppwriteException) as err:
        tables.list_rows(DB, "notes", queries)
    return err.value


def test_query_errors(seeded: TablesDB) -> None:
    bad_json = _error(seeded, ["{not json"])
    assert (bad_json.code, bad_json.type, bad_json.message) == (
        400,
        "general_query_invalid",
        "Invalid query: Syntax error",
    )
    assert _error(seeded, ['{"method":"foo","attribute":"title","values":[1]}']).message == "Invalid query method: foo"
    assert _error(seeded, [Query.equal("nope", "x")]).message == "Invalid query: Attribute not found in schema: nope"
    assert _error(seeded, [Query.equal("title", list(range(501)))]).message == (
        "Invalid query: Query on attribute has greater than 500 values: title"
    )
    assert _error(seeded, [Query.equal("count", "five")]).type == "general_query_invalid"
    too_many = _error(seeded, [Query.limit(1)] * 101)
    assert (too_many.code, too_many.type) == (400, "general_argument_invalid")
    assert too_many.message.startswith("Invalid `queries` param: Value must a valid array no longer than 100 items")
    assert _error(seeded, [Query.search("title", "apple")]).message == (
        'Invalid query: Searching by attribute "title" requires a fulltext index.'
    )
    cursor = _error(seeded, [Query.cursor_after("ghost")])
    assert (cursor.type, cursor.message) == (
        "general_cursor_not_found",
        "Row 'ghost' for the 'cursor' value not found.",
    )


def test_queries_arrive_as_get_query_string_and_post_body(stack: StackHandle, seeded: TablesDB) -> None:
    headers = {"X-Appwrite-Project": stack.project_id, "X-Appwrite-Key": stack.api_key}
    url = f"{stack.endpoint}/tablesdb/{DB}/tables/notes/rows"
    q = [Query.equal("kind", "a"), Query.order_desc("title")]
    by_get = requests.get(url, params={"queries[0]": q[0], "queries[1]": q[1]}, headers=headers, timeout=5).json()
    by_post = requests.post(url + "/query", json={"queries": q}, headers=headers, timeout=5).json()
    assert [r["$id"] for r in by_get["rows"]] == ["r3", "r0"]
    assert by_post == by_get


# ------------------------------------------------------------------------------ property: SQL == Python

COUNTS = st.one_of(st.none(), st.integers(min_value=0, max_value=6))
TITLES = st.sampled_from(["a", "ab", "abc", "b", "ba", "c"])


def _matches(row: dict[str, Any], method: str, attribute: str, values: list[Any]) -> bool:
    value = row.get(attribute)
    if method == "isNull":
        return value is None
    if method == "isNotNull":
        return value is not None
    if value is None:
        return False
    if method == "equal":
        return value in values
    if method == "notEqual":
        return value not in values
    if method == "lessThan":
        return bool(value < values[0])
    if method == "greaterThanEqual":
        return bool(value >= values[0])
    if method == "between":
        return bool(values[0] <= value <= values[1])
    if method == "startsWith":
        return str(value).startswith(values[0])
    raise AssertionError(method)


FILTERS = st.one_of(
    st.tuples(
        st.sampled_from(["equal", "notEqual"]), st.just("score"), st.lists(st.integers(0, 6), min_size=1, max_size=3)
    ),
    st.tuples(
        st.sampled_from(["lessThan", "greaterThanEqual"]), st.just("score"), st.integers(0, 6).map(lambda v: [v])
    ),
    st.tuples(st.just("between"), st.just("score"), st.tuples(st.integers(0, 6), st.integers(0, 6)).map(list)),
    st.tuples(st.sampled_from(["isNull", "isNotNull"]), st.just("score"), st.just([])),
    st.tuples(st.just("startsWith"), st.just("title"), st.sampled_from(["a", "ab", "b", "x"]).map(lambda v: [v])),
    st.tuples(st.sampled_from(["equal", "notEqual"]), st.just("title"), st.lists(TITLES, min_size=1, max_size=2)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    filters=st.lists(FILTERS, max_size=2),
    order=st.sampled_from([None, "orderAsc", "orderDesc"]),
    limit=st.integers(min_value=1, max_value=12),
)
def test_list_agrees_with_a_python_model(
    stack: StackHandle, tables: TablesDB, filters: list[tuple[str, str, list[Any]]], order: str | None, limit: int
) -> None:
    data = [
        {"$id": f"p{i}", "title": ["a", "ab", "abc", "b", "ba", "c"][i % 6], "score": [None, 0, 3, 3, 6, 2, 5][i % 7]}
        for i in range(12)
    ]
    if tables.list_rows(DB, "notes", [Query.limit(1)]).total == 0:
        tables.create_rows(DB, "notes", [{k: v for k, v in r.items() if v is not None} for r in data])
    queries = [json.dumps({"method": m, "attribute": a, "values": v}) for m, a, v in filters]
    expected = [r for r in data if all(_matches(r, m, a, v) for m, a, v in filters)]
    if order:
        # SQLite (like MariaDB) sorts NULL first ascending; ties keep insertion ($sequence) order.
        def key(r: dict[str, Any]) -> tuple[int, int]:
            return (0, 0) if r["score"] is None else (1, r["score"])

        asc = sorted(expected, key=key)
        if order == "orderDesc":
            asc = sorted(expected, key=lambda r: tuple(-k for k in key(r)))
        expected = asc
        queries.append(json.dumps({"method": order, "attribute": "score"}))
    queries.append(Query.limit(limit))
    result = tables.list_rows(DB, "notes", queries)
    assert ids(result) == [r["$id"] for r in expected][:limit]
    assert result.total == len(expected)
