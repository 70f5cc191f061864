"""Every fixture payload, signed with the test secret, through the webhook function's domain."""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlencode

import pytest

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace_local.testing import StackHandle
from tests.integration.webhook.wh_http import SECRET, post, rows, signed_headers
from tests.unit.webhook.wh_helpers import ALL_FIXTURES, COUNTED, PINGS, event_of, payload, raw

FILE_KEYS = ("added", "removed", "modified")


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_fixture_delivery(stack: StackHandle, store: AppwriteStore, name: str) -> None:
    body = raw(name)
    response = post(stack, body, signed_headers(SECRET, event_of(name), body))
    answer = response.json()
    activities = rows(store, "activities")
    (delivery,) = rows(store, "webhook_deliveries").values()
    if name in COUNTED:
        assert response.status_code == 200, answer
        assert answer["status"] == "processed"
        assert [a["type"] for a in answer["activities"]] == COUNTED[name]
        created = [a["id"] for a in answer["activities"]]
        assert set(created) <= set(activities)
        assert all(activities[i]["user_id"] == f"gh_{payload(name)['sender']['id']}" for i in created)
        assert delivery["status"] == "processed"
        assert f"gh_{payload(name)['sender']['id']}" in rows(store, "users")
        for activity_id in created:
            assert _what_github_said(name) <= set(_facts(activities[activity_id]))
    elif name in PINGS:
        assert response.status_code == 200
        assert answer["hook_id"] == payload(name)["hook_id"]
        assert activities == {}
    else:
        assert response.status_code == 202, answer
        assert answer["status"] == "ignored"
        assert activities == {}
        assert delivery["status"] == "ignored"
        assert delivery["event"] == event_of(name)


def _seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def _what_github_said(name: str) -> set[tuple[str, object]]:
    """Facts read straight from the fixture payload that the stored activity row must carry."""
    data = payload(name)
    event = event_of(name)
    if event == "push":
        (commit,) = data["commits"]
        return {("external_id", commit["id"]), ("files_changed", sum(len(commit[k]) for k in FILE_KEYS))}
    if event == "pull_request":
        pr = data["pull_request"]
        return {
            ("lines_added", pr["additions"]),
            ("lines_deleted", pr["deletions"]),
            ("files_changed", pr["changed_files"]),
        }
    if event == "pull_request_review":
        review = data["review"]
        return {("external_id", f"pr:{data['pull_request']['number']}:review:{review['id']}"), ("type", "pr")}
    if event == "workflow_job":
        job = data["workflow_job"]
        return {
            ("duration_s", _seconds(job["started_at"], job["completed_at"])),
            ("runner_name", job["runner_name"]),
            ("runner_labels", tuple(job["labels"])),
        }
    if event == "workflow_run":
        run = data["workflow_run"]
        return {("external_id", f"run:{run['id']}:{run.get('run_attempt', 1)}")}
    status = data["deployment_status"]
    return {("type", "deployment"), ("external_id", f"deployment:{data['deployment']['id']}:{status['id']}")}


def _facts(row: dict[str, object]) -> set[tuple[str, object]]:
    return {(k, tuple(v) if isinstance(v, list) else v) for k, v in row.items() if not isinstance(v, dict)}


def test_githubs_documented_signature_vector_is_accepted_by_the_function(stack: StackHandle) -> None:
    # secret "It's a Secret to Everybody", payload "Hello, World!" (docs.github.com): the signature passes and
    # the body, not being a JSON object, is the only complaint.
    headers = signed_headers(None, "push", b"Hello, World!")
    headers["x-hub-signature-256"] = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    response = post(stack, b"Hello, World!", headers)
    assert response.status_code == 400
    assert "JSON" in response.json()["message"]
    headers["x-hub-signature-256"] = headers["x-hub-signature-256"][:-1] + "0"
    assert post(stack, b"Hello, World!", headers).status_code == 401


def test_form_encoded_delivery_verifies_over_the_form_bytes(stack: StackHandle, store: AppwriteStore) -> None:
    name = "push/with-new-branch.payload.json"
    form = urlencode({"payload": raw(name).decode()}).encode()
    headers = signed_headers(SECRET, "push", form, content_type="application/x-www-form-urlencoded")
    response = post(stack, form, headers)
    assert response.status_code == 200, response.text
    assert len(rows(store, "activities")) == 1
    # the same signature over the inner JSON is not the signature of the form body
    inner = signed_headers(SECRET, "push", raw(name), delivery="guid-2")
    inner["content-type"] = "application/x-www-form-urlencoded"
    assert post(stack, form, inner).status_code == 401


@pytest.mark.parametrize(
    ("body", "headers_secret", "status"),
    [
        (raw("push/with-new-branch.payload.json"), None, 401),
        (raw("push/with-new-branch.payload.json"), "not the secret", 401),
        (b'{"ref": ', SECRET, 400),
        (json.dumps({"ref": "refs/heads/main", "commits": [], "sender": {"login": "x"}}).encode(), SECRET, 400),
    ],
)
def test_bad_deliveries_get_a_clear_4xx_and_write_nothing(
    stack: StackHandle, store: AppwriteStore, body: bytes, headers_secret: str | None, status: int
) -> None:
    response = post(stack, body, signed_headers(headers_secret, "push", body))
    assert response.status_code == status
    assert response.json()["message"]
    assert all(rows(store, t) == {} for t in ("activities", "users", "user_stats", "webhook_deliveries"))


def test_oversized_delivery_is_413(stack: StackHandle, store: AppwriteStore) -> None:
    body = b'{"pad":"' + b"x" * (25 * 1024 * 1024) + b'"}'
    response = post(stack, body, signed_headers(SECRET, "push", body))
    assert response.status_code == 413
    assert rows(store, "webhook_deliveries") == {}
