"""The ingest plan is pure: given what was read, it lists the writes of the delivery's one transaction.

No store here: each test gives the plan the rows a store would have returned and checks the writes it decides on.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from ecotrace.domain.carbon import apply_result, calculate, plan_for
from ecotrace.domain.github import DeliveryHeaders, Extraction, extract
from ecotrace.domain.models import Activity, Confidence, EmissionFactor
from ecotrace.ports import BulkCreate, BulkUpsert, Create, Increment, Row, Update
from ecotrace.services.ingest.ci_runs import UNCOUNTED_BECAUSE, account_runs
from ecotrace.services.ingest.plan import IngestPlan, StoredRows, new_activities, plan
from ecotrace.tables import activities, calculations
from ecotrace.tables.deliveries import DeliveryRecord, DeliveryStatus
from tests.unit.webhook.wh_helpers import body_of, headers, multi_commit_push, payload

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
JOB = "workflow_job/completed.success.with-organization.payload.json"
RUN = "workflow_run/completed.payload.json"
ACCOUNT_READ = 'read("user:acct-1")'


def _delivery(event: str, data: dict[str, Any], delivery: str = "d-1") -> tuple[Extraction, DeliveryHeaders]:
    head = DeliveryHeaders.parse(headers(event, body_of(data), delivery=delivery))
    return extract(event, data, head.delivery_id), head


def _plan(extraction: Extraction, head: DeliveryHeaders, stored: StoredRows, **kwargs: Any) -> IngestPlan:
    return plan(extraction, head, stored, new_activities(extraction, stored.activities), NOW, **kwargs)


def _of(writes: tuple[Any, ...], kind: type, table: str) -> list[Any]:
    return [w for w in writes if isinstance(w, kind) and w.table == table]


def _carbon(activity: Activity) -> tuple[Activity, Row]:
    factor = EmissionFactor(
        region="WORLD", zone="WORLD", g_co2e_per_kwh=400.0, source="test", fetched_at=NOW, confidence=Confidence.LOW
    )
    result = calculate(plan_for(activity), factor, NOW)
    return apply_result(activity, result), calculations.to_row(result)


def _job(job_id: int = 1, run_id: int = 5000) -> dict[str, Any]:
    data = payload(JOB)
    data["workflow_job"].update(id=job_id, run_id=run_id, run_attempt=1)
    data["workflow_job"]["started_at"] = "2021-08-05T10:00:00Z"
    data["workflow_job"]["completed_at"] = "2021-08-05T10:02:00Z"
    return data


def _run(run_id: int = 5000, minutes: int = 9) -> dict[str, Any]:
    data = payload(RUN)
    data["workflow_run"].update(id=run_id, run_attempt=1)
    data["workflow_run"]["run_started_at"] = "2021-08-05T10:00:00Z"
    data["workflow_run"]["updated_at"] = f"2021-08-05T10:{minutes:02d}:00Z"
    data["repository"]["id"] = _job()["repository"]["id"]
    return data


def test_a_first_push_creates_the_user_its_activities_and_their_totals() -> None:
    extraction, head = _delivery("push", multi_commit_push(3))
    result = _plan(extraction, head, StoredRows(activities={}, user=None, stats={}))
    actor = extraction.actor
    assert actor is not None
    assert [a.id for a in result.created] == [a.id for a in extraction.activities]
    assert result.already_recorded == ()
    assert result.updated == ()
    kinds = [(type(w).__name__, w.table) for w in result.writes]
    # no carbon step: nothing counts for the rollups yet (pending); the feed says "3 commits", anonymously
    assert kinds == [
        ("Create", "users"),
        ("BulkCreate", "activities"),
        ("Create", "activity_feed"),
        ("Create", "user_stats"),
    ]
    (item,) = _of(result.writes, Create, "activity_feed")
    assert (item.data["activity_count"], item.data["carbon_kg"], item.data["github_login"]) == (3, None, None)
    (user,) = _of(result.writes, Create, "users")
    assert (user.row_id, user.data["username"], user.data["$permissions"]) == (actor.user_id, actor.login, [])
    (bulk,) = _of(result.writes, BulkCreate, "activities")
    assert [r["$id"] for r in bulk.rows] == [a.id for a in extraction.activities]
    assert all(r["$permissions"] == [] for r in bulk.rows)  # not signed up: no one may read them yet
    (stats,) = _of(result.writes, Create, "user_stats")
    lines = sum((a.lines_added or 0) + (a.lines_deleted or 0) for a in extraction.activities)
    assert (stats.data["activity_count"], stats.data["commit_count"], stats.data["lines_changed"]) == (3, 3, lines)
    assert "carbon_kg" not in stats.data  # no carbon step: the calculator fills it in later


def test_a_push_whose_commits_are_all_recorded_writes_nothing_but_a_changed_profile() -> None:
    extraction, head = _delivery("push", multi_commit_push(3))
    actor = extraction.actor
    assert actor is not None
    stored = {a.id: activities.to_row(a) for a in extraction.activities}
    user = {"$id": actor.user_id, "username": "old-login", "avatar_url": actor.avatar_url}
    stats = {"$id": actor.user_id, "activity_count": 3, "last_activity_at": "2030-01-01T00:00:00.000+00:00"}
    result = _plan(extraction, head, StoredRows(stored, user, {actor.user_id: stats}))
    assert result.created == ()
    assert result.already_recorded == tuple(a.id for a in extraction.activities)
    assert result.writes == (Update("users", actor.user_id, {"username": actor.login, "avatar_url": actor.avatar_url}),)


def test_a_signed_up_sender_s_rows_and_audit_rows_carry_their_read_permission() -> None:
    extraction, head = _delivery("push", multi_commit_push(2))
    actor = extraction.actor
    assert actor is not None
    user = {"$id": actor.user_id, "username": actor.login, "avatar_url": actor.avatar_url, "account_id": "acct-1"}
    carbon = [_carbon(a) for a in extraction.activities]
    result = _plan(extraction, head, StoredRows({}, user, {actor.user_id: None}), carbon=carbon)
    (bulk,) = _of(result.writes, BulkCreate, "activities")
    (audit,) = _of(result.writes, BulkUpsert, "calculations")
    (stats,) = _of(result.writes, Create, "user_stats")
    assert all(r["$permissions"] == [ACCOUNT_READ] for r in [*bulk.rows, *audit.rows])
    assert stats.data["$permissions"] == [ACCOUNT_READ]
    # the activities are created with their carbon, so no separate update of their carbon columns
    assert _of(result.writes, Update, "activities") == []
    assert [r["carbon_kg"] for r in bulk.rows] == [filled.carbon_kg for filled, _ in carbon]
    assert [r["$id"] for r in audit.rows] == [row["$id"] for _, row in carbon]
    assert stats.data["carbon_kg"] == pytest.approx(sum(filled.carbon_kg or 0 for filled, _ in carbon))
    assert [type(w).__name__ for w in result.writes].index("BulkUpsert") < len(result.writes) - 1  # before totals


def test_totals_that_exist_are_incremented_not_overwritten() -> None:
    extraction, head = _delivery("push", multi_commit_push(2))
    actor = extraction.actor
    assert actor is not None
    user = {"$id": actor.user_id, "username": actor.login, "avatar_url": actor.avatar_url}
    stats = {"$id": actor.user_id, "activity_count": 7, "last_activity_at": "2000-01-01T00:00:00.000+00:00"}
    result = _plan(extraction, head, StoredRows({}, user, {actor.user_id: stats}))
    increments = {w.column: w.value for w in _of(result.writes, Increment, "user_stats")}
    assert increments["activity_count"] == 2
    assert increments["commit_count"] == 2
    (latest,) = _of(result.writes, Update, "user_stats")
    assert latest.data["last_activity_at"] > "2000-01-01"


def test_a_job_of_a_run_that_was_counted_un_counts_the_run_and_its_owner_s_share() -> None:
    run_extraction, _ = _delivery("workflow_run", _run(minutes=9))
    (run,) = run_extraction.activities
    run, _audit = _carbon(run.model_copy(update={"user_id": "gh_99", "github_login": "someone-else"}))
    extraction, head = _delivery("workflow_job", _job())
    actor = extraction.actor
    assert actor is not None
    stored = StoredRows({run.id: activities.to_row(run)}, None, {actor.user_id: None, "gh_99": {"$id": "gh_99"}})
    result = _plan(extraction, head, stored)
    assert result.updated == (run.id,)
    (rewrite,) = _of(result.writes, Update, "activities")
    assert rewrite.row_id == run.id
    assert rewrite.data["counted"] is False
    assert (rewrite.data["carbon_kg"], rewrite.data["energy_kwh"]) == (0.0, 0.0)
    assert json.loads(rewrite.data["details"])["uncounted_because"] == UNCOUNTED_BECAUSE
    (marker,) = _of(result.writes, Create, "webhook_deliveries")  # only the first un-counting can create it
    assert marker.data["delivery_id"] == f"uncount:{run.id}"
    taken_off = {w.column: w.value for w in _of(result.writes, Increment, "user_stats") if w.row_id == "gh_99"}
    assert taken_off["activity_count"] == -1
    assert taken_off["ci_run_count"] == -1
    assert taken_off["ci_minutes"] == pytest.approx(-9.0)
    assert taken_off["carbon_kg"] == pytest.approx(-(run.carbon_kg or 0))
    (job_totals,) = [w for w in _of(result.writes, Create, "user_stats") if w.row_id == actor.user_id]
    assert job_totals.data["ci_run_count"] == 1


def test_the_first_job_of_a_run_creates_the_run_as_an_uncounted_placeholder() -> None:
    extraction, head = _delivery("workflow_job", _job())
    result = _plan(extraction, head, StoredRows({}, None, {}))
    (bulk,) = _of(result.writes, BulkCreate, "activities")
    job_row, run_row = bulk.rows
    assert job_row["counted"] is True
    assert run_row["$id"] == extraction.run_links[0].run_row_id
    assert run_row["counted"] is False
    assert json.loads(run_row["details"])["placeholder"] is True
    assert [a.id for a in result.created] == [job_row["$id"]]  # the placeholder is not a new activity


def test_a_job_recorded_before_does_not_touch_its_run() -> None:
    extraction, head = _delivery("workflow_job", _job())
    (job,) = extraction.activities
    run_row = activities.to_row(extraction.run_links[0].placeholder.model_copy(update={"counted": True}))
    stored = {job.id: activities.to_row(job), run_row["$id"]: run_row}
    assert account_runs(extraction, stored, has_new=False).uncounted == ()
    result = _plan(extraction, head, StoredRows(stored, None, {}))
    assert result.updated == ()
    assert _of(result.writes, Update, "activities") == []


def test_a_run_fills_in_the_placeholder_its_jobs_created_and_stays_uncounted() -> None:
    job_extraction, _ = _delivery("workflow_job", _job())
    placeholder = job_extraction.run_links[0].placeholder
    extraction, head = _delivery("workflow_run", _run(minutes=9))
    (run,) = extraction.activities
    assert run.id == placeholder.id
    result = _plan(extraction, head, StoredRows({run.id: activities.to_row(placeholder)}, None, {}))
    assert (result.created, result.already_recorded, result.updated) == ((), (), (run.id,))
    (fill,) = _of(result.writes, Update, "activities")
    assert fill.data["counted"] is False
    assert fill.data["duration_s"] == 540.0
    assert not set(fill.data) & set(activities.IDENTITY_COLUMNS)  # who and where stay as first written
    assert _of(result.writes, Create, "user_stats") == []  # nothing counted


def test_the_same_inputs_give_the_same_plan() -> None:
    extraction, head = _delivery("push", multi_commit_push(4))
    stored = StoredRows({}, None, {})
    assert _plan(extraction, head, stored) == _plan(extraction, head, stored)


def test_a_delivery_record_derives_its_lease_from_when_it_last_changed() -> None:
    row = {"$id": "d_1", "status": "received", "attempts": 2, "$updatedAt": "2026-11-25T11:59:30.000+00:00"}
    record = DeliveryRecord.from_row(row)
    assert (record.status, record.attempts, record.finished) == (DeliveryStatus.RECEIVED, 2, False)
    assert not record.lease_expired(NOW, lease_s=60)
    assert record.lease_expired(NOW, lease_s=10)
    assert DeliveryRecord.from_row({**row, "$updatedAt": "garbage"}).lease_expired(NOW, lease_s=60)
    assert DeliveryRecord.from_row({**row, "status": "processed"}).finished
    assert DeliveryRecord.from_row({**row, "status": "???"}).status is None
