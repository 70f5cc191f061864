"""50 concurrent deliveries from one sender on the local stack (issue 14 item 1): 30 pushes and a 20-job
``workflow_job`` matrix, sent at once. Every delivery answers 2xx and is counted exactly once, and the rollups equal
a reconciliation from the activities: contention on the sender's ``user_stats`` and rollup rows is absorbed by
retries with backoff and, past the budget, by pending deltas folded afterwards."""

from __future__ import annotations

from datetime import date

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace.domain.rollups import rows_of
from ecotrace.services.reconcile import ReconcileRequest, reconcile
from ecotrace.services.rollups import RollupWriter
from ecotrace_local.testing import StackHandle
from scripts.burst import SENDER, burst, expected_counts, send_all
from tests.integration.webhook.wh_http import SECRET, rows, url
from tests.unit.ranking.rollup_helpers import assert_rollups_match, rollups_from_scratch

PUSHES, JOBS, COMMITS = 30, 20, 3


def test_fifty_concurrent_deliveries_from_one_sender_all_succeed_and_count_once(
    stack: StackHandle, store: AppwriteStore
) -> None:
    deliveries = burst(PUSHES, JOBS, COMMITS, tag="t")
    result = send_all(url(stack), SECRET, deliveries, clients=50)
    assert result.statuses == (200,) * len(deliveries)

    activities = rows(store, "activities")
    assert len(activities) == PUSHES * COMMITS + JOBS + 1  # and the matrix's run, as its jobs' placeholder
    assert {r["status"] for r in rows(store, "webhook_deliveries").values()} == {"processed"}
    left = len(rows(store, "pending_deltas"))  # deferred counting its delivery could not fold at once
    assert left <= len(deliveries) // 2, left
    RollupWriter(store).fold_pending(limit=1000)  # what the next sweep or leaderboard run does with leftovers
    assert rows(store, "pending_deltas") == {}
    stats = rows(store, "user_stats")[f"gh_{SENDER['id']}"]
    assert {k: stats[k] for k in expected_counts(PUSHES, JOBS, COMMITS)} == expected_counts(PUSHES, JOBS, COMMITS)
    assert_rollups_match(rollups_from_scratch(activities.values()), rows(store, "rollups"))
    days = {date.fromisoformat(str(r["timestamp"])[:10]) for r in activities.values()}
    for period in {p for day in days for p in rows_of(day)}:
        report = reconcile(store, ReconcileRequest(period, dry_run=True))
        assert (report.differences_found, report.busy) == (0, []), report.differences

    again = send_all(url(stack), SECRET, deliveries[:10], clients=10)  # GitHub redelivering some of them
    assert again.statuses == (200,) * 10
    assert {k: rows(store, "user_stats")[f"gh_{SENDER['id']}"][k] for k in stats} == stats
