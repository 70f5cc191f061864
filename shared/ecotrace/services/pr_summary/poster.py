"""Keeping ONE carbon summary on each pull request: run after a delivery's transaction committed (the ingest's
``after_commit``), never blocking or failing the delivery.

After a delivery recorded CI work (a job, a run) or a pull request's ``opened``/``synchronize`` step, the pull
requests whose head commit that is are found in the stored ``pr`` rows (their ``external_id`` ends with the head
sha); closed or merged ones are left alone. Their figures (``figures``) are rendered and posted where the mode
says, only when the text changed since the last post (``pr_summaries`` keeps it):

- ``status``: a commit status on the head commit, context ``EcoTrace / CI carbon`` (GitHub shows a commit's
  latest status per context, so each post replaces the last);
- ``comment``: one comment, created once and edited in place afterwards. The first delivery to create the pull
  request's ``pr_summaries`` row posts it; a concurrent one finds the row and leaves the posting to it.

GitHub is asked once per delivery with a short timeout and no retry; an error (refused, rate limited, down) is
logged and kept in the row (``last_error``), and the delivery's answer is unchanged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from appwrite.query import Query

from ...adapters.github_rest import GitHubAccessError, GitHubRest
from ...clock import Clock, to_iso, utc_now
from ...domain.github import Extraction
from ...domain.models import Activity, ActivityType
from ...errors import ConflictError, EcoTraceError
from ...ports import Store
from ...tables import activities, pr_summaries
from ...tables.pr_summaries import SummaryRecord
from ..ingest.plan import IngestPlan
from .figures import BASE_DAYS, CONTEXT, Figures, comment_body, figures, status_line

log = logging.getLogger(__name__)

MODES = ("status", "comment")
MAX_ROWS = 1000  # CI rows read for one pull request (and for its base branch)
CLAIM_WAIT = timedelta(seconds=60)  # a claimed row without a comment this old was left by a crashed attempt
BUDGET_S = 4.0  # no call to GitHub after this long (the webhook answers GitHub within 10 s)


@dataclass(frozen=True)
class PullRequest:
    number: int
    base_ref: str
    head_sha: str  # the newest step's head
    head_shas: frozenset[str]
    opened_at: datetime


class PrSummaries:
    """The ingest's ``after_commit`` hook for pull-request summaries."""

    def __init__(
        self,
        store: Store,
        rest: GitHubRest,
        *,
        mode: str,
        method_url: str,
        clock: Clock = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.store = store
        self.rest = rest
        self.mode = mode
        self.method_url = method_url
        self.clock = clock
        self.monotonic = monotonic

    def __call__(self, extraction: Extraction, plan: IngestPlan) -> None:
        started = self.monotonic()
        touched = [*plan.created, *(a for a in extraction.activities if a.id in plan.updated)]
        heads = {(a.repo_id, a.repo_full_name, str(a.details.get("head_sha"))) for a in touched if _relevant(a)}
        for repo_id, repo_name, sha in sorted(heads):
            try:
                for pr in self._pull_requests(repo_id, sha):
                    self._summarise(repo_id, repo_name, pr, started)
            except EcoTraceError as exc:  # the store failing: the summary waits for the next delivery
                log.warning("pull-request summary skipped for %s@%s: %s", repo_name, sha[:7], exc.message)

    # ---- reading ------------------------------------------------------------------------------------------
    def _pull_requests(self, repo_id: str, sha: str) -> list[PullRequest]:
        queries = [
            Query.equal("repo_id", [repo_id]),
            Query.equal("type", [ActivityType.PR.value]),
            Query.ends_with("external_id", f":{sha[:40]}"),
            Query.limit(20),
        ]
        numbers = {int(r.details.get("number") or 0) for r in self._rows(queries)} - {0}
        found = []
        for number in sorted(numbers):
            steps = self._rows(
                [
                    Query.equal("repo_id", [repo_id]),
                    Query.equal("type", [ActivityType.PR.value]),
                    Query.starts_with("external_id", f"pr:{number}:"),
                    Query.limit(200),
                ]
            )
            heads = [s for s in steps if s.details.get("action") in ("opened", "synchronize")]
            ends = [s.timestamp for s in steps if s.details.get("action") in ("closed", "merged")]
            if not heads or (ends and max(ends) >= max(s.timestamp for s in heads)):
                continue  # a finished pull request keeps its last summary; one reopened and pushed to is open
            newest = max(heads, key=lambda s: (s.timestamp, s.details.get("action") == "synchronize"))
            found.append(
                PullRequest(
                    number=number,
                    base_ref=str(newest.details.get("base_ref") or "main"),
                    head_sha=str(newest.details.get("head_sha")),
                    head_shas=frozenset(str(s.details.get("head_sha")) for s in heads),
                    opened_at=min(s.timestamp for s in steps),
                )
            )
        return found

    def _rows(self, queries: list[str]) -> list[Activity]:
        out = []
        for row in self.store.iterate(activities.NAME, queries, page_size=200):
            try:
                out.append(activities.from_row(row))
            except EcoTraceError:
                continue
            if len(out) >= MAX_ROWS:
                break
        return out

    def _ci(self, repo_id: str, since: datetime, ref: str | None = None) -> list[Activity]:
        queries = [
            Query.equal("repo_id", [repo_id]),
            Query.equal("type", [ActivityType.CI_RUN.value]),
            Query.greater_than_equal("timestamp", to_iso(since)),
            Query.order_desc("timestamp"),
        ]
        if ref is not None:
            queries.insert(2, Query.equal("ref", [ref]))
        return self._rows(queries)

    def figures_for(self, repo_id: str, pr: PullRequest) -> Figures:
        now = self.clock()
        mine = self._ci(repo_id, pr.opened_at - timedelta(days=1))
        base = self._ci(repo_id, now - timedelta(days=BASE_DAYS), pr.base_ref)
        return figures(pr.number, pr.base_ref, pr.head_sha, set(pr.head_shas), mine, base, self.method_url)

    # ---- posting ------------------------------------------------------------------------------------------
    def _summarise(self, repo_id: str, repo_name: str, pr: PullRequest, started: float) -> None:
        made = self.figures_for(repo_id, pr)
        if made.runs == 0:
            return  # no CI on its head commits yet: nothing to say
        text = status_line(made) if self.mode == "status" else comment_body(made)
        row_id = pr_summaries.row_id(repo_id, pr.number)
        row = self.store.get(pr_summaries.NAME, row_id)
        record = SummaryRecord.from_row(row) if row is not None else None
        if record is not None and record.summary == text and record.head_sha == pr.head_sha:
            return  # nothing changed since the last post
        if self.monotonic() - started > BUDGET_S:
            log.info("pull-request summary of %s#%d left for the next delivery (time budget)", repo_name, pr.number)
            return
        now = self.clock()
        if record is None:
            try:
                self.store.create(
                    pr_summaries.NAME, row_id, pr_summaries.claim_row(repo_id, repo_name, pr.number, self.mode, now)
                )
            except ConflictError:
                return  # a concurrent delivery claimed it and posts
        elif (
            self.mode == "comment"
            and record.comment_id is None
            and record.updated_at
            and now - record.updated_at < CLAIM_WAIT
        ):
            return  # claimed moments ago by another delivery, which posts the comment
        try:
            comment_id = self._post(repo_name, pr, text, record)
        except EcoTraceError as exc:
            log.warning("GitHub refused the summary of %s#%d: %s", repo_name, pr.number, exc.message)
            self.store.update(pr_summaries.NAME, row_id, pr_summaries.error_changes(f"{exc.code}: {exc.message}", now))
            return
        self.store.update(pr_summaries.NAME, row_id, pr_summaries.posted_changes(text, pr.head_sha, now, comment_id))

    def _post(self, repo_name: str, pr: PullRequest, text: str, record: SummaryRecord | None) -> int | None:
        if self.mode == "status":
            self.rest.create_status(
                repo_name, pr.head_sha, state="success", description=text, context=CONTEXT, url=self.method_url
            )
            return None
        if record is not None and record.comment_id is not None:
            try:
                self.rest.update_comment(repo_name, record.comment_id, text)
                return record.comment_id
            except GitHubAccessError as exc:
                if exc.http_status != 404:
                    raise
                log.info("the summary comment of %s#%d was deleted; posting it again", repo_name, pr.number)
        return self.rest.create_comment(repo_name, pr.number, text)


def _relevant(activity: Activity) -> bool:
    if not activity.details.get("head_sha"):
        return False
    if activity.type is ActivityType.CI_RUN:
        return True
    return activity.type is ActivityType.PR and activity.details.get("action") in ("opened", "synchronize")
