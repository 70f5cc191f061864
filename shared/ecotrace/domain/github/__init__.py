"""GitHub webhook deliveries: typed read-only views of the payload parts EcoTrace uses, and the
activities each event yields. Pure: no I/O.

Facts (header names, payload fields, 2020-era gaps) are from ``github-webhooks.md`` in the project's reference
notes, which cite GitHub's docs and octokit/webhooks. Activity row ids are derived from the event, so the same
work reaching us twice maps to the same row.

Modules: ``delivery`` (headers and body decoding), ``payloads`` (the typed payload parts), ``ids`` (row ids),
``extraction`` (the result type and shared helpers), ``git_events`` (push, pull requests), ``ci_events``
(workflow jobs and runs, deployments), ``dispatch`` (:func:`extract`). Import from this package.
"""

from __future__ import annotations

from .ci_events import DEPLOYMENT_STATES
from .delivery import MAX_BODY_BYTES, DeliveryHeaders, M, decode_payload
from .dispatch import extract
from .extraction import Actor, Extraction, Outcome, RunLink
from .git_events import ESTIMATED_LINES_PER_FILE, PR_ACTIONS, REVIEW_ACTIONS, estimate_lines
from .ids import activity_id, commit_row_id, job_row_id, opens_pull_request, run_row_id
from .payloads import (
    MAX_COUNT,
    MAX_PUSH_COMMITS,
    MAX_YEAR,
    MIN_YEAR,
    Account,
    CommitPerson,
    Count,
    Deployment,
    DeploymentStatus,
    DeploymentStatusEvent,
    GitHubId,
    GitRef,
    Hook,
    PingEvent,
    PullRequest,
    PullRequestEvent,
    PullRequestReviewEvent,
    PushCommit,
    PushEvent,
    Repository,
    Review,
    UtcDatetime,
    WorkflowJob,
    WorkflowJobEvent,
    WorkflowRun,
    WorkflowRunEvent,
)

__all__ = [
    "DEPLOYMENT_STATES",
    "ESTIMATED_LINES_PER_FILE",
    "MAX_BODY_BYTES",
    "MAX_COUNT",
    "MAX_PUSH_COMMITS",
    "MAX_YEAR",
    "MIN_YEAR",
    "PR_ACTIONS",
    "REVIEW_ACTIONS",
    "Account",
    "Actor",
    "CommitPerson",
    "Count",
    "DeliveryHeaders",
    "Deployment",
    "DeploymentStatus",
    "DeploymentStatusEvent",
    "Extraction",
    "GitHubId",
    "GitRef",
    "Hook",
    "M",
    "Outcome",
    "PingEvent",
    "PullRequest",
    "PullRequestEvent",
    "PullRequestReviewEvent",
    "PushCommit",
    "PushEvent",
    "Repository",
    "Review",
    "RunLink",
    "UtcDatetime",
    "WorkflowJob",
    "WorkflowJobEvent",
    "WorkflowRun",
    "WorkflowRunEvent",
    "activity_id",
    "commit_row_id",
    "decode_payload",
    "estimate_lines",
    "extract",
    "job_row_id",
    "opens_pull_request",
    "run_row_id",
]
