"""A push through the ingest service: rows, totals, users, and exactly-once under repeats."""

from __future__ import annotations

import threading

from ecotrace.domain.github import ESTIMATED_LINES_PER_FILE
from ecotrace.services.ingest import WebhookIngest
from tests.fakes.memory_store import MemoryStore
from tests.unit.webhook.wh_helpers import body_of, headers, multi_commit_push, raw

PUSH = "push/with-new-branch.payload.json"


def send(ingest: WebhookIngest, data: dict[str, object] | bytes, event: str = "push", delivery: str = "d-1"):  # type: ignore[no-untyped-def]
    body = data if isinstance(data, bytes) else body_of(data)
    return ingest.handle(body, headers(event, body, delivery=delivery))


def test_first_push_creates_the_commit_the_user_and_their_totals(ingest: WebhookIngest, store: MemoryStore) -> None:
    result = ingest.handle(raw(PUSH), headers("push", raw(PUSH)))
    assert result.status == 200
    assert result.body["status"] == "processed"
    assert result.body["created"] == 1
    (row,) = store.by_id("activities").values()
    assert row["type"] == "commit"
    assert row["user_id"] == "gh_21031067"
    assert row["lines_estimated"] is True
    assert store.by_id("users")["gh_21031067"]["username"] == "Codertocat"
    assert store.by_id("users")["gh_21031067"]["account_id"] is None
    stats = store.by_id("user_stats")["gh_21031067"]
    assert (stats["activity_count"], stats["commit_count"]) == (1, 1)
    assert stats["lines_changed"] == ESTIMATED_LINES_PER_FILE
    (delivery,) = store.by_id("webhook_deliveries").values()
    assert delivery["status"] == "processed"
    assert delivery["activity_count"] == 1
    assert delivery["body"].encode() == raw(PUSH)


def test_a_push_without_new_commits_is_ignored_and_writes_no_activity(
    ingest: WebhookIngest, store: MemoryStore
) -> None:
    body = raw("push/payload.json")  # a tag deletion
    result = ingest.handle(body, headers("push", body))
    assert result.status == 202
    assert result.body["status"] == "ignored"
    assert store.by_id("activities") == {}
    assert [r["status"] for r in store.by_id("webhook_deliveries").values()] == ["ignored"]


def test_multi_commit_push_counts_each_distinct_commit_once(ingest: WebhookIngest, store: MemoryStore) -> None:
    result = send(ingest, multi_commit_push(12, repeat_first=True))
    assert result.body["created"] == 12
    assert len(store.by_id("activities")) == 12
    assert store.by_id("user_stats")["gh_21031067"]["commit_count"] == 12


def test_sending_the_same_delivery_ten_times_leaves_what_one_left(store: MemoryStore, clock: object) -> None:
    from tests.unit.webhook.wh_helpers import SECRET

    once = MemoryStore()
    WebhookIngest(once, secret=SECRET, clock=clock).handle(*_signed(multi_commit_push(9)))  # type: ignore[arg-type]
    ingest = WebhookIngest(store, secret=SECRET, clock=clock)  # type: ignore[arg-type]
    results = [ingest.handle(*_signed(multi_commit_push(9))) for _ in range(10)]
    assert [r.body["status"] for r in results] == ["processed"] + ["duplicate"] * 9
    assert all(r.body.get("activity_count", 9) == 9 for r in results[1:])
    assert store.snapshot() == once.snapshot()


def test_the_same_commits_in_another_delivery_are_not_counted_again(ingest: WebhookIngest, store: MemoryStore) -> None:
    send(ingest, multi_commit_push(5), delivery="first")
    other_branch = multi_commit_push(7)
    other_branch["ref"] = "refs/heads/feature"
    other_branch["forced"] = True
    result = send(ingest, other_branch, delivery="second")
    assert (result.body["created"], result.body["already_recorded"]) == (2, 5)
    assert len(store.by_id("activities")) == 7
    assert store.by_id("user_stats")["gh_21031067"]["commit_count"] == 7


def test_ten_concurrent_copies_count_once(store: MemoryStore, clock: object) -> None:
    from tests.unit.webhook.wh_helpers import SECRET

    ingest = WebhookIngest(store, secret=SECRET, clock=clock)  # type: ignore[arg-type]
    body, hdrs = _signed(multi_commit_push(20))
    statuses: list[int] = []
    barrier = threading.Barrier(10)

    def worker() -> None:
        barrier.wait()
        statuses.append(ingest.handle(body, hdrs).status)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(s in (200, 202) for s in statuses)
    assert len(store.by_id("activities")) == 20
    stats = store.by_id("user_stats")["gh_21031067"]
    assert (stats["commit_count"], stats["activity_count"]) == (20, 20)


def test_concurrent_different_deliveries_of_overlapping_commits_count_each_commit_once(store: MemoryStore) -> None:
    from tests.unit.webhook.wh_helpers import SECRET

    ingest = WebhookIngest(store, secret=SECRET)
    barrier = threading.Barrier(6)

    def worker(i: int) -> None:
        body, hdrs = _signed(multi_commit_push(10 + i), delivery=f"delivery-{i}")
        barrier.wait()
        ingest.handle(body, hdrs)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.by_id("activities")) == 15
    assert store.by_id("user_stats")["gh_21031067"]["commit_count"] == 15
    assert {r["status"] for r in store.by_id("webhook_deliveries").values()} == {"processed"}


def test_a_bot_is_labelled_on_its_user_and_rows(ingest: WebhookIngest, store: MemoryStore) -> None:
    send(ingest, multi_commit_push(2, sender={"login": "dependabot[bot]", "id": 49699333, "type": "Bot"}))
    assert store.by_id("users")["gh_49699333"]["is_bot"] is True
    assert all(r["is_bot"] for r in store.by_id("activities").values())


def test_a_push_of_100_commits_costs_the_same_number_of_requests_as_one(clock: object) -> None:
    from tests.unit.webhook.wh_helpers import SECRET

    counts = []
    for n in (1, 100):
        store = MemoryStore()
        WebhookIngest(store, secret=SECRET, clock=clock).handle(*_signed(multi_commit_push(n)))  # type: ignore[arg-type]
        counts.append(len(store.requests))
        assert len(store.by_id("activities")) == n
    assert counts[0] == counts[1]
    assert counts[1] <= 8


def _signed(data: dict[str, object], delivery: str = "d-1") -> tuple[bytes, dict[str, str]]:
    body = body_of(data)
    return body, headers("push", body, delivery=delivery)


def test_a_push_of_250_commits_counts_all_and_lists_the_first_100(ingest: WebhookIngest, store: MemoryStore) -> None:
    result = send(ingest, multi_commit_push(250))
    assert result.body["created"] == 250
    assert result.body["activities_listed"] == len(result.body["activities"]) == 100
    assert store.by_id("user_stats")["gh_21031067"]["commit_count"] == 250


def test_a_push_of_new_commits_does_not_read_activities_first_and_a_repeat_of_them_still_counts_once(
    ingest: WebhookIngest, store: MemoryStore
) -> None:
    send(ingest, multi_commit_push(4), delivery="first")
    assert ("list", "activities") not in store.requests  # GitHub marked them distinct: new to the repository
    store.requests.clear()
    again = send(ingest, multi_commit_push(4), delivery="second")  # the same commits under another delivery id
    assert (again.body["created"], again.body["already_recorded"]) == (0, 4)
    assert ("list", "activities") in store.requests  # the refused commit made it read them
    assert store.by_id("user_stats")[next(iter(store.by_id("users")))]["commit_count"] == 4
