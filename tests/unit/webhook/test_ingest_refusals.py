"""Bad deliveries are refused with the right status and write nothing; pings and other events are acknowledged."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecotrace.domain.signature import sign
from ecotrace.errors import (
    EcoTraceError,
    NotConfiguredError,
    PayloadTooLargeError,
    SignatureError,
    ValidationError,
)
from ecotrace.services.ingest import WebhookIngest
from tests.fakes.memory_store import MemoryStore
from tests.unit.webhook.wh_helpers import ALL_FIXTURES, SECRET, event_of, headers, payload, raw

PUSH = "push/with-new-branch.payload.json"


def test_no_secret_configured_refuses_every_delivery(store: MemoryStore) -> None:
    ingest = WebhookIngest(store, secret=None)
    with pytest.raises(NotConfiguredError, match="GITHUB_WEBHOOK_SECRET"):
        ingest.handle(raw(PUSH), headers("push", raw(PUSH)))
    assert store.requests == []


def test_explicit_insecure_mode_accepts_unsigned_deliveries_loudly(
    store: MemoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    ingest = WebhookIngest(store, secret=None, allow_unsigned=True)
    result = ingest.handle(raw(PUSH), headers("push", raw(PUSH), secret=None))
    assert result.status == 200
    assert "INSECURE" in caplog.text
    assert "ECOTRACE_INSECURE_ALLOW_UNSIGNED" in result.body["warning"]  # the sender sees it too


def test_insecure_mode_is_ignored_once_a_secret_is_set(store: MemoryStore) -> None:
    ingest = WebhookIngest(store, secret=SECRET, allow_unsigned=True)
    with pytest.raises(SignatureError):
        ingest.handle(raw(PUSH), headers("push", raw(PUSH), secret=None))
    assert store.requests == []
    result = ingest.handle(raw(PUSH), headers("push", raw(PUSH)))
    assert "warning" not in result.body


@pytest.mark.parametrize("secret", [None, "wrong secret"])
def test_unsigned_or_wrongly_signed_deliveries_get_401(
    ingest: WebhookIngest, store: MemoryStore, secret: str | None
) -> None:
    with pytest.raises(SignatureError) as info:
        ingest.handle(raw(PUSH), headers("push", raw(PUSH), secret=secret))
    assert info.value.status == 401
    assert store.requests == []


def test_oversized_delivery_is_413_before_anything_else(ingest: WebhookIngest, store: MemoryStore) -> None:
    body = b"{" + b" " * (25 * 1024 * 1024) + b"}"
    with pytest.raises(PayloadTooLargeError) as info:
        ingest.handle(body, headers("push", body))
    assert info.value.status == 413
    assert store.requests == []


def test_form_encoded_delivery_is_verified_over_the_form_bytes(ingest: WebhookIngest, store: MemoryStore) -> None:
    body = urlencode({"payload": raw(PUSH).decode()}).encode()
    result = ingest.handle(body, headers("push", body, content_type="application/x-www-form-urlencoded"))
    assert result.status == 200
    assert len(store.by_id("activities")) == 1


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"ref": "refs/heads/main"', "not valid JSON"),
        (json.dumps({"ref": "refs/heads/main", "commits": []}).encode(), "repository"),
        (json.dumps({**payload(PUSH), "commits": "many"}).encode(), "commits"),
    ],
)
def test_malformed_payloads_are_400_naming_the_problem_and_write_nothing(
    ingest: WebhookIngest, store: MemoryStore, body: bytes, problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem) as info:
        ingest.handle(body, headers("push", body))
    assert info.value.status == 400
    assert store.requests == []


def test_ping_answers_with_the_hook_id(ingest: WebhookIngest, store: MemoryStore) -> None:
    body = raw("ping/payload.json")
    result = ingest.handle(body, headers("ping", body))
    assert result.status == 200
    assert result.body["hook_id"] == 109948940
    assert store.by_id("activities") == {}


def test_other_events_are_202_and_recorded_as_ignored(ingest: WebhookIngest, store: MemoryStore) -> None:
    body = raw("release/published.payload.json")
    result = ingest.handle(body, headers("release", body))
    assert result.status == 202
    (row,) = store.by_id("webhook_deliveries").values()
    assert (row["status"], row["event"], row["action"]) == ("ignored", "release", "published")
    assert store.by_id("activities") == {}


def test_ignored_event_is_still_acknowledged_when_the_store_is_down(ingest: WebhookIngest, store: MemoryStore) -> None:
    store.fail("create", "webhook_deliveries")
    body = raw("check_run/completed.payload.json")
    result = ingest.handle(body, headers("check_run", body))
    assert (result.status, result.body["recorded"]) == (202, False)


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_every_fixture_gets_a_2xx_through_the_service(ingest: WebhookIngest, name: str) -> None:
    result = ingest.handle(raw(name), headers(event_of(name), raw(name)))
    assert result.status in (200, 202)


# ---- property: mutated payloads and headers never crash, never 5xx, never write when refused -------------

COUNTED = [
    "push/with-new-branch.payload.json",
    "pull_request/closed.payload.json",
    "workflow_job/completed.success.with-organization.payload.json",
    "workflow_run/completed.payload.json",
    "deployment_status/payload.json",
    "ping/payload.json",
]
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=600),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.none(), max_size=2),
)


def _attempt(call: Callable[[], int]) -> int:
    """The HTTP status a call ends in: its result's, or that of the EcoTrace error it raised."""
    try:
        return call()
    except EcoTraceError as exc:
        return exc.status


