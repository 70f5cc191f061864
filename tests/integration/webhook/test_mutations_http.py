"""Property: mutated payloads and headers sent to the function's domain never get a 5xx and, when refused,
write nothing."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace_local.testing import StackHandle
from tests.integration.webhook.wh_http import SECRET, post, rows, signed_headers
from tests.unit.webhook.wh_helpers import event_of, payload, raw

NAMES = [
    "push/with-new-branch.payload.json",
    "pull_request/synchronize.payload.json",
    "workflow_job/completed.failure.with-organization.payload.json",
    "workflow_run/completed.with-pull-requests.payload.json",
    "deployment_status/with-installation.payload.json",
]
ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=3000),
    st.lists(st.text(max_size=3), max_size=3),
    st.just({}),
    # the edges of what Appwrite's columns hold: int64, string sizes, four-digit years
    st.sampled_from(
        [2**63, 2**63 - 1, 10**10, 1e300, "x" * 70_000, "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-05:00"]
    ),
)
WRITTEN = ("activities", "users", "user_stats", "webhook_deliveries")


def _keys(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found: list[tuple[object, ...]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            found.append((*prefix, k))
            found.extend(_keys(v, (*prefix, k)))
    elif isinstance(value, list) and value:
        found.append((*prefix, 0))
        found.extend(_keys(value[0], (*prefix, 0)))
    return found


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(NAMES), data=st.data(), value=ODD)
def test_mutated_payloads(
    stack: StackHandle, store: AppwriteStore, name: str, data: st.DataObject, value: object
) -> None:
    stack.reset()
    doc = copy.deepcopy(payload(name))
    path = data.draw(st.sampled_from(_keys(doc)))
    target: object = doc
    for key in path[:-1]:
        target = target[key]  # type: ignore[index]
    target[path[-1]] = value  # type: ignore[index]
    body = json.dumps(doc).encode()
    response = post(stack, body, signed_headers(SECRET, event_of(name), body))
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.json()["message"]
        assert all(rows(store, t) == {} for t in WRITTEN)


HEADER_NAMES = ["x-github-event", "x-github-delivery", "x-github-hook-id", "content-type", "x-hub-signature-256"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    changed=st.dictionaries(
        st.sampled_from(HEADER_NAMES),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=70).map(str.strip),
        min_size=1,
    ),
    dropped=st.sets(st.sampled_from(HEADER_NAMES), max_size=2),
)
def test_mutated_headers(stack: StackHandle, store: AppwriteStore, changed: dict[str, str], dropped: set[str]) -> None:
    stack.reset()
    body = raw("push/with-new-branch.payload.json")
    headers = {**signed_headers(SECRET, "push", body), **changed}
    for name in dropped:
        headers.pop(name, None)
    response = post(stack, body, headers)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert all(rows(store, t) == {} for t in WRITTEN)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("pull_request", "additions"), 2**63),  # past Appwrite's integer column range
        (("pull_request", "deletions"), 1e300),  # a whole float, read as a huge integer
        (("pull_request", "changed_files"), 2**64),
    ],
)
def test_numbers_no_column_can_hold_are_refused_before_any_write(
    stack: StackHandle, store: AppwriteStore, path: tuple[str, str], value: object
) -> None:
    doc = copy.deepcopy(payload("pull_request/opened.payload.json"))
    doc[path[0]][path[1]] = value
    body = json.dumps(doc).encode()
    response = post(stack, body, signed_headers(SECRET, "pull_request", body))
    assert response.status_code == 400, response.text
    assert ".".join(path) in response.json()["message"]
    assert all(rows(store, t) == {} for t in WRITTEN)


JOB = "workflow_job/completed.success.with-organization.payload.json"
RUN = "workflow_run/completed.payload.json"


@pytest.mark.parametrize(
    ("name", "path", "value"),
    [
        (JOB, ("workflow_job", "conclusion"), "x" * 70_000),
        (RUN, ("workflow_run", "event"), "x" * 70_000),
        (RUN, ("workflow_run", "conclusion"), "x" * 70_000),
    ],
)
def test_overlong_strings_kept_for_information_are_cut_not_refused_by_appwrite(
    stack: StackHandle, store: AppwriteStore, name: str, path: tuple[str, str], value: object
) -> None:
    doc = copy.deepcopy(payload(name))
    doc[path[0]][path[1]] = value
    body = json.dumps(doc).encode()
    response = post(stack, body, signed_headers(SECRET, event_of(name), body))
    assert response.status_code == 200, response.text
    assert len(rows(store, "activities")) >= 1


@pytest.mark.parametrize(
    ("name", "path", "value", "field"),
    [
        (JOB, ("workflow_job", "started_at"), "0001-01-01T00:00:00Z", "workflow_job.started_at"),
        (JOB, ("workflow_job", "run_attempt"), 10**30, "workflow_job.run_attempt"),
        (RUN, ("workflow_run", "run_attempt"), 10**30, "workflow_run.run_attempt"),
        ("push/with-new-branch.payload.json", ("commits", 0), "0001-01-01T00:00:00Z", "commits.0.timestamp"),
    ],
)
def test_values_no_column_can_hold_are_a_400_naming_the_field_before_any_write(
    stack: StackHandle, store: AppwriteStore, name: str, path: tuple[object, ...], value: object, field: str
) -> None:
    doc = copy.deepcopy(payload(name))
    target: object = doc
    for key in path:
        target = target[key]  # type: ignore[index]
    if field.endswith("timestamp"):
        target["timestamp"] = value  # type: ignore[index]
    else:
        doc[path[0]][path[1]] = value  # type: ignore[index]
    body = json.dumps(doc).encode()
    response = post(stack, body, signed_headers(SECRET, event_of(name), body))
    assert response.status_code == 400, response.text
    assert field in response.json()["message"]
    assert all(rows(store, t) == {} for t in WRITTEN)
