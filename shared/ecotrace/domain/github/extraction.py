"""What a delivery means for EcoTrace (an :class:`Extraction`), and the helpers every event's extractor shares.

Every activity is attributed to the delivery's ``sender`` (the account whose action caused the event; it always
carries a numeric id, which commit authors do not). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from ..models import Activity
from .payloads import Account, Repository, _Envelope


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
