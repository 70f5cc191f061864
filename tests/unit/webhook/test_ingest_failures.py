"""Nothing lost: the store failing mid-delivery leaves nothing half-written and the kept delivery replays."""

from __future__ import annotations

import pytest

from ecotrace.errors import StorageError
from ecotrace.services.ingest import LEASE_S, WebhookIngest
from tests.fakes.memory_store import MemoryStore
from tests.unit.webhook.wh_helpers import SECRET, FakeClock, body_of, headers, multi_commit_push

COUNTED_TABLES = ("activities", "users", "user_stats", "calculations")


def _push() -> tuple[bytes, dict[str, str]]:
    body = body_of(multi_commit_push(6))
    return body, headers("push", body, delivery="guid-7")


def _undisturbed() -> MemoryStore:
    clock = FakeClock()
    store = MemoryStore(clock)
    WebhookIngest(store, secret=SECRET, clock=clock).handle(*_push())
    return store


@pytest.mark.parametrize(
    ("method", "table"),
    # A push reads no activities first (its commits are new: see fresh_push), so staging is the step after reads.
    [("get", "users"), ("get", "user_stats"), ("tx_stage", "transactions"), ("tx_commit", "transactions")],
)
def test_a_failure_mid_delivery_writes_nothing_counted_and_keeps_the_body(
    store: MemoryStore, clock: FakeClock, method: str, table: str
) -> None:
    store.fail(method, table)
    ingest = WebhookIngest(store, secret=SECRET, clock=clock)
    with pytest.raises(StorageError) as info:
        ingest.handle(*_push())
    assert info.value.status == 503
    assert all(store.by_id(t) == {} for t in COUNTED_TABLES)
    (kept,) = store.by_id("webhook_deliveries").values()
    assert kept["status"] == "failed"
    assert kept["body"].encode() == _push()[0]

    replayed = ingest.replay(kept)
    assert replayed.status == 200
    assert store.snapshot(*COUNTED_TABLES) == _undisturbed().snapshot(*COUNTED_TABLES)


def test_github_redelivery_after_a_failure_processes_it(store: MemoryStore, clock: FakeClock) -> None:
    store.fail("tx_commit", "transactions")
    ingest = WebhookIngest(store, secret=SECRET, clock=clock)
    with pytest.raises(StorageError):
        ingest.handle(*_push())
    result = ingest.handle(*_push())  # same x-github-delivery: GitHub's redelivery
    assert result.body["status"] == "processed"
    assert next(iter(store.by_id("webhook_deliveries").values()))["attempts"] == 2


def test_store_down_before_the_delivery_is_kept_answers_503_and_points_to_redelivery(store: MemoryStore) -> None:
    store.fail("create", "webhook_deliveries")
    with pytest.raises(StorageError, match="redeliver"):
        WebhookIngest(store, secret=SECRET).handle(*_push())
    assert store.by_id("webhook_deliveries") == {}


def test_a_crashed_attempt_is_taken_over_only_after_its_lease(store: MemoryStore, clock: FakeClock) -> None:
    ingest = WebhookIngest(store, secret=SECRET, clock=clock)
    # An attempt that claimed the delivery and then died: the row says "received" and nothing else happened.
    store.fail("get", "users")
    store.fail("update", "webhook_deliveries")  # it could not even mark itself failed
    with pytest.raises(StorageError):
        ingest.handle(*_push())
    assert next(iter(store.by_id("webhook_deliveries").values()))["status"] == "received"

    early = ingest.handle(*_push())
    assert (early.status, early.body["status"]) == (202, "in_progress")
    assert store.by_id("activities") == {}

    row = next(iter(store.by_id("webhook_deliveries").values()))
    clock.advance(LEASE_S + 1)
    late = ingest.replay(row)
    assert late.body["status"] == "processed"
    assert len(store.by_id("activities")) == 6


def test_conflicts_that_never_end_give_up_with_503_and_the_delivery_stays_replayable(store: MemoryStore) -> None:
    from ecotrace.errors import ConflictError

    def always_conflict(method: str, table: str) -> None:
        if method == "tx_commit":
            raise ConflictError("transaction_conflict")

    elapsed = [0.0]
    store.faults.append(always_conflict)
    ingest = WebhookIngest(
        store, secret=SECRET, monotonic=lambda: elapsed[0], sleep=lambda s: elapsed.__setitem__(0, elapsed[0] + s)
    )
    with pytest.raises(StorageError, match="kept conflicting"):
        ingest.handle(*_push())
    assert elapsed[0] <= ingest.contention_budget_s  # it backed off inside its budget, then stopped
    assert store.by_id("activities") == {}
    store.faults.clear()
    kept = next(iter(store.by_id("webhook_deliveries").values()))
    assert kept["status"] == "failed"
    assert ingest.replay(kept).body["created"] == 6


class LostCommitAnswer(MemoryStore):
    """A store whose first commit lands but whose answer is lost (e.g. a read timeout after Appwrite committed)."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.lose_next_answer = True

    def _commit(self, operations: list[dict[str, object]]) -> None:
        super()._commit(operations)  # type: ignore[arg-type]
        if self.lose_next_answer:
            self.lose_next_answer = False
            raise StorageError("injected: read timeout after the commit was applied")


def test_a_commit_whose_answer_was_lost_is_not_counted_twice_by_the_replay(clock: FakeClock) -> None:
    store = LostCommitAnswer(clock)
    ingest = WebhookIngest(store, secret=SECRET, clock=clock)
    with pytest.raises(StorageError):
        ingest.handle(*_push())
    (kept,) = store.by_id("webhook_deliveries").values()
    assert kept["status"] == "failed"  # the function cannot know the commit landed
    replayed = ingest.replay(kept)
    assert (replayed.status, replayed.body["created"], replayed.body["already_recorded"]) == (200, 0, 6)
    assert store.snapshot(*COUNTED_TABLES) == _undisturbed().snapshot(*COUNTED_TABLES)


def test_a_kept_delivery_with_many_long_github_headers_still_replays(store: MemoryStore, clock: FakeClock) -> None:
    body, hdrs = _push()
    hdrs.update({f"x-github-extra-{i:02d}": "v" * 600 for i in range(30)})  # GitHub adds headers over time
    store.fail("tx_commit", "transactions")
    ingest = WebhookIngest(store, secret=SECRET, clock=clock)
    with pytest.raises(StorageError):
        ingest.handle(body, hdrs)
    (kept,) = store.by_id("webhook_deliveries").values()
    assert len(kept["headers"]) <= 8192
    replayed = ingest.replay(kept)
    assert (replayed.status, replayed.body["created"]) == (200, 6)
