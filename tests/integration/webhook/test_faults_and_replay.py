"""Appwrite failing mid-delivery: nothing half-written, the delivery kept, and its replay equals an undisturbed run."""

from __future__ import annotations

import pytest

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace.entrypoints.webhook import ingest_for
from ecotrace.settings import Settings
from ecotrace_local.testing import StackHandle
from tests.integration.webhook.wh_http import SECRET, post, rows, signed_headers, snapshot
from tests.unit.webhook.wh_helpers import body_of, multi_commit_push

COUNTED = ("activities", "users", "user_stats", "calculations")


def _push() -> tuple[bytes, dict[str, str]]:
    body = body_of(multi_commit_push(8))
    return body, signed_headers(SECRET, "push", body, delivery="fault-guid")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", r"/tables/rollups/rows$"),  # reading the rollup rows it counts into (a push reads no activities)
        ("GET", r"/tables/user_stats/rows/"),
        ("POST", r"/transactions$"),  # opening the transaction
        ("POST", r"/transactions/[^/]+/operations$"),  # staging
        ("PATCH", r"/transactions/[^/]+$"),  # the commit itself
    ],
)
def test_failure_mid_delivery_then_replay(stack: StackHandle, store: AppwriteStore, method: str, path: str) -> None:
    assert post(stack, *_push()).status_code == 200
    undisturbed = snapshot(store, COUNTED)
    assert len(undisturbed["calculations"]) == 8  # carbon at ingest is part of what must not be half-written
    stack.reset()

    stack.stack.faults.add(method=method, path_pattern=path, status=503, times=1)
    response = post(stack, *_push())
    assert response.status_code == 503
    assert "kept for replay" in response.json()["message"]
    assert all(rows(store, t) == {} for t in COUNTED)
    (kept,) = rows(store, "webhook_deliveries").values()
    assert kept["status"] == "failed"

    settings = Settings(endpoint=stack.endpoint, project_id=stack.project_id, github_webhook_secret=SECRET)
    result = ingest_for(settings, store).replay(kept)
    assert result.status == 200
    assert snapshot(store, COUNTED) == undisturbed
    assert next(iter(rows(store, "webhook_deliveries").values()))["status"] == "processed"


def test_appwrite_down_before_the_body_is_kept_answers_503_pointing_at_redelivery(
    stack: StackHandle, store: AppwriteStore
) -> None:
    stack.stack.faults.add(method="POST", path_pattern=r"/tables/webhook_deliveries/rows$", status=503, times=1)
    response = post(stack, *_push())
    assert response.status_code == 503
    assert "deliveries/{delivery_id}/attempts" in response.json()["message"]
    assert all(rows(store, t) == {} for t in (*COUNTED, "webhook_deliveries"))
    assert post(stack, *_push()).status_code == 200  # GitHub's redelivery then goes through


def test_a_slow_commit_that_times_out_is_not_half_written(stack: StackHandle, store: AppwriteStore) -> None:
    stack.stack.faults.add(method="PATCH", path_pattern=r"/transactions/[^/]+$", status=408, times=1)
    assert post(stack, *_push()).status_code == 503
    assert all(rows(store, t) == {} for t in COUNTED)
