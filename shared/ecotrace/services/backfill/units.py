"""What a backfill slice reports, and the small pieces its units of work share: a repository as the payloads
name it, a run's creation time, a run without jobs as its own delivery, and what a unit imported. Pure."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...clock import parse_iso, to_iso
from ...domain.backfill import Backfill, Counters, RepoState
from ...domain.github import Extraction
from ...domain.models import ActivityType
from ...errors import EcoTraceError
from ...tables import backfills
from ..ingest.plan import IngestPlan
from .rest_events import delivery_id, run_extraction

log = logging.getLogger(__name__)


@dataclass
class SliceReport:
    backfill_id: str
    outcome: str  # worked | busy (another slice holds it) | not_due | finished | missing
    backfill: Backfill | None = None
    units: int = 0
    continued: bool = False

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"backfill_id": self.backfill_id, "outcome": self.outcome, "units": self.units}
        body["continued"] = self.continued
        if self.backfill is not None:
            body["backfill"] = backfills.public(self.backfill)
        return body


def error_json(exc: EcoTraceError, now: datetime) -> dict[str, Any]:
    status = exc.details.get("http_status") if isinstance(exc.details, dict) else None
    return {"status": status if isinstance(status, int) else None, "message": exc.message[:300], "at": to_iso(now)}


def repository_of(repo: RepoState) -> dict[str, Any]:
    return {
        "id": repo.repo_id,
        "full_name": repo.repo,
        "html_url": f"https://github.com/{repo.repo}",
        "private": repo.private,
    }


def created_at(run: dict[str, Any]) -> datetime | None:
    try:
        return parse_iso(str(run["created_at"]))
    except (KeyError, ValueError):
        return None


def run_only(run: dict[str, Any], repo: RepoState, backfill_id: str) -> Extraction | None:
    try:
        return run_extraction(run, repository_of(repo), delivery_id(backfill_id))
    except EcoTraceError as exc:
        log.info("run %s not imported: %s", run.get("id"), exc.message)
        return None


def unit_counts(ingest_plan: IngestPlan, *, new_run: bool) -> Counters:
    """What a unit imported: its new rows (rows that already existed are not counted again). A run counts once:
    as a run row of its own, or on the first page of its jobs when that page brought new jobs."""
    jobs = sum(1 for a in ingest_plan.created if a.details.get("kind") == "workflow_job")
    runs = sum(1 for a in ingest_plan.created if a.details.get("kind") == "workflow_run")
    if new_run and jobs:
        runs += 1
    commits = sum(1 for a in ingest_plan.created if a.type is ActivityType.COMMIT)
    return Counters(jobs=jobs, runs=runs, commits=commits)


def apply_counts(bf: Backfill, repo_index: int, added: Counters) -> None:
    repo = bf.repos[repo_index]
    repo.jobs += added.jobs
    repo.runs += added.runs
    repo.commits += added.commits
    bf.imported.jobs += added.jobs
    bf.imported.runs += added.runs
    bf.imported.commits += added.commits
