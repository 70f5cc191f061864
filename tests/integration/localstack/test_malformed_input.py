"""Malformed input is Appwrite's 400, never a 500, a traceback or a closed connection (issue 14, item 7): a lone
UTF-16 surrogate in a query value, a cursor or a body, JSON nested 100,000 deep, ``and()`` nested 120 deep, numbers
past 64 bits or past a double. Sent raw over HTTP, as the attack did."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import requests

from ecotrace_local.testing import StackHandle
from tests.integration.localstack.ls_support import DB, count_rows

ROWS = f"/tablesdb/{DB}/tables/notes/rows"


def _tracebacks(records: list[logging.LogRecord]) -> list[str]:
    return [r.getMessage() for r in records if r.exc_info or r.levelno >= logging.ERROR]


def _headers(stack: StackHandle) -> dict[str, str]:
    return {"X-Appwrite-Project": stack.project_id, "X-Appwrite-Key": stack.api_key}


def _nested_and(depth: int) -> str:
    query: dict[str, Any] = {"method": "equal", "attribute": "title", "values": ["x"]}
    for _ in range(depth):
        query = {"method": "and", "values": [query]}
    return json.dumps(query, separators=(",", ":"))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param(
            '{"method":"equal","attribute":"title","values":["\\ud800"]}',
            "Invalid query: Single unpaired UTF-16 surrogate in unicode escape",
            id="lone-surrogate-value",
        ),
        pytest.param(
            '{"method":"cursorAfter","values":["\\udfff"]}',
            "Invalid query: Single unpaired UTF-16 surrogate in unicode escape",
            id="lone-surrogate-cursor",
        ),
        pytest.param(
            json.dumps({"method": "limit", "values": [2**63]}),
            "Invalid query: Invalid limit: Value must be a valid range between 1 and 9,223,372,036,854,775,807",
            id="limit-2**63",
        ),
        pytest.param(
            json.dumps({"method": "offset", "values": [2**64]}),
            "Invalid query: Invalid offset: Value must be a valid range between 0 and 9,223,372,036,854,775,807",
            id="offset-2**64",
        ),
        pytest.param(
            json.dumps({"method": "equal", "attribute": "count", "values": [2**64]}),
            'Invalid query: Query value is invalid for attribute "count"',
            id="equal-2**64",
        ),
        pytest.param(
            json.dumps({"method": "greaterThan", "attribute": "score", "values": [10**400]}),
            'Invalid query: Query value is invalid for attribute "score"',
            id="greaterThan-10**400-double",
        ),
        pytest.param(
            json.dumps({"method": "greaterThan", "attribute": "count", "values": [10**400]}),
            'Invalid query: Query value is invalid for attribute "count"',
            id="greaterThan-10**400-integer",
        ),
        pytest.param(
            '{"method":"lessThan","attribute":"score","values":[1e400]}',
            'Invalid query: Query value is invalid for attribute "score"',
            id="lessThan-1e400",
        ),
        pytest.param('{"method":"equal","attribute":"score","values":[NaN]}', "Invalid query: Syntax error", id="NaN"),
        pytest.param(_nested_and(120), "Invalid query: And queries require at least two queries", id="and-120-deep"),
        pytest.param("[" * 4000, "Invalid query: Maximum stack depth exceeded", id="array-4000-deep"),
    ],
)
def test_malformed_queries_are_400_general_query_invalid(
    stack: StackHandle, server_log: list[logging.LogRecord], query: str, message: str
) -> None:
    with requests.Session() as session:
        response = session.get(stack.endpoint + ROWS, params={"queries[0]": query}, headers=_headers(stack), timeout=10)
        assert (response.status_code, response.json()) == (
            400,
            {"message": message, "code": 400, "type": "general_query_invalid", "version": "1.9.6"},
        )
        assert response.headers.get("connection") != "close"
        assert session.get(stack.endpoint + ROWS, headers=_headers(stack), timeout=10).status_code == 200
    assert _tracebacks(server_log) == []


def test_and_or_nested_as_deep_as_a_query_string_allows_still_answer(stack: StackHandle) -> None:
    """Two children at every level (Appwrite's rule): 61 levels fill the 4096 characters of one query."""
    leaf = '{"method":"isNull","attribute":"$id"}'
    query, levels = leaf, 0
    while True:
        method = "and" if levels % 2 else "or"
        deeper = '{"method":"' + method + '","values":[' + query + "," + leaf + "]}"
        if len(deeper) > 4096:
            break
        query, levels = deeper, levels + 1
    assert levels >= 60
    response = requests.get(stack.endpoint + ROWS, params={"queries[0]": query}, headers=_headers(stack), timeout=10)
    assert (response.status_code, response.json()) == (200, {"total": 0, "rows": []})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(b"[" * 100_000, "Invalid JSON body: Maximum stack depth exceeded", id="array-100k-deep"),
        pytest.param(
            b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
            "Invalid JSON body: Maximum stack depth exceeded",
            id="object-100k-deep",
        ),
        pytest.param(
            b'{"rowId":"n1","data":{"title":"\\ud800"}}',
            "Invalid JSON body: Single unpaired UTF-16 surrogate in unicode escape",
            id="lone-surrogate",
        ),
        pytest.param(
            b'{"rowId":"n1","data":{"\\udc00":"x","title":"x"}}',
            "Invalid JSON body: Single unpaired UTF-16 surrogate in unicode escape",
            id="lone-surrogate-key",
        ),
        pytest.param(b'{"rowId":"n1","data":{"title":"x","score":NaN}}', "Invalid JSON body: Syntax error", id="NaN"),
    ],
)
def test_malformed_bodies_are_400_general_argument_invalid(
    stack: StackHandle, server_log: list[logging.LogRecord], body: bytes, message: str
) -> None:
    response = requests.post(
        stack.endpoint + ROWS,
        data=body,
        headers={**_headers(stack), "Content-Type": "application/json"},
        timeout=30,
    )
    assert (response.status_code, response.json()) == (
        400,
        {"message": message, "code": 400, "type": "general_argument_invalid", "version": "1.9.6"},
    )
    assert response.headers.get("connection") != "close"
    assert count_rows(stack, "notes") == 0
    assert _tracebacks(server_log) == []
