"""Rate limits: fixed windows aligned to the epoch, one counter row per caller and window, a 429 with the wait past
the budget, a fresh budget in the next window; settings from RATE_LIMIT_* (the design's names)."""

from __future__ import annotations

import pytest

from ecotrace.domain.invocation import Invocation
from ecotrace.domain.rate_limit import Policy, Scope, counter_id, window_at
from ecotrace.errors import NotConfiguredError, RateLimitedError, StorageError
from ecotrace.services.rate_limits import RateLimiter
from ecotrace.settings import rate_limits_from_env
from tests.fakes.memory_store import MemoryStore
from tests.unit.webhook.wh_helpers import FakeClock

WINDOW_MS = 60_000


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()  # 2026-11-25 12:00:00 UTC: a whole minute, so a 60 s window starts now


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock)


def limiter(store: MemoryStore, clock: FakeClock, **budgets: int) -> RateLimiter:
    return RateLimiter(store, Policy(window_ms=WINDOW_MS, **budgets), clock=clock)


def user_call(user: str, ip: str = "203.0.113.7") -> Invocation:
    return Invocation.from_headers(
        {"x-appwrite-trigger": "http", "x-appwrite-user-id": user, "x-appwrite-client-ip": ip}
    )


def test_windows_are_aligned_and_the_wait_is_whole_seconds() -> None:
    window = window_at(125_500, 60_000)
    assert (window.start_ms, window.end_ms) == (120_000, 180_000)
    assert window.retry_after_s(125_500) == 55  # 54.5 s, rounded up
    assert window.retry_after_s(179_999) == 1


def test_counter_ids_hold_no_raw_key_and_differ_by_scope_key_and_window() -> None:
    first = window_at(0, WINDOW_MS)
    later = window_at(WINDOW_MS, WINDOW_MS)
    ids = {
        counter_id(Scope.USER, "acct-1", first),
        counter_id(Scope.IP, "acct-1", first),
        counter_id(Scope.USER, "acct-2", first),
        counter_id(Scope.USER, "acct-1", later),
    }
    assert len(ids) == 4
    assert all(len(i) <= 36 and "acct" not in i for i in ids)


def test_the_budget_is_counted_and_the_next_request_gets_429_with_the_wait(
    store: MemoryStore, clock: FakeClock
) -> None:
    limits = limiter(store, clock, user_max=3, ip_max=0)
    for _ in range(3):
        limits.check_user_call(user_call("ada"))
    clock.advance(20)
    with pytest.raises(RateLimitedError) as refused:
        limits.check_user_call(user_call("ada"))
    assert refused.value.status == 429
    assert refused.value.retry_after_s == 40
    assert refused.value.details["scope"] == "user"
    assert "at most 3 requests per 1 min" in refused.value.message
    rows = store.rows("rate_limits")
    assert [(r["scope"], r["count"]) for r in rows] == [("user", 3)]  # the refused request changed nothing


def test_another_user_has_their_own_budget_and_the_next_window_starts_afresh(
    store: MemoryStore, clock: FakeClock
) -> None:
    limits = limiter(store, clock, user_max=1, ip_max=0)
    limits.check_user_call(user_call("ada"))
    limits.check_user_call(user_call("grace"))
    with pytest.raises(RateLimitedError):
        limits.check_user_call(user_call("ada"))
    clock.advance(60)
    limits.check_user_call(user_call("ada"))
    assert sorted(r["count"] for r in store.rows("rate_limits")) == [1, 1, 1]


def test_one_address_is_limited_across_users(store: MemoryStore, clock: FakeClock) -> None:
    limits = limiter(store, clock, user_max=100, ip_max=2)
    limits.check_user_call(user_call("ada"))
    limits.check_user_call(user_call("grace"))
    with pytest.raises(RateLimitedError) as refused:
        limits.check_user_call(user_call("linus"))
    assert refused.value.details["scope"] == "ip"
    limits.check_user_call(user_call("linus", ip="198.51.100.1"))


def test_schedules_events_and_api_key_callers_are_not_limited(store: MemoryStore, clock: FakeClock) -> None:
    limits = limiter(store, clock, user_max=1, ip_max=1)
    for headers in (
        {"x-appwrite-trigger": "schedule"},
        {"x-appwrite-trigger": "event"},
        {"x-appwrite-trigger": "http"},
    ):
        for _ in range(3):
            limits.check_user_call(Invocation.from_headers({**headers, "x-appwrite-client-ip": "203.0.113.7"}))
    assert store.rows("rate_limits") == []


def test_a_counter_outage_lets_the_request_through(store: MemoryStore, clock: FakeClock) -> None:
    limits = limiter(store, clock, user_max=1, ip_max=0)
    store.down = True
    limits.check_user_call(user_call("ada"))  # no exception: a counter outage refuses nothing


def test_a_failing_write_still_refuses_nothing_and_later_calls_count(store: MemoryStore, clock: FakeClock) -> None:
    limits = limiter(store, clock, user_max=2, ip_max=0)
    store.fail("create", "rate_limits", error=StorageError("down for a moment"))
    limits.check_user_call(user_call("ada"))
    limits.check_user_call(user_call("ada"))
    limits.check_user_call(user_call("ada"))
    with pytest.raises(RateLimitedError):
        limits.check_user_call(user_call("ada"))


def test_settings_read_the_design_variables_and_name_a_bad_one() -> None:
    policy = rate_limits_from_env({"RATE_LIMIT_WINDOW_MS": "60000", "RATE_LIMIT_MAX_REQUESTS": "7"})
    assert (policy.window_ms, policy.user_max, policy.ip_max, policy.hook_max) == (60_000, 7, 1000, 10_000)
    assert rate_limits_from_env({}) == Policy(900_000, 100, 1000, 10_000)
    with pytest.raises(NotConfiguredError, match="RATE_LIMIT_MAX_REQUESTS"):
        rate_limits_from_env({"RATE_LIMIT_MAX_REQUESTS": "lots"})
    with pytest.raises(NotConfiguredError, match="at least 1000 ms"):
        rate_limits_from_env({"RATE_LIMIT_WINDOW_MS": "10"})
