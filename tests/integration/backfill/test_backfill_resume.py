"""A backfill too big for one slice completes in several, and a crash at any point of a slice resumes to the same
result as an uninterrupted run: same rows, same totals, same counters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from ecotrace.services.backfill.runner import LEASE_S
from tests.fakes.github_api import FakeGitHub
from tests.fakes.memory_store import MemoryStore
from tests.integration.backfill.bf_helpers import counted, populate, run_to_end, start_operator, wire
from tests.unit.webhook.wh_helpers import FakeClock


class Crash(Exception):
    """The process dying: nothing in EcoTrace catches it."""


def _outcome(store: MemoryStore, backfill_id: str) -> dict[str, Any]:
    activities = {
        row_id: (row["type"], row["user_id"], row["counted"], row["carbon_kg"], row["lines_added"], row["duration_s"])
        for row_id, row in store.by_id("activities").items()
    }
    backfill = store.get("backfills", backfill_id)
    assert backfill is not None
    kept = ("status", "repos_done", "jobs_imported", "runs_imported", "commits_imported")
    return {
        "activities": activities,
        "calculations": sorted(store.by_id("calculations")),
        "stats": counted(store),
        "users": sorted(store.by_id("users")),
        "backfill": {k: backfill[k] for k in kept},
    }


@pytest.fixture
def reference(github: FakeGitHub, clock: FakeClock) -> Iterator[dict[str, Any]]:
    """The outcome of the same backfill without any interruption (and how many store requests it made)."""
    populate(github, clock.now, runs=4, jobs_per_run=3, commits=5)
    store = MemoryStore(clock)
    wired = wire(store, github, clock)
    backfill_id = start_operator(wired)["backfill"]["id"]
    run_to_end(wired, backfill_id, clock)
    yield {**_outcome(store, backfill_id), "store_requests": len(store.requests)}
    github.requests.clear()


def test_a_backfill_too_big_for_one_slice_completes_in_several(
    reference: dict[str, Any], store: MemoryStore, github: FakeGitHub, clock: FakeClock
) -> None:
    reference.pop("store_requests")
    wired = wire(store, github, clock, max_calls=3)  # every slice may send three requests
    answer = start_operator(wired)
    assert answer["backfill"]["status"] == "running"
    assert answer["backfill"]["repos_done"] == 0
    assert answer["backfill"]["eta_at"] is not None
    slices = run_to_end(wired, answer["backfill"]["id"], clock)

    assert _outcome(store, answer["backfill"]["id"]) == reference
    row = store.get("backfills", answer["backfill"]["id"])
    assert row is not None
    assert row["slices"] == slices + 1 >= 4  # the one that started it, and those that continued
    assert row["lease_owner"] is None


@pytest.mark.parametrize("when", [0.03, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.97])
def test_a_crash_mid_slice_resumes_to_the_same_result(
    reference: dict[str, Any], store: MemoryStore, github: FakeGitHub, clock: FakeClock, when: float
) -> None:
    """The process dies at a store request (a read, a transaction's create, stage or commit), ``when`` of the
    way through the uninterrupted run's requests."""
    crash_at = max(1, round(when * reference.pop("store_requests")))
    seen = {"count": 0}

    def dies(method: str, table: str) -> None:
        seen["count"] += 1
        if seen["count"] == crash_at:
            raise Crash(f"killed at request {crash_at} ({method} {table})")

    wired = wire(store, github, clock)
    store.faults.append(dies)
    with pytest.raises(Crash):
        start_operator(wired)
    store.faults.clear()

    backfill_id = store.rows("backfills")[0]["$id"]
    if store.rows("backfills")[0]["lease_owner"]:  # the slice died holding the lease: it holds ...
        assert wired.runner.run_slice(backfill_id).outcome == "busy"
    clock.now += timedelta(seconds=LEASE_S + 1)  # ... until it expires
    run_to_end(wired, backfill_id, clock)
    assert _outcome(store, backfill_id) == reference


def test_two_slices_at_once_do_not_both_work(store: MemoryStore, github: FakeGitHub, clock: FakeClock) -> None:
    populate(github, clock.now, runs=2, jobs_per_run=1)
    wired = wire(store, github, clock, max_calls=1)
    backfill_id = start_operator(wired)["backfill"]["id"]
    row = store.get("backfills", backfill_id)
    assert row is not None
    store.update("backfills", backfill_id, {"lease_owner": "someone", "lease_until": "2030-01-01T00:00:00.000+00:00"})
    sent = github.hits()
    assert wired.runner.run_slice(backfill_id).outcome == "busy"
    assert github.hits() == sent


def test_a_failing_store_ends_the_slice_waiting_and_the_next_one_finishes(
    reference: dict[str, Any], store: MemoryStore, github: FakeGitHub, clock: FakeClock
) -> None:
    reference.pop("store_requests")
    wired = wire(store, github, clock)
    store.fail("tx_commit", times=1, after=3)  # the fourth transaction (a unit of work) fails
    answer = start_operator(wired)
    row = store.get("backfills", answer["backfill"]["id"])
    assert row is not None
    assert row["status"] == "waiting"
    assert "the store failed" in row["message"]
    assert row["lease_owner"] is None  # released: the next slice need not wait for the lease
    run_to_end(wired, answer["backfill"]["id"], clock)
    assert _outcome(store, answer["backfill"]["id"]) == reference
