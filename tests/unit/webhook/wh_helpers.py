"""Fixture payloads (octokit/webhooks examples, MIT; see tests/fixtures/github-webhooks/SOURCE.md) and signing."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ecotrace.domain.signature import sign

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "github-webhooks"
SECRET = "test-secret-for-unit-tests"
ALL_FIXTURES = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.glob("*/*.json"))


# The activity types each counted fixture must yield; every other fixture is ignored (or a ping).
COUNTED = {
    "push/with-new-branch.payload.json": ["commit"],
    "push/with-no-username-committer.payload.json": ["commit"],
    "pull_request/opened.payload.json": ["pr"],
    "pull_request/opened.with-null-body.json": ["pr"],
    "pull_request/opened.with-organization.payload.json": ["pr"],
    "pull_request/synchronize.payload.json": ["pr"],
    "pull_request/closed.payload.json": ["pr"],
    "pull_request/closed.with-organization.payload.json": ["pr"],
    "pull_request_review/submitted.payload.json": ["pr"],
    "pull_request_review/submitted.with-organization.payload.json": ["pr"],
    "workflow_job/completed.failure.with-organization.payload.json": ["ci_run"],
    "workflow_job/completed.success.with-organization.payload.json": ["ci_run"],
    "workflow_run/completed.payload.json": ["ci_run"],
    "workflow_run/completed.with-pull-requests.payload.json": ["ci_run"],
    "deployment_status/payload.json": ["deployment"],
    "deployment_status/with-installation.payload.json": ["deployment"],
}
PINGS = {"ping/payload.json", "ping/with-app_id.payload.json", "ping/with-organization.payload.json"}


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(raw(name))
    return data


def event_of(name: str) -> str:
    return name.split("/")[0]


def headers(
    event: str,
    body: bytes,
    delivery: str = "d-1",
    hook: str | None = "42",
    secret: str | None = SECRET,
    content_type: str = "application/json",
) -> dict[str, str]:
    out = {
        "x-github-event": event,
        "x-github-delivery": delivery,
        "content-type": content_type,
        "user-agent": "GitHub-Hookshot/test",
    }
    if hook is not None:
        out["x-github-hook-id"] = hook
    if secret is not None:
        out["x-hub-signature-256"] = sign(secret, body)
    return out


def multi_commit_push(n: int, *, repeat_first: bool = False, sender: dict[str, Any] | None = None) -> dict[str, Any]:
    """A push of ``n`` distinct commits built from the with-new-branch fixture (which carries one)."""
    base = payload("push/with-new-branch.payload.json")
    template = base["commits"][0]
    commits = []
    for i in range(n):
        c = copy.deepcopy(template)
        c["id"] = f"{i + 1:040x}"
        c["message"] = f"change {i + 1}\n\nbody"
        c["added"] = [f"src/new_{i}.py"] if i % 3 == 0 else []
        c["modified"] = ["README.md", f"src/mod_{i}.py"] if i % 3 else []
        c["removed"] = [f"old_{i}.txt"] if i % 5 == 4 else []
        commits.append(c)
    if repeat_first and commits:
        dup = copy.deepcopy(commits[0])
        commits.append(dup)
    base["commits"] = commits
    base["head_commit"] = copy.deepcopy(commits[-1]) if commits else None
    base["after"] = commits[-1]["id"] if commits else base["after"]
    if sender is not None:
        base["sender"] = sender
    return base


def body_of(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
