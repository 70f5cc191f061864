"""REST objects for the fake GitHub (built from the webhook fixtures' run and job objects, which have the REST
shape), the backfill wired against it, and the webhook deliveries of the same jobs."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from cachetools import TTLCache

from ecotrace.adapters.github_api import GitHubApi, GitHubCommitEnricher, RateGate
from ecotrace.adapters.github_rest import GitHubRest
from ecotrace.services.backfill.runner import BackfillRunner, Continuation
from ecotrace.services.backfill.start import BackfillStarter, Requester
from ecotrace.services.carbon import carbon_for_ingest
from ecotrace.services.emission_factors import EmissionFactorResolver
from ecotrace.services.ingest import WebhookIngest
from ecotrace.services.signup import whoami
from tests.fakes.github_api import FakeGitHub
from tests.fakes.memory_store import MemoryStore
from tests.unit.webhook.wh_helpers import SECRET, FakeClock, body_of, headers, payload

REPO = "octo-org/octo-repo"
REPO_ID = 4242
OTHER = "octo-org/second"
OTHER_ID = 4343
ALICE = {"login": "alice", "id": 1001, "type": "User", "avatar_url": "https://avatars.example/u/1001"}
BOB = {"login": "bob", "id": 1002, "type": "User", "avatar_url": "https://avatars.example/u/1002"}
RUN_FIXTURE = payload("workflow_run/completed.payload.json")["workflow_run"]
JOB_FIXTURE = payload("workflow_job/completed.success.with-organization.payload.json")["workflow_job"]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def run_object(
    run_id: int,
    created: datetime,
    *,
    attempt: int = 1,
    event: str = "push",
    actor: dict[str, Any] = ALICE,
    name: str = "CI",
    workflow_id: int = 7,
    branch: str = "main",
    head_sha: str | None = None,
) -> dict[str, Any]:
    run = copy.deepcopy(RUN_FIXTURE)
    run.update(
        id=run_id,
        name=name,
        display_title=f"{name} #{run_id}",
        run_number=run_id % 10_000,
        run_attempt=attempt,
        event=event,
        status="completed",
        conclusion="success",
        head_branch=branch,
        head_sha=head_sha or f"{run_id:040x}",
        workflow_id=workflow_id,
        created_at=stamp(created),
        run_started_at=stamp(created),
        updated_at=stamp(created + timedelta(minutes=10)),
        html_url=f"https://github.com/{REPO}/actions/runs/{run_id}",
        actor=dict(actor),
        triggering_actor=dict(actor),
    )
    return run


def job_object(
    job_id: int,
    run: dict[str, Any],
    *,
    offset_s: float = 20.0,
    duration_s: float = 300.0,
    labels: tuple[str, ...] = ("ubuntu-latest",),
    attempt: int | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    job = copy.deepcopy(JOB_FIXTURE)
    started = datetime.fromisoformat(run["created_at"].replace("Z", "+00:00")) + timedelta(seconds=offset_s)
    job.update(
        id=job_id,
        run_id=run["id"],
        run_attempt=attempt or run["run_attempt"],
        head_sha=run["head_sha"],
        head_branch=run["head_branch"],
        workflow_name=run["name"],
        name=name or f"job-{job_id}",
        status="completed",
        conclusion="success",
        created_at=stamp(started - timedelta(seconds=10)),
        started_at=stamp(started),
        completed_at=stamp(started + timedelta(seconds=duration_s)),
        labels=list(labels),
        html_url=f"https://github.com/{REPO}/actions/runs/{run['id']}/job/{job_id}",
    )
    return job


def listed_commit(sha: str, when: datetime, author: dict[str, Any] | None = ALICE, message: str = "change") -> dict:
    person = {"name": (author or {}).get("login", "someone"), "email": "dev@example.com", "date": stamp(when)}
    return {
        "sha": sha,
        "html_url": f"https://github.com/{REPO}/commit/{sha}",
        "commit": {"message": message, "author": person, "committer": person},
        "author": dict(author) if author else None,
        "committer": dict(author) if author else None,
    }


@dataclass
class Scenario:
    """What a test put on the fake GitHub."""

    runs: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    commits: list[dict[str, Any]] = field(default_factory=list)


def populate(
    github: FakeGitHub,
    now: datetime,
    *,
    repo: str = REPO,
    repo_id: int = REPO_ID,
    runs: int = 3,
    jobs_per_run: int = 2,
    commits: int = 0,
    first_run_id: int = 900_000,
    spacing: timedelta = timedelta(hours=7),
) -> Scenario:
    """Runs (newest first, ``spacing`` apart, within the last days), their jobs and some commits."""
    if repo.lower() not in github.repos:
        github.add_repo(repo, repo_id, org="octo-org")
    made = Scenario()
    for index in range(runs):
        run_id = first_run_id + index
        run = run_object(run_id, now - timedelta(hours=2) - index * spacing)
        github.add_run(repo, run)
        made.runs.append(run)
        for j in range(jobs_per_run):
            job = job_object(run_id * 100 + j, run, offset_s=20 + 30 * j, duration_s=120 + 60 * j)
            github.add_job(repo, job)
            made.jobs.append(job)
    for index in range(commits):
        item = listed_commit(f"{index + 1:040x}", now - timedelta(hours=3 + index), ALICE if index % 2 == 0 else BOB)
        github.add_listed_commit(repo, item)
        github.add_commit(repo, item["sha"], additions=10 * (index + 1), deletions=index)
        made.commits.append(item)
    return made


def webhook_delivery(event: str, obj: dict[str, Any], github: FakeGitHub, repo: str, guid: str) -> tuple[bytes, dict]:
    """The delivery GitHub sends for a completed job or run (the REST object in the payload)."""
    repository = {k: github.repos[repo.lower()][k] for k in ("id", "full_name", "html_url", "private")}
    sender = obj.get("triggering_actor") or ALICE
    data = {"action": "completed", event: obj, "repository": repository, "sender": sender}
    body = body_of(data)
    return body, headers(event, body, delivery=guid)


def rest_for(github: FakeGitHub, clock: FakeClock, token: str | None = None, per_page: int = 100) -> GitHubRest:
    gate = RateGate(clock=lambda: clock.now.timestamp())
    api = GitHubApi(
        token or github.token,
        base_url=github.base_url,
        timeout=httpx.Timeout(2.0, connect=1.0),
        gate=gate,
        cache=TTLCache(maxsize=1000, ttl=60),
    )
    return GitHubRest(api, sleep=lambda _s: None, per_page=per_page)


def ingest_for_test(store: MemoryStore, clock: FakeClock, rest: GitHubRest | None = None) -> WebhookIngest:
    enricher = GitHubCommitEnricher(rest.api, max_commits=30, budget_s=10.0) if rest is not None else None
    carbon = carbon_for_ingest(EmissionFactorResolver.offline(clock=clock), clock)
    return WebhookIngest(store, secret=SECRET, clock=clock, carbon=carbon, enricher=enricher)


@dataclass
class Wired:
    store: MemoryStore
    rest: GitHubRest
    ingest: WebhookIngest
    runner: BackfillRunner
    starter: BackfillStarter


def wire(
    store: MemoryStore,
    github: FakeGitHub,
    clock: FakeClock,
    *,
    max_calls: int = 1000,
    continuation: Continuation | None = None,
    search_cap: int = 1000,
    reserve: int = 0,
    per_page: int = 100,
) -> Wired:
    rest = rest_for(github, clock, per_page=per_page)
    ingest = ingest_for_test(store, clock, rest)
    runner = BackfillRunner(
        store,
        rest,
        ingest.record,
        clock=clock,
        budget_s=600.0,
        max_calls=max_calls,
        reserve=reserve,
        continuation=continuation,
        search_cap=search_cap,
    )
    starter = BackfillStarter(
        store,
        rest,
        runner,
        identify=lambda token: whoami(token, api_url=github.base_url),
        user_rest=lambda token: rest_for(github, clock, token),
        clock=clock,
    )
    return Wired(store, rest, ingest, runner, starter)


def start_operator(wired: Wired, **body: Any) -> dict[str, Any]:
    request = {"action": "backfill", "repositories": [REPO], "days": 90, **body}
    return wired.starter.start(request, Requester("operator"))


def run_to_end(wired: Wired, backfill_id: str, clock: FakeClock, *, limit: int = 200) -> int:
    """Slices until the backfill is finished (moving the clock past any wait); the number of slices run."""
    for count in range(1, limit + 1):
        row = wired.store.get("backfills", backfill_id)
        assert row is not None
        if row["status"] in ("done", "failed"):
            return count - 1
        if row.get("next_at") and row["status"] == "waiting":
            due = datetime.fromisoformat(row["next_at"])
            if due > clock.now:
                clock.now = due + timedelta(seconds=1)
        wired.runner.run_slice(backfill_id)
    raise AssertionError(f"backfill {backfill_id} not finished after {limit} slices")


def counted(store: MemoryStore) -> dict[str, Any]:
    """What the totals say: user_stats per user, and the backfill counters."""
    stats = {
        row_id: {k: row.get(k) for k in ("activity_count", "ci_run_count", "commit_count", "ci_minutes", "carbon_kg")}
        for row_id, row in store.by_id("user_stats").items()
    }
    return stats


def details(row: dict[str, Any]) -> dict[str, Any]:
    value = row.get("details") or "{}"
    return json.loads(value) if isinstance(value, str) else value
