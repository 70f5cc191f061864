"""Deterministic activity row ids derived from the event (repository id + commit sha, job id + attempt, ...),
so the same work reaching us twice (a redelivery, another branch, a force-push) maps to the same row. Pure."""

from __future__ import annotations

import hashlib


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


def opens_pull_request(activity_type: str, external_id: str | None) -> bool:
    """Whether a ``pr`` activity is the opening of its pull request (``external_id`` ``pr:<n>:opened:<sha>``).

    A pull request has one ``pr`` activity per lifecycle step, each using energy; ``pr_count`` in user_stats
    and leaderboards counts pull requests, so only the opening step counts there."""
    return activity_type == "pr" and (external_id or "").split(":")[2:3] == ["opened"]
