"""Backfill slices: each execution does a bounded amount of work and leaves the cursor for the next.

:meth:`BackfillRunner.run_slice` takes the backfill's lease (a slice holds it for :data:`LEASE_S`; a second
execution finds it held and leaves), then does units of work until its time or request budget is spent:

- open a repository (``GET /repos/{owner}/{repo}``: 404/403 ends it as ``no_access``);
- list a page of its completed runs in the current ``created`` window (halving a window that holds more runs
  than GitHub's search returns);
- import one page of one run's jobs (``filter=all``), or a run without jobs;
- import one author's commits of a page of the default branch's commits.

Each unit that records activities commits them with ``WebhookIngest.record``, the webhook's own path (same
extraction, carbon, ids), and the backfill's progress (cursor, the repository's counts, the counters'
increments) is staged in the SAME transaction. A crash anywhere therefore leaves the cursor at the last unit
that committed: the next slice repeats the unfinished unit, whose rows either all exist or not at all, and an
activity that exists (imported before, or delivered by the webhook) is never counted again.

GitHub's limits: the slice stops when ``x-ratelimit-remaining`` falls to the reserve (kept for the webhook and the
summaries) and waits for ``x-ratelimit-reset``; a rate limit (primary or secondary, with ``Retry-After``) makes
the backfill ``waiting`` until GitHub said; 5xx are retried by the client (3 attempts), then the slice ends and
the backfill waits (1 minute, then 2); a repository that fails :data:`MAX_FAILURES` slices in a row ends
``failed``; a refused token (401) fails the backfill. The next slice is started by ``continuation`` (an async
execution) and, should that fail or an execution crash, by the hourly schedule (``due``).
"""

from __future__ import annotations

import copy
import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from appwrite.query import Query

from ...adapters.github_rest import (
    SEARCH_CAP,
    GitHubAccessError,
    GitHubAuthError,
    GitHubRest,
    Page,
    RateLimitedError,
)
from ...clock import Clock, parse_iso, to_iso, utc_now
from ...domain.backfill import Backfill, BackfillStatus, Counters, Cursor, Phase, RepoState, RepoStatus, halve
from ...domain.github import DeliveryHeaders, Extraction
from ...errors import ConflictError, EcoTraceError, StorageError, UpstreamError, ValidationError
from ...ports import Store, Write
from ...tables import backfills
from ..ingest.plan import IngestPlan
from .rest_events import commit_extractions, delivery_id, jobs_extraction
from .units import SliceReport, apply_counts, created_at, error_json, repository_of, run_only, unit_counts

log = logging.getLogger(__name__)

LEASE_S = 90.0  # longer than the function's 30 s timeout: a lease this old belongs to a crashed slice
SLICE_BUDGET_S = 20.0  # no new unit of work after this long (the function's timeout is 30 s)
SLICE_MAX_CALLS = 250  # GitHub requests per slice
RATE_RESERVE = 100  # requests of the hourly limit left to the webhook's enrichment and the summaries
MAX_FAILURES = 3
FAILURE_WAIT_S = 60.0
COMMITS_PER_PAGE = 30  # each commit then costs one request for its line counts


class Recorder(Protocol):
    """``WebhookIngest.record``: count an extraction once, committing ``extra(plan)`` with it (``feed``: whether
    the global feed shows it; history imported by a backfill is not news)."""

    def __call__(
        self,
        head: DeliveryHeaders,
        extraction: Extraction,
        extra: Callable[[IngestPlan], list[Write]],
        *,
        feed: bool = True,
    ) -> IngestPlan: ...


# Start the next slice of a backfill: now (None) or at a time; True when it was started.
Continuation = Callable[[str, datetime | None], bool]


