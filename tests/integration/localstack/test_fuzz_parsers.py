"""Fuzz targets (hypothesis) for what reads caller-controlled JSON text (issue 14): the local stack's query parser,
over HTTP and in process on a real SQLite file, and the functions' JSON reader (``request_json``). Inputs are built
to hit what broke before: lone UTF-16 surrogate escapes, numbers past 64 bits or past a double, ``NaN`` and
``Infinity``, deep nesting, ``and``/``or`` trees, odd methods and attributes. Whatever comes in, the answer is a
result or the reader's own 4xx error: never a 5xx, another exception, or a traceback in the log."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecotrace.entrypoints.http import request_json
from ecotrace.errors import ValidationError
from ecotrace_local.errors import AppwriteError
from ecotrace_local.events import EventBus
from ecotrace_local.storage.access import GUEST, PROJECT_KEY
from ecotrace_local.storage.database import Database
from ecotrace_local.storage.queries import parse_queries
from ecotrace_local.storage.schema import Schema
from ecotrace_local.storage.select import page
from ecotrace_local.testing import StackHandle
from tests.integration.localstack.ls_support import DB, TEST_APPWRITE_JSON

# Raw JSON tokens that Python's json.dumps cannot write: each stands in a string and is swapped in afterwards.
RAW_TOKENS = {
    "\x00NaN": "NaN",
    "\x00Inf": "Infinity",
    "\x00-Inf": "-Infinity",
    "\x00big-float": "1e400",
    "\x00big-int": "1" + "0" * 400,
    "\x00lone-high": '"\\ud800"',
    "\x00lone-low": '"x\\udfff"',
    "\x00pair": '"\\ud83d\\ude00"',  # a valid pair: a real character
}
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64, 0, -1]),
    st.floats(allow_nan=False, allow_infinity=False),
)
SCALARS = st.one_of(
    st.none(), st.booleans(), NUMBERS, st.text(max_size=12), st.sampled_from(sorted(RAW_TOKENS)),
    st.sampled_from(["2026-01-01T00:00:00.000+00:00", "not a date", "", "*", "unique()"]),
)  # fmt: skip
ATTRIBUTES = st.sampled_from(
    ["title", "body", "slug", "count", "score", "done", "tags", "kind", "due", "$id", "$sequence", "$createdAt",
     "$updatedAt", "$permissions", "nope", "", "\x00lone-high"]
)  # fmt: skip
METHODS = st.sampled_from(
    ["equal", "notEqual", "lessThan", "lessThanEqual", "greaterThan", "greaterThanEqual", "between", "notBetween",
     "isNull", "isNotNull", "startsWith", "notStartsWith", "endsWith", "notEndsWith", "contains", "notContains",
     "search", "notSearch", "select", "orderAsc", "orderDesc", "orderRandom", "limit", "offset", "cursorAfter",
     "cursorBefore", "and", "or", "foo", ""]
)  # fmt: skip


def _query(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"method": METHODS},
        optional={"attribute": ATTRIBUTES, "values": st.lists(st.one_of(SCALARS, children), max_size=4)},
    )


QUERIES = st.recursive(_query(st.nothing()), _query, max_leaves=12)


@st.composite
def deep(draw: st.DrawFn) -> str:
    """A chain of and/or (one or two children per level) or of bare arrays, up to past every limit."""
    depth = draw(st.integers(min_value=1, max_value=200))
    leaf = '{"method":"isNull","attribute":"title"}'
    if draw(st.booleans()):
        return "[" * depth + "]" * depth
    text = leaf
    for _ in range(depth):
        sibling = "," + leaf if draw(st.booleans()) else ""
        text = '{"method":"' + draw(st.sampled_from(["and", "or"])) + '","values":[' + text + sibling + "]}"
    return text


def render(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"))
    for token, raw in RAW_TOKENS.items():
        text = text.replace(json.dumps(token), raw)
    return text


ODD_TEXTS = ["", "null", "[]", "{}", '{"method":null}', "\ufeff{}", '{"method":"limit","values":["' + "9" * 30 + '"]}']
QUERY_TEXTS = st.one_of(
    QUERIES.map(render),
    deep(),
    st.text(max_size=40),
    st.sampled_from(
        ["", "null", "[]", "{}", '{"method":null}', "\ufeff{}", '{"method":"limit","values":["' + "9" * 30 + '"]}']
    ),
)


def _error_records(records: list[logging.LogRecord]) -> list[str]:
    return [r.getMessage() for r in records if r.exc_info or r.levelno >= logging.ERROR]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(queries=st.lists(QUERY_TEXTS, max_size=4), as_guest=st.booleans(), in_body=st.booleans())
def test_queries_over_http_are_answered_never_with_a_5xx(
    stack: StackHandle, server_log: list[logging.LogRecord], queries: list[str], as_guest: bool, in_body: bool
) -> None:
    server_log.clear()  # hypothesis reuses the fixture: only this example's records count
    headers = {"X-Appwrite-Project": stack.project_id}
    if not as_guest:
        headers["X-Appwrite-Key"] = stack.api_key
    url = f"{stack.endpoint}/tablesdb/{DB}/tables/notes/rows"
    if in_body:
        response = requests.post(url + "/query", json={"queries": queries}, headers=headers, timeout=10)
    else:
        params = [(f"queries[{i}]", q) for i, q in enumerate(queries)]
        response = requests.get(url, params=params, headers=headers, timeout=10)
    assert response.status_code < 500, (queries, response.text)
    if response.status_code >= 400:
        assert set(response.json()) == {"message", "code", "type", "version"}
    assert _error_records(server_log) == []


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The notes table of the test schema in a real SQLite file, with a few rows."""
    schema = Schema.from_appwrite_json(TEST_APPWRITE_JSON)
    db = Database(Path(tmp_path_factory.mktemp("fuzz-db")) / "db.sqlite3", schema, EventBus())
    table = schema.table(DB, "notes")

    def seed(w: Any) -> None:
        for i, title in enumerate(["apple", "banana", "cherry"]):
            w.insert(table, f"r{i}", {"title": title, "count": i, "score": i / 2, "tags": [title]}, ['read("any")'])

    db.write(seed)
    yield db, table
    db.close()


