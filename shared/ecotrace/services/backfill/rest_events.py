"""GitHub REST objects as the webhook deliveries they correspond to, read by the domain's own extraction. Pure.

The REST ``workflow_run`` and ``workflow_job`` objects have the shape of the webhook payloads' objects, so a
backfilled run or job becomes a ``workflow_run`` / ``workflow_job`` ``completed`` payload and goes through
``ecotrace.domain.github.extract`` unchanged: same rules, same deterministic row ids, so the later webhook delivery
of the same job finds its row and counts nothing again. The sender GitHub would name is the run's
``triggering_actor`` (or ``actor``).

Commits come from "List commits" items, which carry no file lists: they become one ``push`` payload per GitHub
author (the pusher is not in the REST API), whose line counts the commit enricher then fetches as for a push.
Commits without a linked GitHub account cannot be attributed and are left out (counted as ``unattributed``).

A run with jobs: its jobs count its energy. The run's own row is written with its first jobs page, already
uncounted and filled in from the run (trigger, conclusion, workflow), which is what the webhook leaves once both
the jobs and the run's ``completed`` event have arrived.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...domain.github import Extraction, Outcome, RunLink, extract
from ...domain.models import Activity
from ...errors import ValidationError

DELIVERY_PREFIX = "backfill:"  # the activities' delivery_id: which backfill wrote them


def delivery_id(backfill_id: str) -> str:
    return (DELIVERY_PREFIX + backfill_id)[:64]


def repository_object(repo: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a REST repository the payloads carry."""
    return {k: repo.get(k) for k in ("id", "full_name", "html_url", "private")}


def sender_of(run: Mapping[str, Any]) -> dict[str, Any] | None:
    actor = run.get("triggering_actor") or run.get("actor")
    return dict(actor) if isinstance(actor, Mapping) else None


@dataclass(frozen=True)
class JobsPage:
    """One jobs page of a run, as extracted."""

    extraction: Extraction | None  # None: nothing to record (no job on the page could be read)
    skipped: tuple[str, ...] = ()  # why jobs were left out


def run_extraction(run: Mapping[str, Any], repo: Mapping[str, Any], delivery: str) -> Extraction:
    """The run as its ``workflow_run completed`` delivery (ValidationError when it cannot be read)."""
    sender = sender_of(run)
    payload = {"action": "completed", "workflow_run": dict(run), "repository": repository_object(repo)}
    return extract("workflow_run", {**payload, "sender": sender}, delivery)


def jobs_extraction(
    run: Mapping[str, Any], jobs: Sequence[Mapping[str, Any]], repo: Mapping[str, Any], delivery: str
) -> JobsPage:
    """A page of a run's jobs as one extraction: each job as its ``workflow_job completed`` delivery, the run
    links merged, and the run's own row (its latest attempt) filled in from the run itself."""
    sender = sender_of(run)
    repository = repository_object(repo)
    activities: list[Activity] = []
    links: dict[str, RunLink] = {}
    skipped: list[str] = []
    first: Extraction | None = None
    for job in jobs:
        if job.get("status") != "completed" or not job.get("started_at"):
            skipped.append(f"job {job.get('id')}: not completed")
            continue
        payload = {"action": "completed", "workflow_job": dict(job), "repository": repository, "sender": sender}
        try:
            one = extract("workflow_job", payload, delivery)
        except ValidationError as exc:
            skipped.append(f"job {job.get('id')}: {exc.message[:200]}")
            continue
        if one.outcome is not Outcome.ACTIVITIES:
            skipped.append(f"job {job.get('id')}: {one.reason}")
            continue
        first = first or one
        activities.extend(one.activities)
        for link in one.run_links:
            links.setdefault(link.run_row_id, link)
    if first is None:
        return JobsPage(None, tuple(skipped))
    try:
        whole = run_extraction(run, repo, delivery).activities[0]
    except ValidationError as exc:
        skipped.append(f"run {run.get('id')}: {exc.message[:200]} (its row stays a placeholder)")
    else:
        if whole.id in links:  # the latest attempt: written as the webhook leaves it once jobs and run are in
            links[whole.id] = RunLink(whole.id, whole.model_copy(update={"counted": False}))
    merged = dataclasses.replace(first, activities=tuple(activities), run_links=tuple(links.values()))
    return JobsPage(merged, tuple(skipped))


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _push_commit(item: Mapping[str, Any]) -> dict[str, Any]:
    commit = _object(item.get("commit"))
    author, committer = _object(commit.get("author")), _object(commit.get("committer"))
    account = _object(item.get("author"))
    return {
        "id": item.get("sha"),
        "distinct": True,
        "message": commit.get("message") or "",
        "timestamp": author.get("date") or committer.get("date"),
        "url": item.get("html_url"),
        "author": {"name": author.get("name"), "email": author.get("email"), "username": account.get("login")},
        "added": [],
        "removed": [],
        "modified": [],
    }


@dataclass(frozen=True)
class CommitsPage:
    extractions: tuple[Extraction, ...]  # one per GitHub author
    unattributed: int = 0  # commits without a linked GitHub account
    skipped: tuple[str, ...] = ()


def commit_extractions(
    items: Sequence[Mapping[str, Any]], repo: Mapping[str, Any], branch: str, delivery: str
) -> CommitsPage:
    """A page of "List commits" items as ``push`` deliveries, one per author (in the order they appear)."""
    by_author: dict[int, list[Mapping[str, Any]]] = {}
    senders: dict[int, dict[str, Any]] = {}
    unattributed = 0
    for item in items:
        account = item.get("author")
        if not isinstance(account, Mapping) or not isinstance(account.get("id"), int):
            unattributed += 1
            continue
        by_author.setdefault(account["id"], []).append(item)
        senders[account["id"]] = dict(account)
    out: list[Extraction] = []
    skipped: list[str] = []
    for author_id, commits in by_author.items():
        payload = {
            "ref": f"refs/heads/{branch}",
            "forced": False,
            "deleted": False,
            "commits": [_push_commit(item) for item in commits],
            "repository": repository_object(repo),
            "sender": senders[author_id],
        }
        try:
            extraction = extract("push", payload, delivery)
        except ValidationError as exc:
            skipped.append(f"commits of {senders[author_id].get('login')}: {exc.message[:200]}")
            continue
        if extraction.outcome is Outcome.ACTIVITIES:
            out.append(extraction)
    return CommitsPage(tuple(out), unattributed, tuple(skipped))
