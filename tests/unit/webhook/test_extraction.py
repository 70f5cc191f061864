"""What each GitHub event means: activities per fixture, ids that make repeats collapse, tolerant models."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from ecotrace.domain.github import (
    ESTIMATED_LINES_PER_FILE,
    Outcome,
    commit_row_id,
    extract,
    run_row_id,
)
from ecotrace.domain.models import ActivityType
from ecotrace.errors import ValidationError
from tests.unit.webhook.wh_helpers import ALL_FIXTURES, COUNTED, PINGS, event_of, multi_commit_push, payload


def test_the_fixture_set_is_complete() -> None:
    assert len(ALL_FIXTURES) == 98  # the 95 of ../shared plus three pull_request_review examples
    assert set(COUNTED) | PINGS <= set(ALL_FIXTURES)


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_every_fixture_is_understood(name: str) -> None:
    result = extract(event_of(name), payload(name), "delivery-1")
    if name in COUNTED:
        assert result.outcome is Outcome.ACTIVITIES
        assert [a.type.value for a in result.activities] == COUNTED[name]
        for activity in result.activities:
            assert activity.user_id == f"gh_{payload(name)['sender']['id']}"
            assert activity.repo_id == str(payload(name)["repository"]["id"])
            assert activity.timestamp.tzinfo is not None
    elif name in PINGS:
        assert result.outcome is Outcome.PING
        assert result.hook_id == payload(name)["hook_id"]
    else:
        assert result.outcome is Outcome.IGNORED
        assert result.activities == ()
        assert result.reason


def test_push_commit_carries_files_and_marks_estimated_lines() -> None:
    result = extract("push", payload("push/with-new-branch.payload.json"))
    (commit,) = result.activities
    assert commit.type is ActivityType.COMMIT
    assert commit.external_id == "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
    assert commit.files_changed == 1
    assert commit.details["files_added"] == 1
    assert (commit.lines_added, commit.lines_deleted) == (ESTIMATED_LINES_PER_FILE, 0)
    assert commit.lines_estimated is True
    assert commit.title == "Initial commit"
    assert commit.timestamp == datetime(2019, 5, 15, 15, 19, 25, tzinfo=UTC)


def test_multi_commit_push_yields_each_distinct_commit_once() -> None:
    data = multi_commit_push(7, repeat_first=True)
    data["commits"][3]["distinct"] = False  # already pushed to another branch of the repository
    result = extract("push", data)
    shas = [a.external_id for a in result.activities]
    assert len(shas) == 6
    assert len(set(shas)) == 6
    assert data["commits"][3]["id"] not in shas


def test_the_same_commit_has_the_same_row_id_from_any_branch_but_not_in_another_repository() -> None:
    one = extract("push", payload("push/with-new-branch.payload.json")).activities[0]
    other_branch = payload("push/with-new-branch.payload.json")
    other_branch["ref"] = "refs/heads/feature"
    other_branch["forced"] = True
    assert extract("push", other_branch).activities[0].id == one.id
    fork = copy.deepcopy(other_branch)
    fork["repository"]["id"] = 999
    assert extract("push", fork).activities[0].id != one.id
    assert one.id == commit_row_id(186853002, "6113728F27AE82C7B1A177C8D03F9E96E0ADF246")
    assert len(one.id) <= 36


def test_pull_request_lifecycle_gives_distinct_rows_with_counts() -> None:
    opened = extract("pull_request", payload("pull_request/opened.payload.json")).activities[0]
    synced = extract("pull_request", payload("pull_request/synchronize.payload.json")).activities[0]
    closed = extract("pull_request", payload("pull_request/closed.payload.json")).activities[0]
    assert len({opened.id, synced.id, closed.id}) == 3
    assert (opened.lines_added, opened.lines_deleted, opened.files_changed, opened.details["commits"]) == (1, 1, 1, 1)
    assert closed.details["action"] == "closed"  # the fixture was closed without merging
    merged = payload("pull_request/closed.payload.json")
    merged["pull_request"]["merged"] = True
    merged["pull_request"]["merged_at"] = "2019-05-15T15:21:18Z"
    merged_row = extract("pull_request", merged).activities[0]
    assert merged_row.details["action"] == "merged"
    assert merged_row.id != closed.id
    pushed_again = payload("pull_request/synchronize.payload.json")
    pushed_again["pull_request"]["head"]["sha"] = "f" * 40
    assert extract("pull_request", pushed_again).activities[0].id != synced.id


def test_workflow_job_has_real_duration_labels_and_runner() -> None:
    result = extract("workflow_job", payload("workflow_job/completed.success.with-organization.payload.json"))
    (job,) = result.activities
    assert job.duration_s == 198.0  # 10:34:58 -> 10:38:16
    assert job.runner_labels == ["ubuntu-latest"]
    assert job.runner_name == "GitHub Actions 5"
    assert job.counted is True
    (link,) = result.run_links
    assert link.run_row_id == run_row_id(job.repo_id, 2202229078, 1)
    assert link.placeholder.counted is False


def test_workflow_run_reruns_are_separate_rows() -> None:
    first = payload("workflow_run/completed.payload.json")
    rerun = copy.deepcopy(first)
    rerun["workflow_run"]["run_attempt"] = 2
    a = extract("workflow_run", first).activities[0]
    b = extract("workflow_run", rerun).activities[0]
    assert a.id != b.id
    assert a.external_id.endswith(":1")
    assert b.external_id.endswith(":2")


def test_2020_era_payloads_without_newer_fields_still_count() -> None:
    run = payload("workflow_run/completed.payload.json")
    for key in ("run_attempt", "run_started_at", "display_title", "triggering_actor"):
        run["workflow_run"].pop(key)
    run["workflow_run"]["updated_at"] = "2020-10-05T16:35:24Z"
    (activity,) = extract("workflow_run", run).activities
    assert activity.duration_s == 120.0  # from created_at when run_started_at is missing
    job = payload("workflow_job/completed.success.with-organization.payload.json")
    for key in ("created_at", "runner_id", "runner_name", "runner_group_id", "runner_group_name", "run_attempt"):
        job["workflow_job"].pop(key)
    (ci,) = extract("workflow_job", job).activities
    assert ci.runner_name is None
    assert ci.duration_s == 198.0
    push = payload("push/with-new-branch.payload.json")
    push["commits"][0].pop("tree_id")
    assert len(extract("push", push).activities) == 1


def test_deployment_status_success_counts_and_in_progress_does_not() -> None:
    (dep,) = extract("deployment_status", payload("deployment_status/payload.json")).activities
    assert dep.type is ActivityType.DEPLOYMENT
    assert dep.duration_s == 2.0
    failed = payload("deployment_status/payload.json")
    failed["deployment_status"]["state"] = "failure"
    assert extract("deployment_status", failed).activities[0].details["state"] == "failure"
    assert extract("deployment_status", payload("deployment_status/gh-pages.payload.json")).activities == ()


def test_bots_are_labelled() -> None:
    bot = {"login": "renovate[bot]", "id": 29139614, "type": "Bot"}
    result = extract("push", multi_commit_push(2, sender=bot))
    assert all(a.is_bot for a in result.activities)
    assert result.actor is not None
    assert result.actor.is_bot


@pytest.mark.parametrize(
    ("event", "mutate", "field"),
    [
        ("push", lambda d: d.pop("repository"), "repository"),
        ("push", lambda d: d["commits"][0].update(timestamp="yesterday"), "commits.0.timestamp"),
        ("push", lambda d: d["sender"].update(id="not-a-number"), "sender.id"),
        ("pull_request", lambda d: d["pull_request"].update(additions=[1]), "pull_request.additions"),
        ("workflow_job", lambda d: d["workflow_job"].pop("started_at"), "workflow_job.started_at"),
        ("ping", lambda d: d.pop("hook_id"), "hook_id"),
    ],
)
def test_wrong_or_missing_fields_are_named(event: str, mutate: object, field: str) -> None:
    names = {
        "push": "push/with-new-branch.payload.json",
        "pull_request": "pull_request/opened.payload.json",
        "workflow_job": "workflow_job/completed.success.with-organization.payload.json",
        "ping": "ping/payload.json",
    }
    data = payload(names[event])
    mutate(data)  # type: ignore[operator]
    with pytest.raises(ValidationError) as info:
        extract(event, data)
    assert field in info.value.message
