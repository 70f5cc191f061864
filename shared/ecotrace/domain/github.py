"""GitHub webhook deliveries: typed read-only views of the payload parts EcoTrace uses, and the
activities each event yields. Pure: no I/O.

Facts (header names, payload fields, 2020-era gaps) are from ``github-webhooks.md`` in the project's reference
notes, which cite GitHub's docs and octokit/webhooks. Models ignore fields they do not use and tolerate the
optional ones older payloads lack. Every activity is attributed to the delivery's ``sender`` (the account whose
action caused the event; it always carries a numeric id, which commit authors do not).

Activity row ids are derived from the event (repository id + commit sha, job id + attempt, ...), so the same
work reaching us twice (a redelivery, another branch, a force-push) maps to the same row.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qs

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from ..errors import ValidationError
from .models import Activity, ActivityType

MAX_BODY_BYTES = 25 * 1024 * 1024  # GitHub caps payloads at 25 MB (docs: webhooks payload cap)
# A push payload lists at most 2048 commits (octokit/webhooks push schema; GitHub leaves the rest to the Compare
# API). More is not a GitHub delivery, and refusing it up front keeps every push within one transaction.
MAX_PUSH_COMMITS = 2048
MIN_YEAR, MAX_YEAR = 1000, 9998
_MAX_ID = 2**63 - 1
_EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_GUID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")

# Without a GitHub token, push payloads carry no line counts (only file paths). EcoTrace then assumes this
# many lines per touched file: an EcoTrace assumption, not a measured figure, and every row built from it is
# marked `lines_estimated` so the carbon calculation can lower its confidence.
ESTIMATED_LINES_PER_FILE = 10


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


# ---- the delivery -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryHeaders:
    event: str
    delivery_id: str
    hook_id: str | None
    signature: str | None
    content_type: str
    github: dict[str, str]  # every x-github-* header, for the delivery record

    @classmethod
    def parse(cls, headers: Mapping[str, str]) -> DeliveryHeaders:
        low = {str(k).lower(): str(v) for k, v in headers.items()}
        event = low.get("x-github-event", "").strip()
        if not event:
            raise ValidationError("missing x-github-event header")
        if not _EVENT_NAME.match(event):
            raise ValidationError("x-github-event must be a GitHub event name such as 'push'")
        delivery = low.get("x-github-delivery", "").strip()
        if not delivery:
            raise ValidationError("missing x-github-delivery header")
        if not _GUID.match(delivery):
            raise ValidationError("x-github-delivery must be a delivery GUID (at most 64 chars of A-Z a-z 0-9 . _ : -)")
        hook = low.get("x-github-hook-id", "").strip() or None
        if hook is not None and not (hook.isascii() and hook.isdigit() and len(hook) <= 20):
            raise ValidationError("x-github-hook-id must be a number")
        github = {k: v[:512] for k, v in sorted(low.items()) if k.startswith("x-github-")}
        return cls(
            event=event,
            delivery_id=delivery,
            hook_id=hook,
            signature=low.get("x-hub-signature-256"),
            content_type=low.get("content-type", "application/json").split(";")[0].strip().lower(),
            github=github,
        )

    @property
    def row_id(self) -> str:
        """The webhook_deliveries row id: the same for a redelivery of this event to this hook."""
        return "d_" + _digest(f"{self.hook_id or '-'}:{self.delivery_id}")


def decode_payload(body: bytes, content_type: str) -> dict[str, Any]:
    """The JSON object of a delivery; ``payload=`` form bodies are unwrapped. ValidationError otherwise."""
    if content_type == "application/x-www-form-urlencoded":
        try:
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=1000)
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValidationError(f"form body is not valid UTF-8 urlencoded data: {exc}") from exc
        values = form.get("payload")
        if not values:
            raise ValidationError("form-encoded delivery has no 'payload' field")
        text: str | bytes = values[0]
    elif content_type in ("application/json", "") or content_type.endswith("+json"):
        try:
            text = body.decode("utf-8")  # GitHub: treat the payload as UTF-8
        except UnicodeDecodeError as exc:
            raise ValidationError(f"payload is not valid UTF-8: {exc}") from exc
    else:
        raise ValidationError(f"unsupported content type {content_type!r}: use application/json")
    try:
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValidationError(f"payload is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValidationError("payload must be a JSON object")
    return data


def _problem(event: str, exc: PydanticValidationError) -> ValidationError:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "payload"
        parts.append(f"{where}: {err['msg']}")
    more = f" (+{exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
    return ValidationError(
        f"{event} payload is not what GitHub sends: " + "; ".join(parts) + more,
        details={"fields": [".".join(str(p) for p in e["loc"]) for e in exc.errors()[:20]]},
    )


M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], event: str, payload: Mapping[str, Any]) -> M:
    try:
        return model.model_validate(payload)
    except PydanticValidationError as exc:
        raise _problem(event, exc) from exc
    except (RecursionError, OverflowError) as exc:  # pathological nesting or numbers
        raise ValidationError(f"{event} payload cannot be read: {type(exc).__name__}") from exc


# ---- extraction ---------------------------------------------------------------------------------------


class Outcome(StrEnum):
    ACTIVITIES = "activities"  # handled event: activities (maybe none new) to record
    PING = "ping"
    IGNORED = "ignored"  # an event or action EcoTrace does not count


@dataclass(frozen=True)
class Actor:
    github_id: str
    login: str
    is_bot: bool
    avatar_url: str | None

    @property
    def user_id(self) -> str:
        return f"gh_{self.github_id}"


@dataclass(frozen=True)
class RunLink:
    """A workflow job's run: a job's energy is counted on the job row, so its run row must not count too."""

    run_row_id: str
    placeholder: Activity  # the run row to create (counted=False) when the run has no row yet


@dataclass(frozen=True)
class Extraction:
    event: str
    action: str | None
    outcome: Outcome
    reason: str = ""
    actor: Actor | None = None
    repo_full_name: str | None = None
    activities: tuple[Activity, ...] = ()
    hook_id: int | None = None
    run_links: tuple[RunLink, ...] = ()
    # For workflow_run: the run row may already exist as a placeholder written by its jobs.
    run_row_is_total: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def activity_id(prefix: str, *parts: object) -> str:
    """A deterministic row id: ``<prefix>_`` + 32 hex chars of SHA-256 over the parts (<= 36 chars)."""
    return f"{prefix}_" + _digest(":".join(str(p) for p in parts))


def commit_row_id(repo_id: int | str, sha: str) -> str:
    return activity_id("c", repo_id, sha.lower())


def job_row_id(repo_id: int | str, job_id: int, attempt: int) -> str:
    return activity_id("j", repo_id, job_id, attempt)


def run_row_id(repo_id: int | str, run_id: int, attempt: int) -> str:
    return activity_id("r", repo_id, run_id, attempt)


def _cut(text: str | None, size: int) -> str | None:
    if text is None:
        return None
    return text if len(text) <= size else text[: size - 1] + "…"


def _url(url: str | None) -> str | None:
    return url if url and len(url) <= 2048 and url.startswith(("https://", "http://")) else None


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def _actor(sender: Account) -> Actor:
    return Actor(str(sender.id), sender.login, sender.is_bot, _url(sender.avatar_url))


def _base(actor: Actor, repo: Repository, source_event: str, delivery_id: str) -> dict[str, Any]:
    return {
        "user_id": actor.user_id,
        "github_login": actor.login,
        "is_bot": actor.is_bot,
        "repo_id": str(repo.id),
        "repo_full_name": repo.full_name,
        "source_event": source_event,
        "delivery_id": delivery_id[:64],
    }


def _visibility(repo: Repository) -> dict[str, bool]:
    """``repo_private`` for CI and deployment details, when the payload says (the carbon method picks the runner)."""
    return {} if repo.private is None else {"repo_private": repo.private}


def estimate_lines(commit: PushCommit) -> tuple[int, int]:
    """(lines added, lines deleted) guessed from file paths: see ESTIMATED_LINES_PER_FILE."""
    per = ESTIMATED_LINES_PER_FILE
    half = per // 2
    added = len(commit.added) * per + len(commit.modified) * half
    deleted = len(commit.removed) * per + len(commit.modified) * half
    return added, deleted


def _push(payload: Mapping[str, Any], delivery_id: str) -> Extraction:
    event = _parse(PushEvent, "push", payload)
    actor = _actor(event.sender)
    base = _base(actor, event.repository, "push", delivery_id)
    ref = _cut(event.ref, 255)
    seen: set[str] = set()
    activities = []
    for commit in event.commits:
        sha = commit.id.lower()
        if not commit.distinct or sha in seen:
            continue
        seen.add(sha)
        added, deleted = estimate_lines(commit)
        first_line = commit.message.strip().splitlines()[0] if commit.message.strip() else ""
        activities.append(
            Activity(
                **base,
                id=commit_row_id(event.repository.id, sha),
                type=ActivityType.COMMIT,
                ref=ref,
                external_id=sha,
                timestamp=commit.timestamp,
                title=_cut(first_line, 512),
                url=_url(commit.url),
                files_changed=commit.files_changed,
                lines_added=added,
                lines_deleted=deleted,
                lines_estimated=True,
                details={
                    "files_added": len(commit.added),
                    "files_removed": len(commit.removed),
                    "files_modified": len(commit.modified),
                    "author_login": _cut(commit.author.username, 100) if commit.author else None,
                    "author_name": _cut(commit.author.name, 100) if commit.author else None,
                    "forced_push": event.forced,
                },
            )
        )
    if not activities:
        why = "the push deleted a ref" if event.deleted else "the push carries no new (distinct) commits"
        return Extraction("push", None, Outcome.IGNORED, why, actor, event.repository.full_name)
    return Extraction("push", None, Outcome.ACTIVITIES, "", actor, event.repository.full_name, tuple(activities))


PR_ACTIONS = ("opened", "synchronize", "closed")


def opens_pull_request(activity_type: str, external_id: str | None) -> bool:
    """Whether a ``pr`` activity is the opening of its pull request (``external_id`` ``pr:<n>:opened:<sha>``).

    A pull request has one ``pr`` activity per lifecycle step, each using energy; ``pr_count`` in user_stats
    and leaderboards counts pull requests, so only the opening step counts there."""
    return activity_type == "pr" and (external_id or "").split(":")[2:3] == ["opened"]


def _pull_request(payload: Mapping[str, Any], delivery_id: str) -> Extraction:
    action = payload.get("action")
    if action not in PR_ACTIONS:
        return _ignored("pull_request", payload, f"pull_request action {action!r} is not counted")
    event = _parse(PullRequestEvent, "pull_request", payload)
    pr = event.pull_request
    actor = _actor(event.sender)
    repo = event.repository
    if action == "opened":
        stage, key, when = "opened", "opened", pr.created_at
    elif action == "synchronize":
        stage, key, when = "synchronize", pr.head.sha, pr.updated_at or pr.created_at
    else:
        stage = "merged" if pr.merged or pr.merged_at else "closed"
        when = pr.merged_at or pr.closed_at or pr.updated_at or pr.created_at
        key = f"{stage}@{when.isoformat()}"
    activity = Activity(
        **_base(actor, repo, "pull_request", delivery_id),
        id=activity_id("p", repo.id, pr.id, key),
        type=ActivityType.PR,
        ref=_cut(pr.head.ref, 255),
        external_id=f"pr:{pr.number}:{stage}:{pr.head.sha[:40]}"[:128],
        timestamp=when,
        title=_cut(pr.title, 512),
        url=_url(pr.html_url),
        files_changed=pr.changed_files,
        lines_added=pr.additions,
        lines_deleted=pr.deletions,
        details={
            "action": stage,
            "number": pr.number,
            "commits": pr.commits,
            "head_sha": pr.head.sha[:64],
            "base_ref": _cut(pr.base.ref, 255),
            "draft": pr.draft,
            "merged": bool(pr.merged or pr.merged_at),
        },
    )
    return Extraction("pull_request", action, Outcome.ACTIVITIES, "", actor, repo.full_name, (activity,))


def _labels(labels: list[str]) -> list[str]:
    return [label[:100] for label in labels[:20]]


def _run_placeholder(job: WorkflowJob, actor: Actor, repo: Repository, delivery_id: str) -> Activity:
    return Activity(
        **_base(actor, repo, "workflow_job", delivery_id),
        id=run_row_id(repo.id, job.run_id, job.run_attempt),
        type=ActivityType.CI_RUN,
        ref=_cut(job.head_branch, 255),
        external_id=f"run:{job.run_id}:{job.run_attempt}",
        timestamp=job.created_at or job.started_at,
        title=_cut(job.workflow_name, 512),
        counted=False,
        details={
            "kind": "workflow_run",
            "placeholder": True,
            "run_id": job.run_id,
            "run_attempt": job.run_attempt,
            **_visibility(repo),
        },
    )


def _workflow_job(payload: Mapping[str, Any], delivery_id: str) -> Extraction:
    action = payload.get("action")
    if action != "completed":
        return _ignored("workflow_job", payload, f"workflow_job action {action!r} is not counted (only completed)")
    event = _parse(WorkflowJobEvent, "workflow_job", payload)
    job = event.workflow_job
    actor = _actor(event.sender)
    repo = event.repository
    duration = _seconds(job.started_at, job.completed_at)
    activity = Activity(
        **_base(actor, repo, "workflow_job", delivery_id),
        id=job_row_id(repo.id, job.id, job.run_attempt),
        type=ActivityType.CI_RUN,
        ref=_cut(job.head_branch, 255),
        external_id=f"job:{job.run_id}:{job.run_attempt}:{job.id}",
        timestamp=job.started_at,
        title=_cut(f"{job.workflow_name} / {job.name}" if job.workflow_name else job.name, 512) or None,
        url=_url(job.html_url),
        duration_s=duration if duration is not None else 0.0,
        runner_labels=_labels(job.labels),
        runner_name=_cut(job.runner_name, 255),
        details={
            **_visibility(repo),
            "kind": "workflow_job",
            "run_id": job.run_id,
            "run_attempt": job.run_attempt,
            "job_id": job.id,
            "conclusion": _cut(job.conclusion, 64),
            "runner_group": _cut(job.runner_group_name, 100),
            "queued_s": _seconds(job.created_at, job.started_at),
            "head_sha": (job.head_sha or "")[:64] or None,
            "duration_known": job.completed_at is not None,
        },
    )
    link = RunLink(run_row_id(repo.id, job.run_id, job.run_attempt), _run_placeholder(job, actor, repo, delivery_id))
    return Extraction(
        "workflow_job", action, Outcome.ACTIVITIES, "", actor, repo.full_name, (activity,), run_links=(link,)
    )


def _workflow_run(payload: Mapping[str, Any], delivery_id: str) -> Extraction:
    action = payload.get("action")
    if action != "completed":
        return _ignored("workflow_run", payload, f"workflow_run action {action!r} is not counted (only completed)")
    event = _parse(WorkflowRunEvent, "workflow_run", payload)
    run = event.workflow_run
    actor = _actor(event.sender)
    repo = event.repository
    started = run.run_started_at or run.created_at
    activity = Activity(
        **_base(actor, repo, "workflow_run", delivery_id),
        id=run_row_id(repo.id, run.id, run.run_attempt),
        type=ActivityType.CI_RUN,
        ref=_cut(run.head_branch, 255),
        external_id=f"run:{run.id}:{run.run_attempt}",
        timestamp=started,
        title=_cut(run.display_title or run.name, 512) or None,
        url=_url(run.html_url),
        # GitHub gives no run duration: updated_at - run_started_at on the completed event (reference notes).
        duration_s=_seconds(started, run.updated_at),
        details={
            **_visibility(repo),
            "kind": "workflow_run",
            "placeholder": False,
            "run_id": run.id,
            "run_attempt": run.run_attempt,
            "run_number": run.run_number,
            "conclusion": _cut(run.conclusion, 64),
            "trigger": _cut(run.event, 64),
            "workflow_id": run.workflow_id,
            "head_sha": (run.head_sha or "")[:64] or None,
            "started_at_known": run.run_started_at is not None,
        },
    )
    return Extraction(
        "workflow_run", action, Outcome.ACTIVITIES, "", actor, repo.full_name, (activity,), run_row_is_total=True
    )


DEPLOYMENT_STATES = ("success", "failure")


def _deployment_status(payload: Mapping[str, Any], delivery_id: str) -> Extraction:
    status = payload.get("deployment_status")
    state = status.get("state") if isinstance(status, Mapping) else None
    if state not in DEPLOYMENT_STATES:
        if status is None or state is None:
            _parse(DeploymentStatusEvent, "deployment_status", payload)  # names what is missing
        return _ignored("deployment_status", payload, f"deployment state {state!r} is not counted")
    event = _parse(DeploymentStatusEvent, "deployment_status", payload)
    dep, st = event.deployment, event.deployment_status
    actor = _actor(event.sender)
    repo = event.repository
    environment = st.environment or dep.environment
    activity = Activity(
        **_base(actor, repo, "deployment_status", delivery_id),
        id=activity_id("dp", repo.id, dep.id, st.id),
        type=ActivityType.DEPLOYMENT,
        ref=_cut(dep.ref, 255),
        external_id=f"deployment:{dep.id}:{st.id}",
        timestamp=st.created_at,
        title=_cut(f"{dep.task or 'deploy'} to {environment}" if environment else dep.task, 512),
        url=_url(st.target_url),
        duration_s=_seconds(dep.created_at, st.created_at),
        details={
            **_visibility(repo),
            "state": st.state,
            "environment": _cut(environment, 100),
            "deployment_id": dep.id,
            "sha": (dep.sha or "")[:64] or None,
        },
    )
    return Extraction("deployment_status", event.action, Outcome.ACTIVITIES, "", actor, repo.full_name, (activity,))


def _ping(payload: Mapping[str, Any], delivery_id: str) -> Extraction:
    ping = _parse(PingEvent, "ping", payload)
    env = _envelope(payload)
    return Extraction("ping", None, Outcome.PING, "ping", env[0], env[1], hook_id=ping.hook_id, extra={"zen": ping.zen})


def _envelope(payload: Mapping[str, Any]) -> tuple[Actor | None, str | None]:
    try:
        env = _Envelope.model_validate(payload)
    except PydanticValidationError:
        return None, None
    return (_actor(env.sender) if env.sender else None), (env.repository.full_name if env.repository else None)


def _ignored(event: str, payload: Mapping[str, Any], reason: str) -> Extraction:
    action = payload.get("action")
    actor, repo = _envelope(payload)
    return Extraction(event, action[:64] if isinstance(action, str) else None, Outcome.IGNORED, reason, actor, repo)


_HANDLERS = {
    "push": _push,
    "pull_request": _pull_request,
    "workflow_job": _workflow_job,
    "workflow_run": _workflow_run,
    "deployment_status": _deployment_status,
    "ping": _ping,
}


def extract(event: str, payload: Mapping[str, Any], delivery_id: str = "") -> Extraction:
    """What a delivery means for EcoTrace. Raises ValidationError naming the first problems in the payload."""
    handler = _HANDLERS.get(event)
    if handler is None:
        return _ignored(event, payload, f"event {event!r} is not counted")
    try:
        return handler(payload, delivery_id)
    except PydanticValidationError as exc:  # a value the payload model let through but an activity cannot hold
        raise _problem(event, exc) from exc
