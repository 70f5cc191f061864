"""CI: jobs carry the energy; a run's row never counts the same work twice, in either arrival order."""

from __future__ import annotations

import copy
import json
from typing import Any

from ecotrace.domain.github import job_row_id, run_row_id
from ecotrace.services.ingest import WebhookIngest
from tests.fakes.memory_store import MemoryStore
from tests.unit.webhook.wh_helpers import body_of, headers, payload

JOB = "workflow_job/completed.success.with-organization.payload.json"
RUN = "workflow_run/completed.payload.json"
REPO_ID = 186853002


def _job(job_id: int, seconds: int, run_id: int = 5000, attempt: int = 1) -> dict[str, Any]:
    data = payload(JOB)
    data["workflow_job"].update(id=job_id, run_id=run_id, run_attempt=attempt)
    data["workflow_job"]["started_at"] = "2021-08-05T10:00:00Z"
    data["workflow_job"]["completed_at"] = f"2021-08-05T10:{seconds // 60:02d}:{seconds % 60:02d}Z"
    data["repository"]["id"] = REPO_ID
    return data


def _run(run_id: int = 5000, attempt: int = 1, minutes: int = 9) -> dict[str, Any]:
    data = payload(RUN)
    data["workflow_run"].update(id=run_id, run_attempt=attempt)
    data["workflow_run"]["run_started_at"] = "2021-08-05T10:00:00Z"
    data["workflow_run"]["updated_at"] = f"2021-08-05T10:{minutes:02d}:00Z"
    data["repository"]["id"] = REPO_ID
    data["sender"] = copy.deepcopy(payload(JOB)["sender"])
    return data


def _send(ingest: WebhookIngest, event: str, data: dict[str, Any], delivery: str) -> dict[str, Any]:
    body = body_of(data)
    result = ingest.handle(body, headers(event, body, delivery=delivery))
    assert result.status == 200, result.body
    return result.body


def _stats(store: MemoryStore) -> dict[str, Any]:
    (row,) = store.by_id("user_stats").values()
    return row


def test_jobs_then_run_count_the_jobs_only(ingest: WebhookIngest, store: MemoryStore) -> None:
    _send(ingest, "workflow_job", _job(1, 120), "j1")
    _send(ingest, "workflow_job", _job(2, 240), "j2")
    _send(ingest, "workflow_run", _run(minutes=9), "r1")
    rows = store.by_id("activities")
    run = rows[run_row_id(REPO_ID, 5000, 1)]
    assert run["counted"] is False
    assert run["duration_s"] == 540.0  # filled in from the run event
    assert json.loads(run["details"])["placeholder"] is False
    stats = _stats(store)
    assert (stats["ci_run_count"], stats["activity_count"]) == (2, 2)
    assert stats["ci_minutes"] == 6.0


def test_run_then_jobs_uncounts_the_run(ingest: WebhookIngest, store: MemoryStore) -> None:
    _send(ingest, "workflow_run", _run(minutes=9), "r1")
    assert _stats(store)["ci_minutes"] == 9.0
    _send(ingest, "workflow_job", _job(1, 120), "j1")
    _send(ingest, "workflow_job", _job(2, 240), "j2")
    run = store.by_id("activities")[run_row_id(REPO_ID, 5000, 1)]
    assert run["counted"] is False
    stats = _stats(store)
    assert (stats["ci_run_count"], stats["activity_count"]) == (2, 2)
    assert stats["ci_minutes"] == 6.0


def test_both_orders_end_with_the_same_totals() -> None:
    from tests.unit.webhook.wh_helpers import SECRET

    ends = []
    for order in (("j", "r"), ("r", "j")):
        store = MemoryStore()
        ingest = WebhookIngest(store, secret=SECRET)
        for step in order:
            if step == "j":
                _send(ingest, "workflow_job", _job(1, 300), "j1")
            else:
                _send(ingest, "workflow_run", _run(minutes=9), "r1")
        stats = _stats(store)
        ends.append((stats["ci_minutes"], stats["ci_run_count"], sorted(store.by_id("activities"))))
    assert ends[0] == ends[1]


def test_a_run_alone_counts_its_duration(ingest: WebhookIngest, store: MemoryStore) -> None:
    _send(ingest, "workflow_run", _run(minutes=9), "r1")
    (row,) = store.by_id("activities").values()
    assert row["counted"] is True
    assert _stats(store)["ci_run_count"] == 1


def test_reruns_are_separate_runs_and_jobs(ingest: WebhookIngest, store: MemoryStore) -> None:
    _send(ingest, "workflow_job", _job(1, 60, attempt=1), "a1")
    _send(ingest, "workflow_job", _job(1, 60, attempt=2), "a2")
    _send(ingest, "workflow_run", _run(attempt=1), "r1")
    _send(ingest, "workflow_run", _run(attempt=2), "r2")
    rows = store.by_id("activities")
    assert {job_row_id(REPO_ID, 1, 1), job_row_id(REPO_ID, 1, 2)} <= set(rows)
    assert {run_row_id(REPO_ID, 5000, 1), run_row_id(REPO_ID, 5000, 2)} <= set(rows)
    assert _stats(store)["ci_run_count"] == 2


def test_a_redelivered_job_changes_nothing(ingest: WebhookIngest, store: MemoryStore) -> None:
    _send(ingest, "workflow_job", _job(1, 60), "j1")
    before = store.snapshot("activities", "user_stats")
    again = _send(ingest, "workflow_job", _job(1, 60), "j1-other-delivery")
    assert again["created"] == 0
    assert store.snapshot("activities", "user_stats") == before


def test_pull_request_and_deployment_rows_feed_their_counters(ingest: WebhookIngest, store: MemoryStore) -> None:
    for i, name in enumerate(["pull_request/opened.payload.json", "pull_request/closed.payload.json"]):
        _send(ingest, "pull_request", payload(name), f"pr{i}")
    _send(ingest, "deployment_status", payload("deployment_status/payload.json"), "dep")
    stats = _stats(store)
    # the opened and the closed step of one pull request: two activities, one pull request
    assert (stats["pr_count"], stats["deployment_count"], stats["activity_count"]) == (1, 1, 3)
    assert stats["lines_changed"] == 0  # PR lines repeat their commits' lines: only commits count them


class StaleFirstRead(MemoryStore):
    """A store whose first read of the run row is stale: what a delivery sees when another one un-counted the
    run between this delivery's read and its commit."""

    def __init__(self) -> None:
        super().__init__()
        self.stale: dict[str, Any] | None = None

    def get_many(self, table: str, row_ids: Any) -> dict[str, Any]:
        found = super().get_many(table, row_ids)
        if table == "activities" and self.stale is not None and self.stale["$id"] in found:
            found[self.stale["$id"]] = self.stale
            self.stale = None
        return found


def test_two_jobs_that_both_saw_the_run_counted_take_its_share_off_once() -> None:
    from tests.unit.webhook.wh_helpers import SECRET

    store = StaleFirstRead()
    ingest = WebhookIngest(store, secret=SECRET)
    _send(ingest, "workflow_run", _run(minutes=9), "r1")
    stale = store.by_id("activities")[run_row_id(REPO_ID, 5000, 1)]  # counted: True
    _send(ingest, "workflow_job", _job(1, 120), "j1")  # un-counts the run
    store.stale = stale  # the second job reads the run as it was before j1 committed
    _send(ingest, "workflow_job", _job(2, 240), "j2")
    stats = _stats(store)
    assert (stats["ci_run_count"], stats["activity_count"]) == (2, 2)
    assert stats["ci_minutes"] == 6.0
