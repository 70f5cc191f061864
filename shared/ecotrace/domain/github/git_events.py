"""Activities from git events: pushes (one per distinct commit) and pull-request lifecycle steps. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..carbon.coefficients import default_methodology
from ..models import Activity, ActivityType
from .delivery import _parse
from .extraction import Extraction, Outcome, _actor, _base, _cut, _ignored, _url
from .ids import activity_id, commit_row_id
from .payloads import PullRequestEvent, PullRequestReviewEvent, PushCommit, PushEvent

# Without a GitHub token, push payloads carry no line counts (only file paths). EcoTrace then assumes this many
# lines per touched file: the carbon method's own `git.default_lines_per_file` (one figure for the webhook and the
# method, measured and cited in methodology.json), and every row built from it is marked `lines_estimated` so the
# calculation lowers its confidence and widens its range. Read from the shipped method, parsed once per process.
ESTIMATED_LINES_PER_FILE = int(default_methodology().v("git.default_lines_per_file"))


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


REVIEW_ACTIONS = ("submitted",)


def _pull_request_review(payload: Mapping[str, Any], delivery_id: str) -> Extraction:
    """A submitted review: a step of its pull request (type ``pr``, ``details.action`` ``review``), which the
    carbon method costs as server time; ``pr_count`` does not count it (only ``opened`` steps count)."""
    action = payload.get("action")
    if action not in REVIEW_ACTIONS:
        return _ignored("pull_request_review", payload, f"pull_request_review action {action!r} is not counted")
    event = _parse(PullRequestReviewEvent, "pull_request_review", payload)
    pr, review = event.pull_request, event.review
    actor = _actor(event.sender)
    repo = event.repository
    head_sha = (review.commit_id or pr.head.sha)[:64]
    activity = Activity(
        **_base(actor, repo, "pull_request_review", delivery_id),
        id=activity_id("p", repo.id, pr.id, f"review@{review.id}"),
        type=ActivityType.PR,
        ref=_cut(pr.head.ref, 255),
        external_id=f"pr:{pr.number}:review:{review.id}"[:128],
        timestamp=review.submitted_at or pr.updated_at or pr.created_at,
        title=_cut(pr.title, 512),
        url=_url(review.html_url) or _url(pr.html_url),
        details={
            "action": "review",
            "number": pr.number,
            "review_id": review.id,
            "state": _cut(review.state, 32),
            "reviewer": _cut(review.user.login, 100) if review.user else None,
            "head_sha": head_sha,
            "base_ref": _cut(pr.base.ref, 255),
        },
    )
    return Extraction("pull_request_review", action, Outcome.ACTIVITIES, "", actor, repo.full_name, (activity,))
