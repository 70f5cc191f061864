"""Bad input never crashes the stack: arbitrary JSON to every write endpoint gets a 2xx or an Appwrite 4xx error."""

from __future__ import annotations

from typing import Any

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecotrace_local.testing import StackHandle
from tests.integration.localstack.ls_support import DB

SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)
KEYS = st.sampled_from(
    ["rowId", "data", "rows", "permissions", "queries", "transactionId", "value", "max", "min", "operations",
     "commit", "rollback", "ttl", "title", "$id", "count", "tags"]
)  # fmt: skip
BODIES = st.dictionaries(KEYS, JSON, max_size=4)
ROW = f"/tablesdb/{DB}/tables/notes/rows"
TARGETS = st.sampled_from(
    [
        ("POST", ROW),
        ("PUT", ROW),
        ("PATCH", ROW),
        ("DELETE", ROW),
        ("POST", ROW + "/query"),
        ("PUT", ROW + "/r1"),
        ("PATCH", ROW + "/r1"),
        ("DELETE", ROW + "/r1"),
        ("PATCH", ROW + "/r1/count/increment"),
        ("PATCH", ROW + "/r1/title/decrement"),
        ("POST", "/tablesdb/transactions"),
        ("POST", "/tablesdb/transactions/TX/operations"),
        ("PATCH", "/tablesdb/transactions/TX"),
        ("POST", "/users"),
        ("POST", "/users/u1/jwts"),
        ("POST", "/_local/faults"),
    ]
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=TARGETS, body=BODIES, as_user=st.booleans())
def test_random_bodies_never_cause_a_server_error(
    stack: StackHandle, target: tuple[str, str], body: dict[str, Any], as_user: bool
) -> None:
    method, path = target
    stack.stack.faults.clear()  # a fuzzed POST /_local/faults may have registered one
    if "TX" in path:
        tx = requests.post(
            f"{stack.endpoint}/tablesdb/transactions",
            json={},
            headers={"X-Appwrite-Project": stack.project_id, "X-Appwrite-Key": stack.api_key},
            timeout=5,
        ).json()["$id"]
        path = path.replace("TX", tx)
    headers = {"X-Appwrite-Project": stack.project_id}
    if as_user:
        headers["X-Appwrite-JWT"] = stack.user_jwt("fuzzer")
    else:
        headers["X-Appwrite-Key"] = stack.api_key
    response = requests.request(method, stack.endpoint + path, json=body, headers=headers, timeout=10)
    assert response.status_code < 500, (method, path, body, response.text)
    if response.status_code >= 400:
        error = response.json()
        assert set(error) == {"message", "code", "type", "version"}
        assert error["code"] == response.status_code


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.lists(
        st.tuples(
            st.sampled_from(["queries[0]", "queries[]", "queries[1]", "total", "ttl", "transactionId", "project"]),
            st.text(max_size=30),
        ),
        max_size=4,
    )
)
def test_random_query_strings_never_cause_a_server_error(stack: StackHandle, params: list[tuple[str, str]]) -> None:
    response = requests.get(
        stack.endpoint + ROW,
        params=params,
        headers={"X-Appwrite-Project": stack.project_id, "X-Appwrite-Key": stack.api_key},
        timeout=10,
    )
    assert response.status_code < 500, (params, response.text)
