"""Retention: processed bodies go after 30 days, failed ones are kept for replay until 90 days and then go with a
note, expired rate-limit counters go; in bounded slices."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ecotrace.clock import to_iso
from ecotrace.errors import NotConfiguredError
from ecotrace.services.ingest import DeliveryLedger
from ecotrace.services.retention import RetentionPolicy, purge
from tests.fakes.memory_store import MemoryStore
from tests.unit.webhook.wh_helpers import FakeClock


def seed_delivery(store: MemoryStore, clock: FakeClock, row_id: str, status: str, age_days: float) -> None:
    store.seed(
        "webhook_deliveries",
        row_id,
        {
            "delivery_id": row_id,
            "event": "push",
            "status": status,
            "received_at": to_iso(clock.now - timedelta(days=age_days)),
            "body": '{"sender": {"login": "ada"}}',
            "body_sha256": "0" * 64,
            "sender_login": "ada",
            "error": "store down" if status == "failed" else None,
        },
    )


def test_bodies_go_by_status_and_age_and_failed_ones_say_why() -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    for row_id, status, age in [
        ("p-old", "processed", 31),
        ("p-new", "processed", 29),
        ("f-old", "failed", 91),
        ("f-mid", "failed", 45),
        ("r-old", "received", 100),
    ]:
        seed_delivery(store, clock, row_id, status, age)
    store.seed(
        "rate_limits",
        "rl_old",
        {
            "scope": "user",
            "count": 3,
            "window_start": to_iso(clock.now - timedelta(hours=1)),
            "expires_at": to_iso(clock.now - timedelta(minutes=45)),
        },
    )
    store.seed(
        "rate_limits",
        "rl_now",
        {
            "scope": "user",
            "count": 3,
            "window_start": to_iso(clock.now),
            "expires_at": to_iso(clock.now + timedelta(minutes=15)),
        },
    )
    report = purge(store, RetentionPolicy(), clock=clock)
    assert (report.processed_bodies, report.failed_bodies, report.rate_limit_rows, report.complete) == (1, 2, 1, True)
    rows = store.by_id("webhook_deliveries")
    kept = {row_id for row_id, row in rows.items() if row["body"] is not None}
    assert kept == {"p-new", "f-mid"}
    assert rows["p-old"]["sender_login"] is None
    assert rows["p-old"]["status"] == "processed"
    assert "never counted" in rows["f-old"]["error"]
    assert rows["f-old"]["status"] == "failed"
    assert [r["delivery_id"] for r in DeliveryLedger(store).kept(10)] == ["f-mid"]  # purged ones are not replayed
    assert list(store.by_id("rate_limits")) == ["rl_now"]
    assert purge(store, RetentionPolicy(), clock=clock).processed_bodies == 0  # a second run finds nothing


def test_a_run_is_bounded_and_the_next_one_continues() -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    for i in range(7):
        seed_delivery(store, clock, f"p-{i}", "processed", 40)
    first = purge(store, RetentionPolicy(), clock=clock, slice_rows=2, slices=2)
    assert (first.processed_bodies, first.complete) == (4, False)
    second = purge(store, RetentionPolicy(), clock=clock, slice_rows=2, slices=2)
    assert (second.processed_bodies, second.complete) == (3, True)


def test_the_periods_come_from_the_environment() -> None:
    policy = RetentionPolicy.from_env({"ECOTRACE_DELIVERY_RETENTION_DAYS": "7"})
    assert (policy.processed_days, policy.failed_days) == (7.0, 90.0)
    with pytest.raises(NotConfiguredError, match="ECOTRACE_FAILED_DELIVERY_RETENTION_DAYS"):
        RetentionPolicy.from_env({"ECOTRACE_FAILED_DELIVERY_RETENTION_DAYS": "0"})