class BackfillRunner:
    def __init__(
        self,
        store: Store,
        rest: GitHubRest,
        record: Recorder,
        *,
        clock: Clock = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        budget_s: float = SLICE_BUDGET_S,
        max_calls: int = SLICE_MAX_CALLS,
        reserve: int = RATE_RESERVE,
        lease_s: float = LEASE_S,
        continuation: Continuation | None = None,
        search_cap: int = SEARCH_CAP,
    ) -> None:
        self.store = store
        self.rest = rest
        self.record = record
        self.clock = clock
        self.monotonic = monotonic
        self.budget_s = budget_s
        self.max_calls = max_calls
        self.reserve = reserve
        self.lease_s = lease_s
        self.continuation = continuation
        self.search_cap = search_cap
        self._pages: dict[tuple[str, str, str], Page] = {}  # pages read in this slice
        self._saved_calls = 0

    # ---- one slice --------------------------------------------------------------------------------------
    def run_slice(self, backfill_id: str, *, budget_s: float | None = None) -> SliceReport:
        """One slice of the backfill (``budget_s`` overrides the time budget, e.g. for the one that starts it)."""
        bf, outcome = self._claim(backfill_id)
        if outcome != "worked" or bf is None:
            report = SliceReport(backfill_id, outcome, bf)
            if outcome == "not_due" and bf is not None and self.continuation is not None:
                report.continued = self._continue(bf.id, bf.next_at)  # came early: come back when it is due
            return report
        bf.slices += 1
        deadline = self.monotonic() + (self.budget_s if budget_s is None else budget_s)
        first_call = self._saved_calls = self.rest.calls
        units = 0
        try:
            while not bf.finished:
                if self.monotonic() >= deadline or self.rest.calls - first_call >= self.max_calls:
                    bf.message = "working: this slice's budget is spent, the next one continues"
                    break
                self._check_reserve()
                bf = self._unit(bf)
                units += 1
                repo = bf.current()
                if repo is not None:
                    repo.failures = 0
        except RateLimitedError as exc:
            bf.status = BackfillStatus.WAITING
            bf.next_at = datetime.fromtimestamp(exc.retry_at, UTC)
            bf.message = f"waiting for GitHub's rate limit until {to_iso(bf.next_at)}: {exc.message}"[:1024]
        except GitHubAuthError as exc:
            bf.status, bf.finished_at = BackfillStatus.FAILED, self.clock()
            bf.message = f"GitHub refused the deployment's token: {exc.message}; set a valid GITHUB_TOKEN"[:1024]
        except (UpstreamError, ValidationError) as exc:  # GitHub failing after its retries, or data refused
            self._failed(bf, exc)
        except (StorageError, ConflictError) as exc:  # the store: this unit did not commit; try again soon
            bf.status, bf.next_at = BackfillStatus.WAITING, self.clock() + timedelta(seconds=FAILURE_WAIT_S)
            bf.message = f"the store failed ({exc.message}); trying again at {to_iso(bf.next_at)}"[:1024]
        return self._end(bf, units)

    def _claim(self, backfill_id: str) -> tuple[Backfill | None, str]:
        row = self.store.get(backfills.NAME, backfill_id)
        if row is None:
            return None, "missing"
        bf = backfills.from_row(row)
        now = self.clock()
        if bf.finished:
            return bf, "finished"
        if bf.lease_until is not None and bf.lease_until > now:
            return bf, "busy"
        if bf.next_at is not None and bf.next_at > now + timedelta(seconds=5):
            return bf, "not_due"
        owner = secrets.token_hex(8)
        lease = {"lease_owner": owner, "lease_until": to_iso(now + timedelta(seconds=self.lease_s))}
        self.store.update(backfills.NAME, backfill_id, {**lease, "status": BackfillStatus.RUNNING.value})
        again = self.store.get(backfills.NAME, backfill_id)
        if again is None or again.get("lease_owner") != owner:  # another slice claimed it at the same moment
            return None, "busy"
        bf = backfills.from_row(again)
        bf.status, bf.message = BackfillStatus.RUNNING, "working"
        return bf, "worked"

    def _end(self, bf: Backfill, units: int) -> SliceReport:
        now = self.clock()
        bf.lease_owner = bf.lease_until = None
        bf.updated_at = now
        if bf.status is BackfillStatus.RUNNING:
            bf.next_at = now
        bf.eta_at = None if bf.finished else bf.eta(now)
        self._save(bf)
        report = SliceReport(bf.id, "worked", bf, units)
        if not bf.finished and self.continuation is not None:
            report.continued = self._continue(bf.id, bf.next_at if bf.status is BackfillStatus.WAITING else None)
        return report

    def _continue(self, backfill_id: str, at: datetime | None) -> bool:
        assert self.continuation is not None
        try:
            return self.continuation(backfill_id, at)
        except EcoTraceError as exc:
            log.warning("backfill %s: next slice not started (%s); the schedule will", backfill_id, exc.message)
            return False

    def _failed(self, bf: Backfill, exc: EcoTraceError) -> None:
        now = self.clock()
        repo = bf.current()
        if repo is None:
            raise exc
        repo.failures += 1
        repo.error = error_json(exc, now)
        if repo.failures >= MAX_FAILURES:
            log.warning("backfill %s: %s failed %d times; moving on", bf.id, repo.repo, repo.failures)
            bf.finish_repo(RepoStatus.FAILED)
            bf.status, bf.message = BackfillStatus.RUNNING, f"{repo.repo} failed: {exc.message}"[:1024]
            return
        wait_s = FAILURE_WAIT_S * 2 ** (repo.failures - 1)
        bf.status, bf.next_at = BackfillStatus.WAITING, now + timedelta(seconds=wait_s)
        bf.message = f"GitHub failed at {repo.repo} ({exc.message}); trying again at {to_iso(bf.next_at)}"[:1024]

    def _check_reserve(self) -> None:
        """Stop at the reserve; the last answer's figure holds until its reset time has passed."""
        remaining, reset, now = self.rest.remaining, self.rest.reset_at, self.clock().timestamp()
        if remaining is None or remaining > self.reserve or (reset is not None and reset <= now):
            return
        until = reset if reset is not None else now + 60
        raise RateLimitedError(f"{remaining} requests left of the hourly limit, kept for the webhook", until)

    # ---- saving ---------------------------------------------------------------------------------------
    def _calls_since_save(self) -> int:
        return self.rest.calls - self._saved_calls

    def _save(self, bf: Backfill, added: Counters | None = None) -> None:
        """The backfill's progress alone (no activities), in one transaction with its counters."""
        counters = added or Counters()
        counters.api_calls = self._calls_since_save()
        with self.store.transaction() as tx:
            tx.stage(*backfills.progress_writes(bf, counters))
        self._saved_calls = self.rest.calls
        bf.imported.api_calls += counters.api_calls

    def _commit(
        self,
        bf: Backfill,
        extraction: Extraction | None,
        advance: Callable[[Backfill], None],
        *,
        new_run: bool = False,
    ) -> Backfill:
        """Record ``extraction`` with the backfill advanced by ``advance`` and its counts, in one transaction."""
        if extraction is None:
            advance(bf)
            self._save(bf)
            return bf
        head = DeliveryHeaders(extraction.event, delivery_id(bf.id), None, None, "application/json", {})
        after: list[Backfill] = []

        def extra(ingest_plan: IngestPlan) -> list[Write]:
            snapshot = copy.deepcopy(bf)
            added = unit_counts(ingest_plan, new_run=new_run)
            advance(snapshot)
            apply_counts(snapshot, bf.cursor.repo_index, added)
            added.api_calls = self._calls_since_save()
            snapshot.updated_at = self.clock()
            after[:] = [snapshot]
            return backfills.progress_writes(snapshot, added)

        self.record(head, extraction, extra, feed=False)
        done = after[0]
        done.imported.api_calls += self._calls_since_save()
        self._saved_calls = self.rest.calls
        return done

    # ---- units of work ----------------------------------------------------------------------------------
    def _unit(self, bf: Backfill) -> Backfill:
        repo = bf.current()
        while repo is not None and repo.status.finished:  # settled when it was started (the user cannot read it)
            bf.cursor = Cursor(repo_index=bf.cursor.repo_index + 1)
            repo = bf.current()
        if repo is None:
            bf.status, bf.finished_at = BackfillStatus.DONE, self.clock()
            bf.message = f"done: {bf.repos_done} repositories, {bf.imported.jobs} jobs imported"
            return bf
        try:
            if repo.status is RepoStatus.PENDING:
                return self._open(bf, repo)
            if bf.cursor.phase is Phase.RUNS:
                return self._runs(bf, repo)
            return self._commits(bf, repo)
        except GitHubAccessError as exc:
            bf.finish_repo(RepoStatus.NO_ACCESS, error_json(exc, self.clock()))
            self._save(bf)
            return bf

    def _open(self, bf: Backfill, repo: RepoState) -> Backfill:
        meta = self.rest.repository(repo.repo)
        repo.repo = str(meta.get("full_name") or repo.repo)
        repo.repo_id = int(meta["id"])
        repo.private = meta.get("private") if isinstance(meta.get("private"), bool) else None
        repo.default_branch = str(meta.get("default_branch") or "main")
        repo.status = RepoStatus.IMPORTING
        self._save(bf)
        return bf

    def _page(self, key: tuple[str, str, str], fetch: Callable[[], Page]) -> Page:
        if key not in self._pages:
            self._pages.clear()
            self._pages[key] = fetch()
        return self._pages[key]

    def _runs(self, bf: Backfill, repo: RepoState) -> Backfill:
        start, end = bf.window()
        cursor = bf.cursor
        key = (repo.repo, f"{start.isoformat()}..{end.isoformat()}", cursor.page or "")
        page = self._page(key, lambda: self.rest.workflow_runs(repo.repo, start, end, cursor.page))
        if cursor.page is None and (page.total_count or 0) > self.search_cap and (smaller := halve(start, end)):
            cursor.window_start, cursor.window_end = smaller  # list the newer half first; the rest comes later
            self._save(bf)
            return bf
        if cursor.item >= len(page.items):
            if page.next is not None:
                cursor.next_page(page.next)
            elif not bf.next_window():
                self._runs_done(bf)
            self._save(bf)
            return bf
        run = page.items[cursor.item]
        try:
            jobs = self.rest.run_jobs(repo.repo, int(run["id"]), cursor.jobs_page)
        except GitHubAccessError as exc:  # the run was deleted since it was listed
            log.info("backfill %s: jobs of run %s not readable (%s)", bf.id, run.get("id"), exc.message)
            return self._commit(bf, None, lambda b: b.cursor.next_run())
        page_of_jobs = jobs_extraction(run, jobs.items, repository_of(repo), delivery_id(bf.id))
        extraction = page_of_jobs.extraction
        if extraction is None and cursor.jobs_page is None and jobs.next is None:
            extraction = run_only(run, repo, bf.id)  # GitHub ran no job: the run itself counts, as on the webhook
        next_jobs = jobs.next
        reached = created_at(run)

        def advance(b: Backfill) -> None:
            b.cursor.reached = reached or b.cursor.reached
            if next_jobs is not None:
                b.cursor.jobs_page = next_jobs
            else:
                b.cursor.next_run()

        return self._commit(bf, extraction, advance, new_run=cursor.jobs_page is None)

    def _runs_done(self, bf: Backfill) -> None:
        if bf.include_commits:
            bf.cursor.phase = Phase.COMMITS
            bf.cursor.next_page(None)
        else:
            bf.finish_repo(RepoStatus.DONE)

    def _commits(self, bf: Backfill, repo: RepoState) -> Backfill:
        cursor = bf.cursor
        key = (repo.repo, "commits", cursor.page or "")
        try:
            page = self._page(
                key, lambda: self.rest.commits(repo.repo, bf.since, bf.until, cursor.page, COMMITS_PER_PAGE)
            )
        except UpstreamError as exc:
            if exc.details.get("http_status") != 409:  # 409: "Git Repository is empty"
                raise
            bf.finish_repo(RepoStatus.DONE)
            self._save(bf)
            return bf
        branch = repo.default_branch or "main"
        groups = commit_extractions(page.items, repository_of(repo), branch, delivery_id(bf.id)).extractions
        index = cursor.item
        next_page = page.next

        def advance(b: Backfill) -> None:
            if index + 1 < len(groups):
                b.cursor.item = index + 1
            elif next_page is not None:
                b.cursor.next_page(next_page)
            else:
                b.finish_repo(RepoStatus.DONE)

        return self._commit(bf, groups[index] if index < len(groups) else None, advance)

    # ---- the schedule ------------------------------------------------------------------------------------
    def due(self, limit: int = 5) -> list[str]:
        """Backfills whose next slice is due and whose lease is free (for the hourly schedule)."""
        now = to_iso(self.clock())
        queries = [
            Query.equal("status", [BackfillStatus.RUNNING.value, BackfillStatus.WAITING.value]),
            Query.less_than_equal("next_at", now),
            Query.order_asc("next_at"),
            Query.limit(limit),
        ]
        rows = self.store.find(backfills.NAME, queries)
        moment = self.clock()
        return [str(r["$id"]) for r in rows if not r.get("lease_until") or parse_iso(str(r["lease_until"])) <= moment]
