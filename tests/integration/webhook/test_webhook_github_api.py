"""Line counts from GitHub's commit API (bounded, cached, rate-limit aware) and a hook's deliveries, against a
strict fake GitHub over loopback HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from cachetools import TTLCache

from ecotrace.adapters.github_api import (
    GitHubApi,
    GitHubCommitEnricher,
    RateGate,
    RateLimitedError,
    failed_deliveries,
)
from ecotrace.domain.github import extract
from ecotrace.errors import UpstreamError
from tests.fakes.github_api import FakeGitHub, Scripted
from tests.fakes.memory_store import MemoryStore
from tests.unit.webhook.wh_helpers import SECRET, body_of, headers, multi_commit_push

REPO = "Codertocat/Hello-World"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake


def _api(github: FakeGitHub, token: str | None = None, timeout_s: float = 2.0) -> GitHubApi:
    return GitHubApi(
        github.token if token is None else token,
        base_url=github.base_url,
        timeout=httpx.Timeout(timeout_s, connect=1.0),
        gate=RateGate(),
        cache=TTLCache(maxsize=100, ttl=60),
    )


def _commits(n: int) -> list:  # type: ignore[type-arg]
    return list(extract("push", multi_commit_push(n)).activities)


def test_enrichment_replaces_estimates_with_githubs_counts_and_caches(github: FakeGitHub) -> None:
    commits = _commits(3)
    for i, c in enumerate(commits):
        github.add_commit(REPO, c.external_id, additions=10 * (i + 1), deletions=i)
    enricher = GitHubCommitEnricher(_api(github))
    out = {a.external_id: a for a in enricher.enrich(REPO, commits)}
    assert [(out[c.external_id].lines_added, out[c.external_id].lines_deleted) for c in commits] == [
        (10, 0),
        (20, 1),
        (30, 2),
    ]
    assert all(not a.lines_estimated for a in out.values())
    assert github.hits("/commits/") == 3
    enricher.enrich(REPO, commits)
    assert github.hits("/commits/") == 3  # cached
    assert all(s.headers["x-github-api-version"] == "2022-11-28" for s in github.requests)


def test_at_most_max_commits_are_fetched_per_delivery(github: FakeGitHub) -> None:
    commits = _commits(30)
    for c in commits:
        github.add_commit(REPO, c.external_id, 1, 1)
    out = GitHubCommitEnricher(_api(github), max_commits=5).enrich(REPO, commits)
    assert len(out) == 5
    assert github.hits("/commits/") == 5


def test_rate_limit_exhausted_stops_enriching_and_later_calls_send_nothing(github: FakeGitHub) -> None:
    commits = _commits(6)
    for c in commits:
        github.add_commit(REPO, c.external_id, 5, 5)
    github.remaining = 2
    api = _api(github)
    enricher = GitHubCommitEnricher(api, concurrency=1)
    out = enricher.enrich(REPO, commits)
    assert len(out) == 2
    assert api.gate.blocked_until() >= github.reset_at - 1
    sent = len(github.requests)
    assert enricher.enrich(REPO, commits[2:]) == []
    assert len(github.requests) == sent


def test_429_with_retry_after_blocks_for_that_long(github: FakeGitHub) -> None:
    github.then(Scripted(status=429, body={"message": "secondary rate limit"}, headers={"retry-after": "30"}))
    api = _api(github)
    commit = _commits(1)[0]
    with pytest.raises(RateLimitedError):
        api.commit_stats(REPO, commit.external_id)
    assert 25 < api.gate.blocked_until() - time.time() <= 30


def test_a_hanging_github_keeps_estimates_within_the_budget(github: FakeGitHub) -> None:
    commits = _commits(2)
    github.then(Scripted(hang_s=1.5), Scripted(hang_s=1.5))
    enricher = GitHubCommitEnricher(_api(github, timeout_s=0.3), budget_s=1.0)
    started = time.monotonic()
    assert enricher.enrich(REPO, commits) == []
    assert time.monotonic() - started < 1.3


def test_bad_credentials_are_an_upstream_error(github: FakeGitHub) -> None:
    with pytest.raises(UpstreamError):
        _api(github, token="wrong").commit_stats(REPO, "a" * 40)


def test_push_through_the_service_gets_real_line_counts(github: FakeGitHub) -> None:
    from ecotrace.services.ingest import WebhookIngest

    data = multi_commit_push(4)
    for c in data["commits"]:
        github.add_commit(REPO, c["id"], 100, 20)
    store = MemoryStore()
    ingest = WebhookIngest(store, secret=SECRET, enricher=GitHubCommitEnricher(_api(github)))
    body = body_of(data)
    assert ingest.handle(body, headers("push", body)).status == 200
    rows = store.by_id("activities").values()
    assert all((r["lines_added"], r["lines_deleted"], r["lines_estimated"]) == (100, 20, False) for r in rows)
    assert store.by_id("user_stats")["gh_21031067"]["lines_changed"] == 480


def test_deliveries_are_listed_across_pages_and_failed_ones_redelivered(github: FakeGitHub) -> None:
    for i in range(150):
        github.add_delivery(REPO, 7, f"guid-{i}", 200)
    failed = github.add_delivery(REPO, 7, "guid-failed", 503)
    github.add_delivery(REPO, 7, "guid-later-ok", 503)
    github.add_delivery(REPO, 7, "guid-later-ok", 200)  # redelivered successfully since
    api = _api(github)
    listed = api.list_deliveries(REPO, 7)
    assert len(listed) == 153
    todo = failed_deliveries(listed)
    assert [d["guid"] for d in todo] == ["guid-failed"]
    api.redeliver(REPO, 7, todo[0]["id"])
    assert github.redelivered == [failed]
    with pytest.raises(UpstreamError):
        api.redeliver(REPO, 7, 1)


def test_line_counts_no_column_could_hold_keep_the_estimate(github: FakeGitHub) -> None:
    commits = _commits(2)
    github.add_commit(REPO, commits[0].external_id, additions=2**63, deletions=0)
    github.add_commit(REPO, commits[1].external_id, additions=5, deletions=1)
    out = {a.external_id: a for a in GitHubCommitEnricher(_api(github)).enrich(REPO, commits)}
    assert commits[0].external_id not in out  # stays estimated (lines_estimated=True)
    assert (out[commits[1].external_id].lines_added, out[commits[1].external_id].lines_deleted) == (5, 1)
