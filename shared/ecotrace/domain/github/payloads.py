"""Typed, read-only views of the GitHub payload parts EcoTrace uses. Pure: no I/O.

Facts (payload fields, 2020-era gaps) are from ``github-webhooks.md`` in the project's reference notes, which
cite GitHub's docs and octokit/webhooks. Models ignore fields they do not use and tolerate the optional ones
older payloads lack.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# A push payload lists at most 2048 commits (octokit/webhooks push schema; GitHub leaves the rest to the Compare
# API). More is not a GitHub delivery, and refusing it up front keeps every push within one transaction.
MAX_PUSH_COMMITS = 2048
MIN_YEAR, MAX_YEAR = 1000, 9998
_MAX_ID = 2**63 - 1


def _utc(value: datetime) -> datetime:
    moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if not MIN_YEAR <= moment.year <= MAX_YEAR:  # what the datetime columns can hold, with four-digit years
        raise ValueError(f"a date between the years {MIN_YEAR} and {MAX_YEAR} is expected")
    return moment


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
GitHubId = Annotated[int, Field(ge=0, le=_MAX_ID)]
# Line, file and commit counts: far above any real pull request, far below what the integer columns (and the
# user_stats sums they feed) can hold, so an impossible number is a 400 before any write, not a refused commit.
MAX_COUNT = 10**9
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


# ---- payload parts ------------------------------------------------------------------------------------


class Account(_Model):
    login: str = Field(min_length=1, max_length=100)
    id: GitHubId
    type: str | None = None
    avatar_url: str | None = None

    @property
    def is_bot(self) -> bool:
        return self.type == "Bot" or self.login.lower().endswith("[bot]")

    @property
    def user_id(self) -> str:
        return f"gh_{self.id}"


class Repository(_Model):
    id: GitHubId
    full_name: str = Field(min_length=1, max_length=255)
    html_url: str | None = None
    private: bool | None = (
        None  # GitHub-hosted runners differ for private repositories (internal ones count as private)
    )


class Hook(_Model):
    id: GitHubId
    type: str | None = None


class CommitPerson(_Model):
    name: str | None = None
    email: str | None = None
    username: str | None = None


class PushCommit(_Model):
    id: str = Field(min_length=4, max_length=64, pattern=r"^[0-9a-fA-F]+$")
    distinct: bool = True
    message: str = ""
    timestamp: UtcDatetime
    url: str | None = None
    author: CommitPerson | None = None
    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    modified: list[str] = Field(default_factory=list)

    @property
    def files_changed(self) -> int:
        return len(self.added) + len(self.removed) + len(self.modified)


class PushEvent(_Model):
    ref: str = Field(max_length=4096)
    before: str | None = None
    after: str | None = None
    forced: bool = False
    deleted: bool = False
    commits: list[PushCommit] = Field(default_factory=list, max_length=MAX_PUSH_COMMITS)
    repository: Repository
    sender: Account


class GitRef(_Model):
    ref: str
    sha: str


class PullRequest(_Model):
    id: GitHubId
    number: GitHubId
    title: str = ""
    html_url: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime | None = None
    closed_at: UtcDatetime | None = None
    merged_at: UtcDatetime | None = None
    merged: bool | None = None
    draft: bool | None = None
    head: GitRef
    base: GitRef
    commits: Count | None = None
    additions: Count | None = None
    deletions: Count | None = None
    changed_files: Count | None = None


class PullRequestEvent(_Model):
    action: str
    pull_request: PullRequest
    repository: Repository
    sender: Account


class Review(_Model):
    id: GitHubId
    state: str | None = None
    commit_id: str | None = None
    submitted_at: UtcDatetime | None = None
    html_url: str | None = None
    user: Account | None = None


class PullRequestReviewEvent(_Model):
    """``pull_request_review``: ``pull_request`` here is GitHub's simple pull request (no line counts)."""

    action: str
    review: Review
    pull_request: PullRequest
    repository: Repository
    sender: Account


class WorkflowJob(_Model):
    id: GitHubId
    run_id: GitHubId
    run_attempt: int = Field(default=1, ge=1, le=MAX_COUNT)
    name: str = ""
    workflow_name: str | None = None
    head_branch: str | None = None
    head_sha: str | None = None
    html_url: str | None = None
    status: str | None = None
    conclusion: str | None = None
    created_at: UtcDatetime | None = None
    started_at: UtcDatetime
    completed_at: UtcDatetime | None = None
    labels: list[str] = Field(default_factory=list)
    runner_name: str | None = None
    runner_group_name: str | None = None


class WorkflowJobEvent(_Model):
    action: str
    workflow_job: WorkflowJob
    repository: Repository
    sender: Account


class WorkflowRun(_Model):
    id: GitHubId
    name: str | None = None
    display_title: str | None = None
    run_number: Count | None = None
    # absent in 2020-era payloads: their runs are first attempts
    run_attempt: int = Field(default=1, ge=1, le=MAX_COUNT)
    event: str | None = None
    status: str | None = None
    conclusion: str | None = None
    head_branch: str | None = None
    head_sha: str | None = None
    html_url: str | None = None
    workflow_id: int | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    run_started_at: UtcDatetime | None = None  # absent in 2020-era payloads


class WorkflowRunEvent(_Model):
    action: str
    workflow_run: WorkflowRun
    repository: Repository
    sender: Account


class Deployment(_Model):
    id: GitHubId
    sha: str | None = None
    ref: str | None = None
    task: str | None = None
    environment: str | None = None
    created_at: UtcDatetime


class DeploymentStatus(_Model):
    id: GitHubId
    state: str
    environment: str | None = None
    target_url: str | None = None
    created_at: UtcDatetime


class DeploymentStatusEvent(_Model):
    action: str | None = None
    deployment_status: DeploymentStatus
    deployment: Deployment
    repository: Repository
    sender: Account


class PingEvent(_Model):
    hook_id: GitHubId
    zen: str | None = None
    hook: Hook | None = None


class _Envelope(_Model):
    """The parts every event may carry, read leniently for the delivery record."""

    action: str | None = None
    sender: Account | None = None
    repository: Repository | None = None
