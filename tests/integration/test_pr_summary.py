"""The pull-request summary against the strict fake GitHub: one commit status per head commit or one comment per
pull request, updated in place across runs; ingest succeeds whatever GitHub answers."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from cachetools import TTLCache

from ecotrace.adapters.github_api import GitHubApi, RateGate
from ecotrace.adapters.github_rest import GitHubRest
from ecotrace.entrypoints.webhook import pr_summary_for
from ecotrace.services.carbon import carbon_for_ingest
from ecotrace.services.emission_factors import EmissionFactorResolver
from ecotrace.services.ingest import WebhookIngest
from ecotrace.services.pr_summary.figures import CONTEXT, MARKER
from ecotrace.services.pr_summary.poster import PrSummaries
from ecotrace.settings import Settings
from tests.fakes.github_api import FakeGitHub, Scripted
from tests.fakes.memory_store import MemoryStore
from tests.integration.backfill.bf_helpers import job_object, run_object
from tests.unit.webhook.wh_helpers import FakeClock, body_of, headers, payload

REPO = "Codertocat/Hello-World"
METHOD = "https://example.org/ecotrace/METHODOLOGY.md"
OPENED = payload("pull_request/opened.payload.json")
HEAD_1 = OPENED["pull_request"]["head"]["sha"]
HEAD_2 = "b" * 40
BASE = OPENED["pull_request"]["base"]["ref"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        fake.add_repo(REPO, OPENED["repository"]["id"], default_branch=BASE)
        yield fake


def _ingest(store: MemoryStore, github: FakeGitHub, clock: FakeClock, mode: str, read_s: float = 2.0) -> WebhookIngest:
    api = GitHubApi(
        github.token,
        base_url=github.base_url,
        timeout=httpx.Timeout(read_s, connect=1.0),
        gate=RateGate(),
        cache=TTLCache(maxsize=10, ttl=60),
    )
    hook = PrSummaries(store, GitHubRest(api, attempts=1), mode=mode, method_url=METHOD, clock=clock)
    carbon = carbon_for_ingest(EmissionFactorResolver.offline(clock=clock), clock)
    return WebhookIngest(store, secret="test-secret-for-unit-tests", clock=clock, carbon=carbon, after_commit=hook)


def _pr(action: str, head: str, updated_at: str = "2019-05-16T10:00:00Z") -> dict[str, Any]:
    data = copy.deepcopy(OPENED)
    data["action"] = action
    data["pull_request"]["head"]["sha"] = head
    if action == "synchronize":
        data["pull_request"]["updated_at"] = updated_at
    return data


def _deliver(ingest: WebhookIngest, event: str, data: dict[str, Any], guid: str) -> dict[str, Any]:
    body = body_of(data)
    result = ingest.handle(body, headers(event, body, delivery=guid))
    assert result.status == 200, result.body
    return result.body


def _jobs(ingest: WebhookIngest, clock: FakeClock, run_id: int, head: str, ref: str, count: int = 2) -> None:
    run = run_object(run_id, clock.now - timedelta(hours=1), head_sha=head, branch=ref)
    for index in range(count):
        job = job_object(run_id * 10 + index, run, duration_s=200 + 100 * index)
        data = {
            "action": "completed",
            "workflow_job": job,
            "repository": OPENED["repository"],
            "sender": OPENED["sender"],
        }
        _deliver(ingest, "workflow_job", data, f"job-{job['id']}")


def _ci_grams(store: MemoryStore, heads: set[str]) -> float:
    rows = [r for r in store.rows("activities") if r["type"] == "ci_run" and r["counted"]]
    return 1000 * sum(r["carbon_kg"] for r in rows if json.loads(r["details"]).get("head_sha") in heads)


def test_one_comment_per_pull_request_edited_in_place_across_runs(
    store: MemoryStore, github: FakeGitHub, clock: FakeClock
) -> None:
    ingest = _ingest(store, github, clock, "comment")
    _deliver(ingest, "pull_request", _pr("opened", HEAD_1), "pr-opened")
    assert github.comments == {}  # no CI on its head yet: nothing to say
    _jobs(ingest, clock, 501, HEAD_1, "changes")
    (comment,) = github.comments_on(REPO, 2)
    assert comment["body"].startswith(MARKER)
    assert "2 jobs" in comment["body"]
    assert METHOD in comment["body"]
    edits = comment["edits"]

    _deliver(ingest, "pull_request", _pr("synchronize", HEAD_2), "pr-sync")
    _jobs(ingest, clock, 502, HEAD_2, "changes", count=3)
    (comment,) = github.comments_on(REPO, 2)  # still one comment ...
    assert comment["edits"] > edits  # ... edited in place
    assert "5 jobs" in comment["body"]
    assert "2 runs" in comment["body"]
    total = _ci_grams(store, {HEAD_1, HEAD_2})
    assert f"{total:.3g} g" in comment["body"]

    record = store.rows("pr_summaries")[0]
    assert (record["pr_number"], record["mode"], record["head_sha"]) == (2, "comment", HEAD_2)
    assert record["comment_id"] == str(next(iter(github.comments)))
    posts = len([r for r in github.requests if r.method in ("POST", "PATCH")])
    _deliver(ingest, "workflow_job", _redelivered(store), "job-again")  # nothing new: nothing posted
    assert len([r for r in github.requests if r.method in ("POST", "PATCH")]) == posts


def _redelivered(store: MemoryStore) -> dict[str, Any]:
    run = run_object(502, FakeClock().now - timedelta(hours=1), head_sha=HEAD_2, branch="changes")
    job = job_object(5020, run, duration_s=200)
    return {"action": "completed", "workflow_job": job, "repository": OPENED["repository"], "sender": OPENED["sender"]}


def test_one_commit_status_per_head_commit_replaced_on_each_run(
    store: MemoryStore, github: FakeGitHub, clock: FakeClock
) -> None:
    ingest = _ingest(store, github, clock, "status")
    for index, head in enumerate(("c" * 40, "d" * 40, "e" * 40)):  # three commits on the base branch
        _jobs(ingest, clock, 600 + index, head, BASE)
    _deliver(ingest, "pull_request", _pr("opened", HEAD_1), "pr-opened")
    _jobs(ingest, clock, 701, HEAD_1, "changes", count=1)
    _jobs(ingest, clock, 702, HEAD_1, "changes", count=1)

    statuses = github.statuses[(REPO.lower(), HEAD_1)]
    assert {s["context"] for s in statuses} == {CONTEXT}  # one context: each post replaces the last
    latest = statuses[-1]
    assert latest["state"] == "success"
    assert latest["target_url"] == METHOD
    assert len(latest["description"]) <= 140
    assert f"vs {BASE}" in latest["description"]
    assert "2 runs" in latest["description"]
    base_commits = [_ci_grams(store, {h}) for h in ("c" * 40, "d" * 40, "e" * 40)]
    head = _ci_grams(store, {HEAD_1})
    change = head / sorted(base_commits)[1] - 1
    assert f"head {change * 100:+.0f}% vs {BASE}" in latest["description"]
    assert github.comments == {}


def test_ingest_succeeds_when_github_refuses_the_post(store: MemoryStore, github: FakeGitHub, clock: FakeClock) -> None:
    github.read_only(REPO)  # the token may read, not write: 403 "Resource not accessible by integration"
    ingest = _ingest(store, github, clock, "comment")
    _deliver(ingest, "pull_request", _pr("opened", HEAD_1), "pr-opened")
    _jobs(ingest, clock, 801, HEAD_1, "changes")
    jobs = [r for r in store.rows("activities") if json.loads(r["details"]).get("kind") == "workflow_job"]
    assert len(jobs) == 2
    assert store.get("user_stats", "gh_21031067") is not None
    record = store.rows("pr_summaries")[0]
    assert "403" in record["last_error"]
    assert github.comments == {}


def test_a_hanging_github_costs_the_delivery_a_bounded_time(
    store: MemoryStore, github: FakeGitHub, clock: FakeClock
) -> None:
    ingest = _ingest(store, github, clock, "status", read_s=0.5)
    _deliver(ingest, "pull_request", _pr("opened", HEAD_1), "pr-opened")
    github.always = Scripted(200, {}, hang_s=3.0)
    started = time.monotonic()
    _jobs(ingest, clock, 901, HEAD_1, "changes", count=1)
    assert time.monotonic() - started < 2.5
    github.always = None
    assert "Timeout" in store.rows("pr_summaries")[0]["last_error"]


def test_summaries_are_off_unless_configured(store: MemoryStore, caplog: pytest.LogCaptureFixture) -> None:
    base = {"APPWRITE_FUNCTION_API_ENDPOINT": "http://x/v1", "APPWRITE_FUNCTION_PROJECT_ID": "p"}
    assert pr_summary_for(Settings.from_env(base), store) is None
    assert pr_summary_for(Settings.from_env({**base, "ECOTRACE_PR_SUMMARY": "comment"}), store) is None
    assert "needs GITHUB_TOKEN" in caplog.text
    token = {**base, "ECOTRACE_PR_SUMMARY": "status", "GITHUB_TOKEN": "ghp_x"}
    assert pr_summary_for(Settings.from_env(token), store) is None
    assert "ECOTRACE_METHOD_URL" in caplog.text
    assert pr_summary_for(Settings.from_env({**token, "ECOTRACE_PR_SUMMARY": "everywhere"}), store) is None
    assert pr_summary_for(Settings.from_env({**token, "ECOTRACE_METHOD_URL": METHOD}), store) is not None


def test_a_closed_pull_request_keeps_its_summary_until_it_is_reopened_and_pushed_to(
    store: MemoryStore, github: FakeGitHub, clock: FakeClock
) -> None:
    ingest = _ingest(store, github, clock, "comment")
    _deliver(ingest, "pull_request", _pr("opened", HEAD_1), "pr-opened")
    _jobs(ingest, clock, 601, HEAD_1, "changes")
    (comment,) = github.comments_on(REPO, 2)
    edits = comment["edits"]

    closed = _pr("closed", HEAD_1)
    closed["pull_request"].update(state="closed", closed_at="2019-05-16T09:00:00Z", updated_at="2019-05-16T09:00:00Z")
    _deliver(ingest, "pull_request", closed, "pr-closed")
    _jobs(ingest, clock, 602, HEAD_1, "changes")  # CI on a closed pull request: its summary is left as it was
    (comment,) = github.comments_on(REPO, 2)
    assert comment["edits"] == edits
    assert "2 jobs" in comment["body"]

    _deliver(ingest, "pull_request", _pr("synchronize", HEAD_2, updated_at="2019-05-16T10:00:00Z"), "pr-sync")
    _jobs(ingest, clock, 603, HEAD_2, "changes", count=3)  # reopened and pushed to: summarised again, in place
    (comment,) = github.comments_on(REPO, 2)
    assert comment["edits"] > edits
    assert "7 jobs" in comment["body"]  # every job of its head commits so far, the closed spell's too