@settings(max_examples=500, deadline=None)
@given(queries=st.lists(QUERY_TEXTS, max_size=4), as_guest=st.booleans())
def test_the_query_parser_and_evaluator_raise_only_appwrite_4xx(
    database: Any, queries: list[str], as_guest: bool
) -> None:
    db, table = database
    caller = GUEST if as_guest else PROJECT_KEY
    error: AppwriteError | None = None
    try:
        parsed = parse_queries(queries, table)
        total, rows = db.read(lambda w: page(w, table, caller, parsed, default_limit=25, want_total=True))
    except AppwriteError as exc:
        error = exc
    if error is not None:
        assert 400 <= error.status < 500, error.message
    else:
        assert 0 <= len(rows) <= total <= 3


BODIES = st.one_of(
    st.binary(max_size=200),
    QUERIES.map(lambda q: render({"action": "calculate", "query": q}).encode()),
    deep().map(str.encode),
    st.builds(lambda n: b'{"a":' * n + b"1" + b"}" * n, st.integers(min_value=0, max_value=3000)),
    st.text(max_size=50).map(lambda t: t.encode("utf-8", "surrogatepass")),
)


@settings(max_examples=500, deadline=None)
@given(raw=BODIES)
def test_the_functions_json_reader_returns_an_object_or_a_validation_error(raw: bytes) -> None:
    refused: ValidationError | None = None
    try:
        data = request_json(SimpleNamespace(req=SimpleNamespace(body_binary=raw)))
    except ValidationError as exc:
        refused = exc
    if refused is not None:
        assert refused.status == 400
    else:
        assert isinstance(data, dict)
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # what a function reads, it can write back to Appwrite
