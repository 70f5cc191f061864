"""Helpers for the functions' thin ``main(context)``: read the request, build clients, map errors.

``context`` is the Appwrite (open-runtimes) Python context: ``context.req`` has ``body_binary``,
``body_text``, ``headers`` (lower-case keys), ``method``, ``path``, ``query``; ``context.res.json(obj,
statusCode=...)`` builds the response. This module is the one place errors become status codes.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from typing import Any

from ..adapters.appwrite_store import AppwriteStore, make_client
from ..domain.invocation import Invocation
from ..errors import EcoTraceError, RateLimitedError, UnauthorizedError, ValidationError
from ..settings import Settings

log = logging.getLogger("ecotrace")

MAX_JSON_BODY = 1024 * 1024  # direct executions from the frontend: 1 MiB is plenty
# How deep a request body may nest: no action needs more than a few levels, and a deeper body costs recursion
# in every reader after this one (Python's json gives up near 1,000 levels with a RecursionError).
MAX_JSON_DEPTH = 64
_SURROGATE = re.compile("[\ud800-\udfff]")

__all__ = ["Invocation", "error_response", "request_json", "settings_from_env", "store_for"]


def settings_from_env() -> Settings:
    return Settings.from_env(os.environ)


def store_for(settings: Settings, invocation: Invocation) -> AppwriteStore:
    if not invocation.key:
        raise UnauthorizedError("no x-appwrite-key header: this function must run inside Appwrite")
    timeout = (3.05, settings.appwrite_timeout_s)
    client = make_client(settings.endpoint, settings.project_id, invocation.key, timeout)
    return AppwriteStore(client, settings.database_id)


def request_json(context: Any, *, max_bytes: int = MAX_JSON_BODY) -> dict[str, Any]:
    """The request body as a JSON object, or ValidationError naming what is wrong: too big, not JSON (``NaN`` and
    ``Infinity`` are not), nested deeper than ``MAX_JSON_DEPTH``, or holding a lone UTF-16 surrogate (``"\\ud800"``,
    which Appwrite cannot store and this function's own writes would then fail on)."""
    raw: bytes = context.req.body_binary or b""
    if len(raw) > max_bytes:
        raise ValidationError(f"request body is {len(raw)} bytes; at most {max_bytes} allowed")
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw, parse_constant=_not_json)
    except RecursionError:
        raise ValidationError(f"request body is nested deeper than {MAX_JSON_DEPTH} levels") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValidationError(f"request body is not valid JSON: {exc}") from exc
    _check_shape(data)
    if not isinstance(data, dict):
        raise ValidationError("request body must be a JSON object")
    return data


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _check_shape(value: Any) -> None:
    """Depth and surrogates, iteratively (a value that defeats recursion must not crash the check)."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise ValidationError("request body holds a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff)")
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise ValidationError(f"request body is nested deeper than {MAX_JSON_DEPTH} levels")
            children = [*item, *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)


def error_response(context: Any, exc: EcoTraceError, redact: Callable[[Any], Any] = lambda value: value) -> Any:
    """The error's answer: ``{"ok": false, "error", "message", "details"?}`` with its status code (and
    ``Retry-After`` for 429), message and details passed through ``redact``. Logging it is ``observe``'s job."""
    body: dict[str, Any] = {"ok": False, "error": exc.code, "message": redact(exc.message)}
    if exc.details:
        body["details"] = redact(exc.details)
    if isinstance(exc, RateLimitedError):
        return context.res.json(body, statusCode=exc.status, headers={"retry-after": str(exc.retry_after_s)})
    return context.res.json(body, statusCode=exc.status)
