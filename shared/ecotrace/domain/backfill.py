"""A backfill's state: which repositories it covers, how far each got, and where the next slice resumes. Pure.

A backfill imports the last ``days`` of a set of repositories (workflow runs with their jobs, then commits of
the default branch) through the webhook's extraction, in slices. The state here is what one ``backfills`` row
holds (``ecotrace.tables.backfills`` is its row codec); ``ecotrace.services.backfill`` advances it.

Runs are listed by ``created`` window, newest first: a window starts as the whole range not yet covered and is
halved while GitHub reports more runs in it than its search returns (1,000), so a quiet repository costs one
request per page and a busy one is walked in windows small enough to list completely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

MAX_DAYS = 400  # GitHub keeps workflow run history for at most 400 days (retention setting's maximum)
DEFAULT_DAYS = 90
MAX_REPOS = 300  # repositories per backfill: their entries fit the row's 64 KiB `repos` column
MIN_WINDOW = timedelta(minutes=10)  # a window is not halved below this (it is then listed as far as GitHub goes)
RUNS_SHARE = 0.8  # of a repository's progress, when commits are imported too (for the ETA only)


class BackfillStatus(StrEnum):
    RUNNING = "running"  # a slice is due now (or under way)
    WAITING = "waiting"  # paused until next_at: a rate limit, or GitHub failing
    DONE = "done"
    FAILED = "failed"  # cannot go on (the deployment's token was refused)


class RepoStatus(StrEnum):
    PENDING = "pending"
    IMPORTING = "importing"
    DONE = "done"
    NO_ACCESS = "no_access"  # GitHub answered 404 or 403 for the repository (the token cannot read it)
    FAILED = "failed"  # GitHub kept failing on it; the backfill moved on

    @property
    def finished(self) -> bool:
        return self in (RepoStatus.DONE, RepoStatus.NO_ACCESS, RepoStatus.FAILED)


class Phase(StrEnum):
    RUNS = "runs"
    COMMITS = "commits"


@dataclass
class RepoState:
    """One repository's progress and what GitHub said about it."""

    repo: str  # owner/name as asked
    status: RepoStatus = RepoStatus.PENDING
    repo_id: int | None = None
    private: bool | None = None
    default_branch: str | None = None
    jobs: int = 0
    runs: int = 0
    commits: int = 0
    failures: int = 0  # slices in a row that GitHub failed at this repository's cursor
    error: dict[str, Any] | None = None  # {"status": HTTP status or None, "message": ..., "at": ISO time}

    def as_json(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "status": self.status.value,
            "repo_id": self.repo_id,
            "private": self.private,
            "default_branch": self.default_branch,
            "jobs": self.jobs,
            "runs": self.runs,
            "commits": self.commits,
            "failures": self.failures,
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RepoState:
        return cls(
            repo=str(data["repo"]),
            status=RepoStatus(data.get("status", "pending")),
            repo_id=data.get("repo_id"),
            private=data.get("private"),
            default_branch=data.get("default_branch"),
            jobs=int(data.get("jobs") or 0),
            runs=int(data.get("runs") or 0),
            commits=int(data.get("commits") or 0),
            failures=int(data.get("failures") or 0),
            error=data.get("error"),
        )


@dataclass
class Cursor:
    """Where the next unit of work starts. Page addresses are paths with their query (never a host)."""

    repo_index: int = 0
    phase: Phase = Phase.RUNS
    window_start: datetime | None = None  # the runs window being listed; None: not chosen yet
    window_end: datetime | None = None
    page: str | None = None  # the runs or commits page being worked on; None: the first page
    item: int = 0  # the next run on that page
    jobs_page: str | None = None  # the next jobs page of that run; None: its first page
    reached: datetime | None = None  # creation time of the last run worked on (runs come newest first)

    def next_run(self) -> None:
        self.item += 1
        self.jobs_page = None

    def next_page(self, page: str | None) -> None:
        self.page, self.item, self.jobs_page = page, 0, None

    def as_json(self) -> dict[str, Any]:
        return {
            "repo_index": self.repo_index,
            "phase": self.phase.value,
            "window_start": self.window_start.isoformat() if self.window_start else None,
            "window_end": self.window_end.isoformat() if self.window_end else None,
            "page": self.page,
            "item": self.item,
            "jobs_page": self.jobs_page,
            "reached": self.reached.isoformat() if self.reached else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Cursor:
        def moment(key: str) -> datetime | None:
            value = data.get(key)
            return datetime.fromisoformat(value) if isinstance(value, str) and value else None

        return cls(
            repo_index=int(data.get("repo_index") or 0),
            phase=Phase(data.get("phase", "runs")),
            window_start=moment("window_start"),
            window_end=moment("window_end"),
            page=data.get("page"),
            item=int(data.get("item") or 0),
            jobs_page=data.get("jobs_page"),
            reached=moment("reached"),
        )


@dataclass
class Counters:
    jobs: int = 0
    runs: int = 0
    commits: int = 0
    api_calls: int = 0


@dataclass
class Backfill:
    id: str
    requested_by: str  # user | operator
    target: str
    days: int
    since: datetime
    until: datetime
    repos: list[RepoState]
    started_at: datetime
    updated_at: datetime
    user_id: str | None = None
    account_id: str | None = None
    include_commits: bool = True
    status: BackfillStatus = BackfillStatus.RUNNING
    cursor: Cursor = field(default_factory=Cursor)
    imported: Counters = field(default_factory=Counters)
    slices: int = 0
    eta_at: datetime | None = None
    next_at: datetime | None = None
    lease_until: datetime | None = None
    lease_owner: str | None = None
    finished_at: datetime | None = None
    message: str = ""

    # ---- reading ------------------------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        return self.status in (BackfillStatus.DONE, BackfillStatus.FAILED)

    @property
    def repos_done(self) -> int:
        return sum(1 for repo in self.repos if repo.status.finished)

    @property
    def repos_failed(self) -> int:
        return sum(1 for repo in self.repos if repo.status in (RepoStatus.NO_ACCESS, RepoStatus.FAILED))

    def current(self) -> RepoState | None:
        """The repository the cursor is on, or None when every one is finished."""
        index = self.cursor.repo_index
        return self.repos[index] if 0 <= index < len(self.repos) else None

    def fraction_done(self) -> float:
        """How much of the work is done, 0..1 (repositories weigh the same; within one, the time range covered)."""
        if not self.repos:
            return 1.0
        done = float(self.repos_done)
        repo = self.current()
        if repo is not None and not repo.status.finished:
            done += self._within_current()
        return min(1.0, done / len(self.repos))

    def _within_current(self) -> float:
        span = (self.until - self.since).total_seconds()
        runs_share = RUNS_SHARE if self.include_commits else 1.0
        if self.cursor.phase is Phase.COMMITS:
            return runs_share
        end = self.cursor.reached or self.cursor.window_end
        if end is None or span <= 0:
            return 0.0
        return runs_share * max(0.0, min(1.0, (self.until - end).total_seconds() / span))

    def eta(self, now: datetime) -> datetime | None:
        """The end, projected from the pace since the start; None before anything is done."""
        fraction = self.fraction_done()
        if fraction <= 0:
            return None
        if fraction >= 1:
            return now
        elapsed = (now - self.started_at).total_seconds()
        return now + timedelta(seconds=elapsed * (1 - fraction) / fraction)

    # ---- moving on --------------------------------------------------------------------------------------
    def finish_repo(self, status: RepoStatus, error: dict[str, Any] | None = None) -> None:
        """End the current repository and put the cursor on the next one."""
        repo = self.current()
        if repo is not None:
            repo.status = status
            repo.failures = 0
            if error is not None:
                repo.error = error
        self.cursor = Cursor(repo_index=self.cursor.repo_index + 1)

    def window(self) -> tuple[datetime, datetime]:
        """The runs window being listed; the whole range until the first one is chosen."""
        cursor = self.cursor
        if cursor.window_start is None or cursor.window_end is None:
            cursor.window_start, cursor.window_end = self.since, self.until
        return cursor.window_start, cursor.window_end

    def next_window(self) -> bool:
        """After a window is listed: the range still to cover becomes the window (True), or the runs phase is
        over (False). A window's ends are inclusive (``created=a..b``), so the next one ends a second earlier."""
        start, _ = self.window()
        if start <= self.since:
            return False
        self.cursor.window_start, self.cursor.window_end = self.since, start - timedelta(seconds=1)
        self.cursor.next_page(None)
        return True


def halve(start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
    """The newer half of a window too full to list (None when it is already at the smallest size). The older
    half is listed later, as part of the range still to cover."""
    if end - start <= MIN_WINDOW:
        return None
    middle = start + (end - start) / 2
    return middle.replace(microsecond=0), end
