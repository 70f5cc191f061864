"""A multi-commit push sent once, ten times, and ten times at once leaves the same rows and totals."""

from __future__ import annotations

import threading

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace.entrypoints.webhook import ingest_for
from ecotrace.settings import Settings
from ecotrace_local.testing import StackHandle
from tests.integration.webhook.wh_http import SECRET, post, rows, signed_headers, snapshot
from tests.unit.webhook.wh_helpers import body_of, multi_commit_push

COMMITS = 25


def _push() -> tuple[bytes, dict[str, str]]:
    body = body_of(multi_commit_push(COMMITS, repeat_first=True))
    return body, signed_headers(SECRET, "push", body, delivery="5f1c0e2a-multi")


def _once(stack: StackHandle, store: AppwriteStore) -> dict[str, object]:
    stack.reset()
    assert post(stack, *_push()).status_code == 200
    return snapshot(store)


def test_each_distinct_commit_counts_once(stack: StackHandle, store: AppwriteStore) -> None:
    response = post(stack, *_push())
    assert response.json()["created"] == COMMITS
    assert len(rows(store, "activities")) == COMMITS
    stats = rows(store, "user_stats")["gh_21031067"]
    assert (stats["commit_count"], stats["activity_count"]) == (COMMITS, COMMITS)


def test_ten_sequential_deliveries_equal_one(stack: StackHandle, store: AppwriteStore) -> None:
    once = _once(stack, store)
    stack.reset()
    statuses = [post(stack, *_push()).json()["status"] for _ in range(10)]
    assert statuses == ["processed"] + ["duplicate"] * 9
    assert snapshot(store) == once


def test_ten_concurrent_deliveries_equal_one(stack: StackHandle, store: AppwriteStore) -> None:
    once = _once(stack, store)
    stack.reset()
    body, headers = _push()
    codes: list[int] = []
    barrier = threading.Barrier(10)

    def send() -> None:
        barrier.wait()
        codes.append(post(stack, body, headers).status_code)

    threads = [threading.Thread(target=send) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes)[-1] < 300, codes
    assert snapshot(store) == once


def test_overlapping_pushes_in_different_deliveries_at_once_count_each_commit_once(
    stack: StackHandle, store: AppwriteStore
) -> None:
    barrier = threading.Barrier(5)
    codes: list[int] = []

    def send(i: int) -> None:
        body = body_of(multi_commit_push(10 + i))
        headers = signed_headers(SECRET, "push", body, delivery=f"overlap-{i}")
        barrier.wait()
        codes.append(post(stack, body, headers).status_code)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # A delivery that lost the race twice is answered 503 and kept (status failed), never half-counted.
    kept = rows(store, "webhook_deliveries")
    assert all(r["status"] in ("processed", "failed") for r in kept.values())
    assert codes.count(200) == sum(r["status"] == "processed" for r in kept.values())
    assert rows(store, "user_stats")["gh_21031067"]["commit_count"] == len(rows(store, "activities"))
    ingest = ingest_for(
        Settings(endpoint=stack.endpoint, project_id=stack.project_id, github_webhook_secret=SECRET), store
    )
    for row in kept.values():
        if row["status"] == "failed":
            assert ingest.replay(row).status == 200
    assert len(rows(store, "activities")) == 14
    assert rows(store, "user_stats")["gh_21031067"]["commit_count"] == 14


def test_a_push_of_100_commits_takes_as_many_appwrite_requests_as_one(stack: StackHandle) -> None:
    counts = []
    for n in (1, 100):
        stack.reset()
        body = body_of(multi_commit_push(n))
        assert post(stack, body, signed_headers(SECRET, "push", body)).status_code == 200
        counts.append(stack.stack.request_log.count(path_pattern=r"^/v1/"))
    assert counts[0] == counts[1]
    assert counts[1] <= 10
