"""GitHub's limits and refusals, as the strict fake gives them: Link pages, the 1,000-result search cap, the
primary and secondary rate limits, 5xx, repositories the token cannot read, a refused token."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from ecotrace.services.backfill.start import Requester
from tests.fakes.github_api import FakeGitHub, Scripted
from tests.fakes.memory_store import MemoryStore
from tests.integration.backfill.bf_helpers import (
    OTHER,
    OTHER_ID,
    REPO,
    details,
    job_object,
    populate,
    run_object,
    run_to_end,
    start_operator,
    wire,
)
from tests.unit.webhook.wh_helpers import FakeClock


def _jobs(store: MemoryStore) -> list[dict]:
    return [r for r in store.rows("activities") if details(r).get("kind") == "workflow_job"]


def test_pages_are_followed_by_their_link_headers(store: MemoryStore, github: FakeGitHub, clock: FakeClock) -> None:
    populate(github, clock.now, runs=23, jobs_per_run=1, spacing=timedelta(minutes=20))  # three pages of runs
    big = run_object(990_001, clock.now - timedelta(hours=1))
    github.add_run(REPO, big)
    for index in range(25):  # three pages of jobs
        github.add_job(REPO, job_object(99_000_000 + index, big, offset_s=index))
    wired = wire(store, github, clock, per_page=10)
    backfill_id = start_operator(wired, include_commits=False)["backfill"]["id"]
    run_to_end(wired, backfill_id, clock)

    assert len(_jobs(store)) == 23 + 25
    run_pages = [r.query.get("page") for r in github.requests if r.path.endswith("/actions/runs")]
    assert run_pages == [None, "2", "3"]
    big_pages = [r.query.get("page") for r in github.requests if r.path.endswith(f"/runs/{big['id']}/jobs")]
    assert big_pages == [None, "2", "3"]
    assert all(r.query.get("filter") == "all" for r in github.requests if r.path.endswith("/jobs"))
    assert all(r.query.get("per_page") == "10" for r in github.requests if r.path.endswith(("/jobs", "/runs")))
    row = store.get("backfills", backfill_id)
    assert row is not None
    assert (row["jobs_imported"], row["runs_imported"]) == (48, 24)


def test_a_window_with_more_runs_than_the_search_returns_is_split(
    store: MemoryStore, github: FakeGitHub, clock: FakeClock
) -> None:
    github.search_cap = 5  # as GitHub's 1,000, smaller
    populate(github, clock.now, runs=23, jobs_per_run=1, spacing=timedelta(hours=30))
    wired = wire(store, github, clock, search_cap=5)
    run_to_end(wired, start_operator(wired, include_commits=False)["backfill"]["id"], clock)

    assert len(_jobs(store)) == 23
    windows = {r.query["created"] for r in github.requests if r.path.endswith("/actions/runs")}
    assert len(windows) > 3  # the first window held 23 runs: it was halved until each held at most 5
    spans = []
    for window in windows:
        low, high = (datetime.fromisoformat(x.replace("Z", "+00:00")) for x in window.split(".."))
        spans.append((low, high))
    listed = [(lo, hi) for lo, hi in spans if sum(1 for run in github.runs[REPO] if _inside(run, lo, hi)) <= 5]
    assert listed  # and the windows that were listed held at most the cap


def _inside(run: dict, low: datetime, high: datetime) -> bool:
    created = datetime.fromisoformat(run["created_at"].replace("Z", "+00:00"))
    return low <= created <= high


def test_the_primary_rate_limit_makes_it_wait_for_the_reset(
    store: MemoryStore, github: FakeGitHub, clock: FakeClock
) -> None:
    populate(github, clock.now, runs=4, jobs_per_run=1)
    wired = wire(store, github, clock)
    github.remaining = 4  # the repository, the runs page and two runs' jobs; then "API rate limit exceeded"
    backfill_id = start_operator(wired, include_commits=False)["backfill"]["id"]

    row = store.get("backfills", backfill_id)
    assert row is not None
    assert row["status"] == "waiting"
    assert datetime.fromisoformat(row["next_at"]) == datetime.fromtimestamp(github.reset_at).astimezone(
        clock.now.tzinfo
    )
    assert "rate limit" in row["message"]
    assert len(_jobs(store)) == 2
    sent = github.hits()
    assert wired.runner.run_slice(backfill_id).outcome == "not_due"  # nothing is sent before the reset
    assert github.hits() == sent

    github.remaining = 5000
    clock.now = datetime.fromtimestamp(github.reset_at + 1).astimezone(clock.now.tzinfo)
    run_to_end(wired, backfill_id, clock)
    assert len(_jobs(store)) == 4


def test_it_stops_before_the_limit_leaving_a_reserve(store: MemoryStore, github: FakeGitHub, clock: FakeClock) -> None:
    populate(github, clock.now, runs=6, jobs_per_run=1)
    wired = wire(store, github, clock, reserve=10)
    github.remaining = 14
    backfill_id = start_operator(wired, include_commits=False)["backfill"]["id"]
    row = store.get("backfills", backfill_id)
    assert row is not None
    assert row["status"] == "waiting"
    assert github.remaining == 10  # it stopped with the reserve left, long before GitHub's 403


def test_a_secondary_rate_limit_waits_as_long_as_retry_after_says(
    store: MemoryStore, github: FakeGitHub, clock: FakeClock
) -> None:
    made = populate(github, clock.now, runs=3, jobs_per_run=1)
    wired = wire(store, github, clock)
    limited = Scripted(
        403,
        {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."},
        {"retry-after": "120"},
        path=f"/repos/{REPO}/actions/runs/{made.runs[1]['id']}/jobs",
    )
    github.then(limited)
    backfill_id = start_operator(wired, include_commits=False)["backfill"]["id"]
    row = store.get("backfills", backfill_id)
    assert row is not None
    assert row["status"] == "waiting"
    assert datetime.fromisoformat(row["next_at"]) == clock.now + timedelta(seconds=120)
    assert len(_jobs(store)) == 1
    clock.now += timedelta(seconds=121)
    run_to_end(wired, backfill_id, clock)
    assert len(_jobs(store)) == 3


def test_5xx_answers_are_retried_with_a_bound(store: MemoryStore, github: FakeGitHub, clock: FakeClock) -> None:
    populate(github, clock.now, runs=2, jobs_per_run=1)
    github.then(Scripted(502, {"message": "Server Error"}), Scripted(503, {"message": "Unavailable"}))
    wired = wire(store, github, clock)
    backfill_id = start_operator(wired, include_commits=False)["backfill"]["id"]
    row = store.get("backfills", backfill_id)
    assert row is not None
    assert row["status"] == "done"  # the third try of the first request worked
    assert len(_jobs(store)) == 2


def test_a_repository_github_keeps_failing_on_ends_failed_and_the_others_go_on(
    store: MemoryStore, github: FakeGitHub, clock: FakeClock
) -> None:
    populate(github, clock.now, runs=2, jobs_per_run=1)
    populate(github, clock.now, repo=OTHER, repo_id=OTHER_ID, runs=1, jobs_per_run=1, first_run_id=800_000)
    wired = wire(store, github, clock)
    github.then(*(Scripted(500, {"message": "boom"}, path=f"/repos/{REPO}") for _ in range(9)))
    backfill_id = wired.starter.start(
        {"action": "backfill", "repositories": [REPO, OTHER], "include_commits": False},
        Requester("operator"),
    )["backfill"]["id"]
    slices = run_to_end(wired, backfill_id, clock)

    row = store.get("backfills", backfill_id)
    assert row is not None
    repos = {entry["repo"]: entry for entry in json.loads(row["repos"])}
    assert repos[REPO]["status"] == "failed"
    assert repos[REPO]["error"]["status"] == 500
    assert repos[OTHER]["status"] == "done"
    assert (row["status"], row["repos_done"], row["repos_failed"]) == ("done", 2, 1)
    assert slices >= 2  # it waited between the failing slices
    assert len(_jobs(store)) == 1


def test_repositories_the_token_cannot_read_are_reported_each(
    store: MemoryStore, github: FakeGitHub, clock: FakeClock
) -> None:
    populate(github, clock.now, runs=1, jobs_per_run=2)
    github.add_repo(OTHER, OTHER_ID)
    github.hide(OTHER)
    github.add_repo("octo-org/third", 4444)
    github.forbid("octo-org/third")
    wired = wire(store, github, clock)
    answer = wired.starter.start(
        {"action": "backfill", "repositories": [REPO, OTHER, "octo-org/third"], "include_commits": False},
        Requester("operator"),
    )
    run_to_end(wired, answer["backfill"]["id"], clock)
    row = store.get("backfills", answer["backfill"]["id"])
    assert row is not None
    repos = {entry["repo"]: entry for entry in json.loads(row["repos"])}
    assert (repos[OTHER]["status"], repos[OTHER]["error"]["status"]) == ("no_access", 404)
    assert (repos["octo-org/third"]["status"], repos["octo-org/third"]["error"]["status"]) == ("no_access", 403)
    assert "Resource not accessible by integration" in repos["octo-org/third"]["error"]["message"]
    assert repos[REPO]["status"] == "done"
    assert (row["repos_done"], row["repos_failed"], row["jobs_imported"]) == (3, 2, 2)


def test_a_refused_token_fails_the_backfill_with_what_to_do(
    store: MemoryStore, github: FakeGitHub, clock: FakeClock
) -> None:
    populate(github, clock.now, runs=1, jobs_per_run=1)
    wired = wire(store, github, clock)
    github.token = "ghp_rotated"  # the deployment's token is no longer valid
    row = start_operator(wired)["backfill"]
    assert row["status"] == "failed"
    assert "GITHUB_TOKEN" in row["message"]
