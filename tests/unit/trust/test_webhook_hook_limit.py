"""The per-hook rate limit on the webhook loses nothing: GitHub does not retry a refused delivery by itself, so a
counted delivery refused with 429 is kept as ``failed`` (body and signature) and a replay counts it once."""

from __future__ import annotations

import json

import pytest

from ecotrace.domain.rate_limit import Policy
from ecotrace.errors import RateLimitedError, SignatureError
from ecotrace.services.ingest import DeliveryLedger, WebhookIngest
from ecotrace.services.rate_limits import RateLimiter
from tests.fakes.memory_store import MemoryStore
from tests.unit.webhook.wh_helpers import SECRET, FakeClock, headers, multi_commit_push, raw

PING = raw("ping/payload.json")


def ingest_with_budget(store: MemoryStore, clock: FakeClock, budget: int) -> WebhookIngest:
    limiter = RateLimiter(store, Policy(window_ms=60_000, hook_max=budget), clock=clock)
    return WebhookIngest(store, secret=SECRET, clock=clock, limiter=limiter)


def push(n: int) -> bytes:
    return json.dumps(multi_commit_push(n)).encode()


def test_a_refused_delivery_is_kept_and_replayed_exactly_once() -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    ingest = ingest_with_budget(store, clock, budget=1)
    first, second = push(1), push(2)
    assert ingest.handle(first, headers("push", first, delivery="d-1")).status == 200
    with pytest.raises(RateLimitedError) as refused:
        ingest.handle(second, headers("push", second, delivery="d-2"))
    assert refused.value.details["delivery"] == "kept"
    assert "counted when replayed" in refused.value.message
    kept = DeliveryLedger(store).kept(10)
    assert [(r["delivery_id"], r["status"], r["error"][:12]) for r in kept] == [("d-2", "failed", "rate_limited")]
    assert len(store.rows("activities")) == 1
    replayer = WebhookIngest(store, secret=SECRET, clock=clock)  # replays are not the hook's traffic
    assert replayer.replay(kept[0]).body["status"] == "processed"
    assert len(store.rows("activities")) == 2
    assert replayer.replay(kept[0]).body["status"] == "duplicate"
    assert len(store.rows("activities")) == 2


def test_unsigned_traffic_cannot_use_up_a_hooks_budget() -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    ingest = ingest_with_budget(store, clock, budget=1)
    body = push(1)
    for _ in range(5):
        with pytest.raises(SignatureError):
            ingest.handle(body, headers("push", body, secret="forged"))
    assert ingest.handle(body, headers("push", body)).status == 200


def test_a_refused_ping_loses_nothing_and_says_so() -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    ingest = ingest_with_budget(store, clock, budget=1)
    ingest.handle(PING, headers("ping", PING, delivery="p-1"))
    with pytest.raises(RateLimitedError) as refused:
        ingest.handle(PING, headers("ping", PING, delivery="p-2"))
    assert refused.value.details["delivery"] == "uncounted"


def test_a_redelivery_of_a_counted_delivery_over_the_budget_is_not_kept_again() -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    ingest = ingest_with_budget(store, clock, budget=1)
    body = push(1)
    ingest.handle(body, headers("push", body, delivery="d-1"))
    with pytest.raises(RateLimitedError) as refused:
        ingest.handle(body, headers("push", body, delivery="d-1"))
    assert refused.value.details["delivery"] == "counted"
    assert [r["status"] for r in store.rows("webhook_deliveries")] == ["processed"]


def test_each_hook_has_its_own_budget() -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    ingest = ingest_with_budget(store, clock, budget=1)
    body = push(1)
    ingest.handle(body, headers("push", body, delivery="a", hook="1"))
    assert ingest.handle(body, headers("push", body, delivery="b", hook="2")).status == 200
