"""The CI work of a repository in a period, read from stored activities and grouped for advice.

Runs and jobs are linked by ``details.run_id`` / ``run_attempt``; a run's trigger is ``details.trigger`` (the
``workflow_run.event`` the webhook and the backfill record), so the jobs of scheduled runs are those whose run
says ``schedule``. A run whose ``completed`` event never arrived has no trigger: its jobs are not taken as
scheduled (and are counted in ``unknown_trigger``).
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from appwrite.query import Query

from ...clock import to_iso
from ...domain.models import Activity, ActivityType
from ...errors import EcoTraceError
from ...ports import Store
from ...tables import activities

log = logging.getLogger(__name__)

MAX_ROWS = 5000  # CI rows read per repository and request
SCHEDULE = "schedule"


@dataclass
class Workflow:
    """The scheduled runs of one workflow and the counted work (jobs, or the run itself) they did."""

    key: str
    name: str
    runs: list[Activity] = field(default_factory=list)
    work: list[Activity] = field(default_factory=list)

    @property
    def starts(self) -> list[datetime]:
        return [run.timestamp for run in self.runs]

    @property
    def energy_kwh(self) -> float:
        return sum(a.energy_kwh for a in self.work if a.energy_kwh is not None)

    @property
    def without_energy(self) -> int:
        return sum(1 for a in self.work if a.energy_kwh is None)


@dataclass
class RepoWork:
    repository: str
    repo_id: str | None
    rows_read: int = 0
    truncated: bool = False
    runs: dict[tuple[int, int], Activity] = field(default_factory=dict)
    jobs: list[Activity] = field(default_factory=list)
    run_only: list[Activity] = field(default_factory=list)  # counted runs without jobs

    def scheduled(self) -> tuple[list[Workflow], int]:
        """Scheduled workflows, and how many counted jobs belong to runs of unknown trigger."""
        groups: dict[str, Workflow] = {}
        unknown = 0
        by_run: dict[tuple[int, int], list[Activity]] = {}
        for job in self.jobs:
            by_run.setdefault(_run_key(job), []).append(job)
        for key, run in self.runs.items():
            if run.details.get("trigger") != SCHEDULE:
                continue
            name = run.title or str(run.details.get("workflow_id") or "workflow")
            wid = run.details.get("workflow_id")
            group = groups.setdefault(str(wid or name), Workflow(str(wid or name), name))
            group.runs.append(run)
            group.work.extend(by_run.get(key, []))
            if run.counted:
                group.work.append(run)
        for group in groups.values():  # a run's title is its display title: its jobs name the workflow
            names = [a.title.split(" / ")[0] for a in group.work if a.title and " / " in a.title]
            if names:
                group.name = max(set(names), key=names.count)
        for key, jobs in by_run.items():
            if key not in self.runs or self.runs[key].details.get("trigger") is None:
                unknown += len(jobs)
        return sorted(groups.values(), key=lambda g: -g.energy_kwh), unknown


def _run_key(activity: Activity) -> tuple[int, int]:
    return int(activity.details.get("run_id") or 0), int(activity.details.get("run_attempt") or 1)


def repo_id_of(store: Store, repository: str) -> str | None:
    rows = store.find(activities.NAME, [Query.equal("repo_full_name", [repository]), Query.limit(1)])
    return str(rows[0]["repo_id"]) if rows else None


def read_work(store: Store, repository: str, since: datetime, until: datetime) -> RepoWork:
    """The repository's CI rows with ``since <= timestamp <= until`` (at most :data:`MAX_ROWS`)."""
    work = RepoWork(repository, repo_id_of(store, repository))
    if work.repo_id is None:
        return work
    queries = [
        Query.equal("repo_id", [work.repo_id]),
        Query.equal("type", [ActivityType.CI_RUN.value]),
        Query.greater_than_equal("timestamp", to_iso(since)),
        Query.less_than_equal("timestamp", to_iso(until)),
    ]
    for row in store.iterate(activities.NAME, queries, page_size=500):
        work.rows_read += 1
        if work.rows_read > MAX_ROWS:
            work.truncated = True
            break
        try:
            activity = activities.from_row(row)
        except EcoTraceError as exc:
            log.info("advise skips an unreadable row %s: %s", row.get("$id"), exc.message)
            continue
        kind = activity.details.get("kind")
        if kind == "workflow_run":
            work.runs[_run_key(activity)] = activity
            if activity.counted:
                work.run_only.append(activity)
        elif kind == "workflow_job" and activity.counted:
            work.jobs.append(activity)
    return work


def user_repositories(store: Store, user_id: str, since: datetime, limit: int = 10) -> list[str]:
    """Repositories the user has activity in since ``since`` (their own rows, index idx_user_time)."""
    queries = [Query.equal("user_id", [user_id]), Query.greater_than_equal("timestamp", to_iso(since))]
    seen: dict[str, None] = {}
    for count, row in enumerate(store.iterate(activities.NAME, queries, page_size=500)):
        name = row.get("repo_full_name")
        if isinstance(name, str) and name:
            seen.setdefault(name, None)
        if len(seen) >= limit or count >= MAX_ROWS:
            break
    return list(seen)


def has_activity_in(store: Store, user_id: str, repository: str) -> bool:
    queries = [Query.equal("user_id", [user_id]), Query.equal("repo_full_name", [repository]), Query.limit(1)]
    return bool(store.find(activities.NAME, queries))


def median(values: Iterable[float]) -> float | None:
    data = list(values)
    return statistics.median(data) if data else None


def ids(items: Sequence[Activity], limit: int = 50) -> list[str]:
    return [a.id for a in items[:limit]]
