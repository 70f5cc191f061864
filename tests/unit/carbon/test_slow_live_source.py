"""A live grid-intensity source that times out must not make a batch overrun its time: the webhook's carbon at
ingest and the calculator's ``recalculate`` ask for each region once per batch, and ``recalculate`` starts no
live fetch it could not finish inside the function's 30 s timeout.

Real resolver, real Electricity Maps client; only the network is replaced (an httpx transport that spends the
client's 5 s read timeout in fake time, then times out)."""

from __future__ import annotations

from typing import Any

import httpx

from ecotrace.adapters.electricity_maps import ElectricityMapsClient
from ecotrace.adapters.shipped_factors import ShippedFactors
from ecotrace.entrypoints.http import Invocation
from ecotrace.resilience import retry_policy
from ecotrace.services.calculate import CarbonCalculator
from ecotrace.services.carbon import carbon_for_ingest
from ecotrace.services.emission_factors import EmissionFactorResolver
from ecotrace.tables.activities import to_row as activity_row
from tests.fakes.memory_store import MemoryStore
from tests.unit.carbon.carbon_builders import NOW, make_activity

READ_TIMEOUT_S = 5.0  # ElectricityMapsClient's DEFAULT_TIMEOUT read
FUNCTION_TIMEOUT_S = 30.0  # appwrite.json: carbon-calculator timeout
USER = Invocation(trigger="http", user_id="acct-alice", event=None, key="k")


class FakeTime:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s

    def advance(self, seconds: float) -> None:
        self.now_s += seconds


def timing_out_resolver(clock: FakeTime) -> tuple[EmissionFactorResolver, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        clock.advance(READ_TIMEOUT_S)
        raise httpx.ReadTimeout("timed out", request=request)

    live = ElectricityMapsClient("em-test-key-0123456789", transport=httpx.MockTransport(handler), clock=lambda: NOW)
    resolver = EmissionFactorResolver(
        ShippedFactors.load(),
        live,
        None,
        lambda: NOW,
        monotonic=clock,
        retry=retry_policy(attempts=2, base_s=0.2, max_backoff_s=1.0, sleep=clock.advance),
    )
    return resolver, seen


def test_ingest_asks_the_live_source_once_per_region_per_delivery() -> None:
    clock = FakeTime()
    resolver, seen = timing_out_resolver(clock)
    commits = [
        make_activity(id=f"c{i}", type="commit", lines_added=10, lines_deleted=1, files_changed=1) for i in range(20)
    ]
    filled, rows = carbon_for_ingest(resolver, lambda: NOW)(commits)
    # every commit still gets carbon (from the shipped East US value), and says why
    assert len(filled) == len(rows) == 20
    assert {a.carbon_kg is not None and a.carbon_kg > 0 for a in filled} == {True}
    assert {r["grid_intensity_g_per_kwh"] for r in rows} == {415.755}
    assert all("live source unavailable" in r["confidence_reasons"] for r in rows)
    # one region, one live attempt (2 tries of the carbon-intensity endpoint): ~10 s, not one per commit
    assert len(seen) == 2
    assert clock.now_s <= 2 * READ_TIMEOUT_S + 1.0


def test_recalculate_stays_inside_the_function_timeout_when_the_live_source_hangs() -> None:
    clock = FakeTime()
    resolver, _ = timing_out_resolver(clock)
    store = MemoryStore(clock=lambda: NOW)
    store.seed("users", "gh_1", {"github_id": "1", "username": "u", "account_id": "acct-alice"})
    for i in range(120):
        activity = make_activity(id=f"a{i:03d}", duration_s=600, runner_labels=["ubuntu-latest"])
        store.seed("activities", activity.id, activity_row(activity, []))
    service = CarbonCalculator(store, resolver, lambda: NOW, monotonic=clock, sleep=clock.advance)
    cursor: str | None = None
    for _ in range(10):
        started = clock.now_s
        body: dict[str, Any] = {"action": "recalculate"}
        if cursor:
            body["cursor"] = cursor
        answer = service.handle(body, USER)
        assert clock.now_s - started < FUNCTION_TIMEOUT_S, f"an execution took {clock.now_s - started:.1f} s"
        if answer["done"]:
            break
        cursor = answer["next_cursor"]
    assert answer["done"]
    assert {r["carbon_kg"] is not None for r in store.rows("activities")} == {True}
