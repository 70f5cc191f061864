"""Activities from CI and deployment events: workflow jobs, workflow runs, deployment statuses. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..models import Activity, ActivityType
from .delivery import _parse
from .extraction import Actor, Extraction, Outcome, RunLink, _actor, _base, _cut, _ignored, _seconds, _url, _visibility
from .ids import activity_id, job_row_id, run_row_id
from .payloads import DeploymentStatusEvent, Repository, WorkflowJob, WorkflowJobEvent, WorkflowRunEvent


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
