"""A backfill imports runs, jobs and commits through the webhook's path, and the webhook's later deliveries of
the same work count nothing again (and the reverse)."""

from __future__ import annotations

from tests.fakes.github_api import FakeGitHub
from tests.fakes.memory_store import MemoryStore
from tests.integration.backfill.bf_helpers import (
    REPO,
    counted,
    details,
    populate,
    run_to_end,
    start_operator,
    webhook_delivery,
    wire,
)
from tests.unit.ranking.rollup_helpers import assert_rollups_match, rollups_from_scratch
from tests.unit.webhook.wh_helpers import FakeClock


def test_backfill_imports_jobs_runs_and_commits_with_carbon(
    store: MemoryStore, github: FakeGitHub, clock: FakeClock
) -> None:
    populate(github, clock.now, runs=3, jobs_per_run=2, commits=4)
    wired = wire(store, github, clock)
    answer = start_operator(wired)
    run_to_end(wired, answer["backfill"]["id"], clock)

    rows = store.by_id("activities")
    jobs = [r for r in rows.values() if details(r).get("kind") == "workflow_job"]
    runs = [r for r in rows.values() if details(r).get("kind") == "workflow_run"]
    commits = [r for r in rows.values() if r["type"] == "commit"]
    assert len(jobs) == 6
    assert len(runs) == 3
    assert len(commits) == 4
    assert all(r["counted"] and r["carbon_kg"] > 0 for r in jobs)
    assert all(not r["counted"] and not details(r)["placeholder"] for r in runs)  # filled in, the jobs count
    assert {details(r)["trigger"] for r in runs} == {"push"}
    assert sorted((r["lines_added"], r["lines_deleted"]) for r in commits) == [(10, 0), (20, 1), (30, 2), (40, 3)]
    assert {r["user_id"] for r in commits} == {"gh_1001", "gh_1002"}  # each commit's GitHub author
    assert all(r["delivery_id"].startswith("backfill:") for r in rows.values())

    backfill = store.get("backfills", answer["backfill"]["id"])
    assert backfill is not None
    assert (backfill["status"], backfill["repos_done"], backfill["repos_total"]) == ("done", 1, 1)
    assert (backfill["jobs_imported"], backfill["runs_imported"], backfill["commits_imported"]) == (6, 3, 4)
    assert backfill["api_calls"] == github.hits()  # every request the backfill sent is counted, line counts too
    alice = store.get("user_stats", "gh_1001")
    assert alice is not None
    assert alice["ci_run_count"] == 6
    job_carbon = sum(r["carbon_kg"] for r in jobs)
    alice_commits = sum(r["carbon_kg"] for r in commits if r["user_id"] == "gh_1001")
    assert abs(alice["carbon_kg"] - (job_carbon + alice_commits)) < 1e-12


def test_webhook_deliveries_after_the_backfill_count_nothing_again(
    store: MemoryStore, github: FakeGitHub, clock: FakeClock
) -> None:
    made = populate(github, clock.now, runs=2, jobs_per_run=3)
    wired = wire(store, github, clock)
    run_to_end(wired, start_operator(wired, include_commits=False)["backfill"]["id"], clock)
    assert store.rows("activity_feed") == []  # imported history is not news for the global feed
    # the rollups the boards rank from follow the import: equal to a count from scratch of its activities
    assert_rollups_match(rollups_from_scratch(store.rows("activities")), {r["$id"]: r for r in store.rows("rollups")})
    assert store.rows("rollups")
    before_rows = store.snapshot("activities", "calculations", "rollups")
    before = counted(store)

    for index, job in enumerate(made.jobs):
        result = wired.ingest.handle(*webhook_delivery("workflow_job", job, github, REPO, f"job-{index}"))
        assert (result.status, result.body["created"], result.body["already_recorded"]) == (200, 0, 1)
    for index, run in enumerate(made.runs):
        result = wired.ingest.handle(*webhook_delivery("workflow_run", run, github, REPO, f"run-{index}"))
        assert (result.status, result.body["created"], result.body["updated"]) == (200, 0, 0)

    assert counted(store) == before
    assert store.snapshot("activities", "calculations", "rollups") == before_rows


def test_a_backfill_after_the_webhook_imports_only_what_the_webhook_missed(
    store: MemoryStore, github: FakeGitHub, clock: FakeClock
) -> None:
    made = populate(github, clock.now, runs=2, jobs_per_run=2)
    wired = wire(store, github, clock)
    for index, job in enumerate(made.jobs[:3]):  # the webhook saw three of the four jobs
        assert wired.ingest.handle(*webhook_delivery("workflow_job", job, github, REPO, f"j{index}")).status == 200
    seen = counted(store)["gh_1001"]

    backfill_id = start_operator(wired, include_commits=False)["backfill"]["id"]
    run_to_end(wired, backfill_id, clock)

    row = store.get("backfills", backfill_id)
    assert row is not None
    assert row["jobs_imported"] == 1
    alice = counted(store)["gh_1001"]
    assert alice["ci_run_count"] == 4 == seen["ci_run_count"] + 1
    jobs = [r for r in store.rows("activities") if details(r).get("kind") == "workflow_job"]
    assert len(jobs) == 4
    assert abs(alice["carbon_kg"] - sum(r["carbon_kg"] for r in jobs)) < 1e-12
