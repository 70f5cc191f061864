"""The counting rules the function README states: a pull request's lifecycle, and commits GitHub marks
``distinct: false``."""

from __future__ import annotations

import copy
from typing import Any

from ecotrace.services.ingest import WebhookIngest
from tests.fakes.memory_store import MemoryStore
from tests.unit.webhook.wh_helpers import body_of, headers, multi_commit_push, payload

OPENED = "pull_request/opened.payload.json"
SYNC = "pull_request/synchronize.payload.json"
CLOSED = "pull_request/closed.payload.json"


def _send(ingest: WebhookIngest, event: str, data: dict[str, Any], delivery: str) -> dict[str, Any]:
    body = body_of(data)
    result = ingest.handle(body, headers(event, body, delivery=delivery))
    assert result.status in (200, 202), result.body
    return result.body


def _synced(head_sha: str, additions: int, deletions: int) -> dict[str, Any]:
    data = copy.deepcopy(payload(SYNC))
    data["pull_request"].update(additions=additions, deletions=deletions, commits=2)
    data["pull_request"]["head"]["sha"] = head_sha
    return data


def _merged() -> dict[str, Any]:
    data = copy.deepcopy(payload(CLOSED))
    data["pull_request"].update(merged=True, merged_at="2019-05-15T16:00:00Z", additions=30, deletions=4)
    return data


def test_a_pull_request_is_one_pr_however_many_steps_and_never_its_lines(
    ingest: WebhookIngest, store: MemoryStore
) -> None:
    _send(ingest, "pull_request", payload(OPENED), "opened")
    _send(ingest, "pull_request", _synced("a" * 40, 20, 2), "sync-1")
    _send(ingest, "pull_request", _synced("b" * 40, 30, 4), "sync-2")
    _send(ingest, "pull_request", _merged(), "merged")
    rows = sorted(store.by_id("activities").values(), key=lambda r: r["timestamp"])
    assert [r["type"] for r in rows] == ["pr"] * 4
    # each row holds GitHub's totals for the whole pull request at that moment, not a delta
    assert sorted((r["lines_added"], r["lines_deleted"]) for r in rows) == [(1, 1), (20, 2), (30, 4), (30, 4)]
    stats = store.by_id("user_stats")["gh_21031067"]
    # every step used energy (4 activities) but it is one pull request
    assert (stats["pr_count"], stats["activity_count"]) == (1, 4)
    assert stats.get("lines_changed") in (None, 0)  # lines come from commits only


def test_the_same_pull_request_step_from_another_delivery_counts_nothing(
    ingest: WebhookIngest, store: MemoryStore
) -> None:
    _send(ingest, "pull_request", _synced("a" * 40, 20, 2), "sync-1")
    before = store.snapshot("activities", "user_stats")
    again = _send(ingest, "pull_request", _synced("a" * 40, 20, 2), "sync-1-sent-to-a-second-hook")
    assert (again["created"], again["already_recorded"]) == (0, 1)
    assert store.snapshot("activities", "user_stats") == before


def test_commits_github_marks_not_distinct_are_never_counted(ingest: WebhookIngest, store: MemoryStore) -> None:
    merge = multi_commit_push(4)
    for commit in merge["commits"][:3]:
        commit["distinct"] = False  # already in the repository, e.g. a fast-forward merge of a branch
    body = _send(ingest, "push", merge, "ff-merge")
    assert body["created"] == 1
    assert [a["external_id"] for a in body["activities"]] == [merge["commits"][3]["id"]]
    assert store.by_id("user_stats")["gh_21031067"]["commit_count"] == 1


def test_a_push_of_only_already_known_commits_is_acknowledged_and_counts_nothing(
    ingest: WebhookIngest, store: MemoryStore
) -> None:
    branch = multi_commit_push(3)
    _send(ingest, "push", branch, "feature")
    before = store.snapshot("activities", "user_stats")
    merged = copy.deepcopy(branch)
    merged["ref"] = "refs/heads/main"
    for commit in merged["commits"]:
        commit["distinct"] = False
    body = _send(ingest, "push", merged, "main")
    assert body["status"] == "ignored"
    assert store.snapshot("activities", "user_stats") == before
