"""Rollups stay equal to a from-scratch count of the activities, whatever happens to them and in whatever order.

GIVEN a randomised stream (hypothesis) of signed deliveries on the boundaries of periods (midnight UTC, the end of
a month, ISO week 53 of 2026, the leap day of 2028): pushes whose commits overlap other pushes, redeliveries of
earlier deliveries, workflow jobs and runs in either order (a run counted first becomes uncounted when its jobs
arrive), deliveries whose carbon step failed (completed later by the calculator's sweep), recalculations under a
changed grid intensity, deletions of activities, and deliveries that met contention past their budget (their
counting deferred to pending deltas, some folded, some not), all on a controlled clock;
THEN the reconcile action finds no difference in any period touched, and once the pending deltas are folded every
rollup row equals what the activity rows add up to (``domain.rollups.contribution``)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecotrace.domain.models import EmissionFactor
from ecotrace.domain.ranking import PeriodType
from ecotrace.domain.rollups import rows_of
from ecotrace.entrypoints.http import Invocation
from ecotrace.errors import ConflictError
from ecotrace.ports import Delete
from ecotrace.services.calculate import CarbonCalculator
from ecotrace.services.carbon import carbon_for_ingest
from ecotrace.services.ingest import WebhookIngest
from ecotrace.services.reconcile import ReconcileRequest, reconcile
from ecotrace.services.rollups import RollupWriter
from ecotrace.tables import activities, pending_deltas, rollups
from tests.fakes.memory_store import MemoryStore
from tests.unit.carbon.carbon_builders import make_factor
from tests.unit.ranking.rollup_helpers import assert_rollups_match, rollups_from_scratch
from tests.unit.webhook.wh_helpers import SECRET, body_of, headers, multi_commit_push, payload

BOUNDARIES = [
    datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC),  # the last second of a month (and a Monday's midnight)
    datetime(2026, 12, 1, 0, 0, 0, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC),  # 2026-W53 runs from Monday 28 December ...
    datetime(2027, 1, 3, 23, 59, 59, tzinfo=UTC),  # ... to Sunday 3 January 2027
    datetime(2027, 1, 4, 0, 0, 0, tzinfo=UTC),  # 2027-W01
    datetime(2028, 2, 28, 23, 59, 59, tzinfo=UTC),
    datetime(2028, 2, 29, 12, 0, 0, tzinfo=UTC),  # the leap day
    datetime(2028, 3, 1, 0, 0, 0, tzinfo=UTC),
]
SENDERS = [{"login": f"dev{i}", "id": 7000 + i, "type": "User"} for i in range(3)]
JOB = "workflow_job/completed.success.with-organization.payload.json"
RUN = "workflow_run/completed.payload.json"
SCHEDULE = Invocation(trigger="schedule", user_id=None, event=None, key="k")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2028, 3, 2, 12, tzinfo=UTC)
        self.ticks = 0.0

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.ticks

    def sleep(self, seconds: float) -> None:
        self.ticks += seconds
        self.now += timedelta(seconds=seconds)


class Factors:
    """One grid intensity everywhere, which a step of the stream may change (a recalculation then differs)."""

    def __init__(self) -> None:
        self.g_per_kwh = 400.0

    def resolve(self, region: str | None) -> EmissionFactor:
        return make_factor(self.g_per_kwh, region=region or "WORLD")


@dataclass
class World:
    store: MemoryStore
    clock: Clock
    factors: Factors
    sent: list[tuple[bytes, dict[str, str]]]

    def ingest(self, *, carbon: bool = True, budget_s: float = 6.0) -> WebhookIngest:
        return WebhookIngest(
            self.store,
            secret=SECRET,
            clock=self.clock,
            carbon=carbon_for_ingest(self.factors, self.clock) if carbon else None,
            contention_budget_s=budget_s,
            monotonic=self.clock.monotonic,
            sleep=self.clock.sleep,
        )

    def calculator(self) -> CarbonCalculator:
        return CarbonCalculator(
            self.store, self.factors, clock=self.clock, monotonic=self.clock.monotonic, sleep=self.clock.sleep
        )


def push(commits: list[tuple[int, int]], sender: int) -> tuple[str, dict[str, Any]]:
    data = multi_commit_push(len(commits), sender=SENDERS[sender])
    for commit, (sha, moment) in zip(data["commits"], commits, strict=True):
        commit["id"] = f"{sha + 1:040x}"
        commit["timestamp"] = BOUNDARIES[moment].isoformat().replace("+00:00", "Z")
    data["head_commit"] = copy.deepcopy(data["commits"][-1])
    return "push", data


def job(job_id: int, run_id: int, sender: int, moment: int) -> tuple[str, dict[str, Any]]:
    data = copy.deepcopy(payload(JOB))
    start = BOUNDARIES[moment]
    data["workflow_job"].update(id=job_id, run_id=run_id, run_attempt=1)
    data["workflow_job"]["created_at"] = data["workflow_job"]["started_at"] = start.isoformat()
    data["workflow_job"]["completed_at"] = (start + timedelta(minutes=3 + job_id % 5)).isoformat()
    data["sender"] = SENDERS[sender]
    return "workflow_job", data


def run(run_id: int, sender: int, moment: int) -> tuple[str, dict[str, Any]]:
    data = copy.deepcopy(payload(RUN))
    start = BOUNDARIES[moment]
    data["workflow_run"].update(id=run_id, run_attempt=1)
    data["workflow_run"]["run_started_at"] = start.isoformat()
    data["workflow_run"]["updated_at"] = (start + timedelta(minutes=9)).isoformat()
    data["repository"] = copy.deepcopy(payload(JOB)["repository"])
    data["sender"] = SENDERS[sender]
    return "workflow_run", data


moment = st.integers(0, len(BOUNDARIES) - 1)
sender = st.integers(0, len(SENDERS) - 1)
step = st.one_of(
    st.tuples(st.just("push"), st.lists(st.tuples(st.integers(0, 12), moment), min_size=1, max_size=4), sender),
    st.tuples(st.just("job"), st.integers(1, 6), st.integers(1, 3), sender, moment),
    st.tuples(st.just("run"), st.integers(1, 3), sender, moment),
    st.tuples(st.just("redeliver"), st.integers(0, 50)),
    st.tuples(st.just("recalculate"), st.integers(0, 50)),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("sweep")),
    st.tuples(st.just("fold")),
)
delivery_kind = st.sampled_from(["normal", "normal", "no carbon", "contended", "contended, left pending"])


def deliver(world: World, event: str, data: dict[str, Any], kind: str) -> None:
    body = body_of(data)
    hdrs = headers(event, body, delivery=f"d-{len(world.sent)}")
    world.sent.append((body, hdrs))
    if kind.startswith("contended"):  # the counted rows conflict once, and the budget is already spent: deferred
        world.store.fail("tx_commit", error=ConflictError("transaction conflict"))
        if kind.endswith("left pending"):  # and its own fold right after the commit meets contention too
            world.store.fail("tx_commit", times=1000, after=1, error=ConflictError("transaction conflict"))
        result = world.ingest(budget_s=0.0).handle(body, hdrs)
        world.store.faults.clear()
    else:
        result = world.ingest(carbon=kind != "no carbon").handle(body, hdrs)
    assert result.status in (200, 202), result.body


def apply(world: World, action: tuple[Any, ...], kind: str) -> None:
    name = action[0]
    stored = sorted(world.store.tables["activities"])
    if name == "push":
        deliver(world, *push(action[1], action[2]), kind)
    elif name == "job":
        deliver(world, *job(100 + action[1], 900 + action[2], action[3], action[4]), kind)
    elif name == "run":
        deliver(world, *run(900 + action[1], action[2], action[3]), kind)
    elif name == "redeliver" and world.sent:
        body, hdrs = world.sent[action[1] % len(world.sent)]
        assert world.ingest().handle(body, hdrs).status in (200, 202)
    elif name == "recalculate" and stored:
        world.factors.g_per_kwh *= 1.25
        world.calculator().calculate_and_write([stored[action[1] % len(stored)]], only_stale=False)
    elif name == "delete" and stored:
        gone = activities.from_row(world.store.tables["activities"][stored[action[1] % len(stored)]])
        RollupWriter(world.store, clock=world.clock).apply(
            [(gone, None)], with_writes=[Delete(activities.NAME, gone.id)]
        )
    elif name == "sweep":
        world.calculator().handle({}, SCHEDULE)
    elif name == "fold":
        RollupWriter(world.store, clock=world.clock).fold_pending()
    world.clock.sleep(1.0)


def touched_periods(world: World) -> set[tuple[PeriodType, str, date]]:
    days = {datetime.fromisoformat(str(r["timestamp"])).date() for r in world.store.tables["activities"].values()}
    days |= {date.fromisoformat(str(r["period_start"])[:10]) for r in world.store.tables["rollups"].values()}
    return {(p.type, p.key, day) for day in days for p in rows_of(day)}


def from_scratch(world: World) -> dict[str, tuple[dict[str, float], int]]:
    return rollups_from_scratch(world.store.tables["activities"].values())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(step, delivery_kind), min_size=1, max_size=25))
def test_rollups_equal_a_reconciliation_from_scratch(stream: list[tuple[tuple[Any, ...], str]]) -> None:
    clock = Clock()
    world = World(MemoryStore(clock), clock, Factors(), [])
    for action, kind in stream:
        apply(world, action, kind)

    for period_type, key, day in sorted(touched_periods(world), key=str):
        period = rows_of(day)[list(PeriodType).index(period_type)]
        assert period.key == key
        report = reconcile(world.store, ReconcileRequest(period, dry_run=True), monotonic=clock.monotonic)
        assert report.done
        assert (report.differences_found, report.busy) == (0, []), report.differences

    RollupWriter(world.store, clock=clock).fold_pending(limit=1000)
    assert world.store.tables["pending_deltas"] == {}
    assert_rollups_match(from_scratch(world), world.store.tables["rollups"])


def test_a_deferred_delivery_is_counted_once_however_often_it_is_folded() -> None:
    clock = Clock()
    world = World(MemoryStore(clock), clock, Factors(), [])
    deliver(world, *push([(1, 1), (2, 2)], 0), "contended, left pending")
    (pending,) = world.store.tables["pending_deltas"].values()
    writer = RollupWriter(world.store, clock=clock)
    assert pending_deltas.from_row(pending).entries  # the counting, waiting
    assert world.store.tables["rollups"] == {}
    assert writer.fold_pending().folded == 1
    folded = {row_id: dict(row) for row_id, row in world.store.tables["rollups"].items()}
    assert writer.fold(str(pending["$id"]), writer.backoff(1.0)) is False  # a second fold finds nothing to do
    assert world.store.tables["rollups"] == folded
    expected = from_scratch(world)
    assert {r: rollups.delta_of(world.store.tables["rollups"][r]).values for r in expected} == {
        r: pytest.approx(values) for r, (values, _) in expected.items()
    }
    stats = world.store.tables["user_stats"][f"gh_{SENDERS[0]['id']}"]
    assert stats["commit_count"] == 2  # the user_stats change travelled with it