def _paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append((*prefix, k))
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value[:2]):
            out.append((*prefix, i))
            out.extend(_paths(v, (*prefix, i)))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(COUNTED), data=st.data(), drop=st.booleans(), value=ODD_VALUES)
def test_mutated_payloads_never_5xx_and_refusals_write_nothing(
    name: str, data: st.DataObject, drop: bool, value: object
) -> None:
    store = MemoryStore()
    ingest = WebhookIngest(store, secret=SECRET)
    doc = copy.deepcopy(payload(name))
    path = data.draw(st.sampled_from(_paths(doc)))
    parent: object = doc
    for key in path[:-1]:
        parent = parent[key]  # type: ignore[index]
    if drop and isinstance(parent, dict):
        parent.pop(path[-1])
    else:
        parent[path[-1]] = value  # type: ignore[index]
    body = json.dumps(doc).encode()
    outcome = _attempt(lambda: ingest.handle(body, headers(event_of(name), body)).status)
    if outcome >= 400:
        assert outcome < 500
        assert store.requests == []
    else:
        assert outcome in (200, 202)


@settings(max_examples=100, deadline=None)
@given(
    hdrs=st.dictionaries(
        st.sampled_from(
            ["x-github-event", "x-github-delivery", "x-github-hook-id", "content-type", "x-hub-signature-256"]
        ),
        st.text(max_size=80),
    )
)
def test_mutated_headers_never_5xx_and_write_nothing_unless_valid(hdrs: dict[str, str]) -> None:
    store = MemoryStore()
    body = raw(PUSH)
    good = headers("push", body)
    sent = {**good, **hdrs}
    outcome = _attempt(lambda: WebhookIngest(store, secret=SECRET).handle(body, sent).status)
    if outcome >= 400:
        assert outcome < 500
        assert store.requests == []
    else:
        assert sent["x-hub-signature-256"].strip().lower() == sign(SECRET, body)


def test_an_overlong_action_is_cut_for_the_delivery_record(ingest: WebhookIngest, store: MemoryStore) -> None:
    data = payload("deployment_status/payload.json")
    data["action"] = "x" * 500
    body = json.dumps(data).encode()
    assert ingest.handle(body, headers("deployment_status", body)).status == 200
    (row,) = store.by_id("webhook_deliveries").values()
    assert row["action"] == "x" * 64
