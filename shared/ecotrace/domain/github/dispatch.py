"""Which extractor handles which event, and :func:`extract`, the entry point. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from .ci_events import _deployment_status, _workflow_job, _workflow_run
from .delivery import _parse, _problem
from .extraction import Extraction, Outcome, _envelope, _ignored
from .git_events import _pull_request, _pull_request_review, _push
from .payloads import PingEvent


def _ping(payload: Mapping[str, Any], delivery_id: str) -> Extraction:
    ping = _parse(PingEvent, "ping", payload)
    env = _envelope(payload)
    return Extraction("ping", None, Outcome.PING, "ping", env[0], env[1], hook_id=ping.hook_id, extra={"zen": ping.zen})


_HANDLERS = {
    "push": _push,
    "pull_request": _pull_request,
    "pull_request_review": _pull_request_review,
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
