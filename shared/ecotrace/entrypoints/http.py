"""Helpers for the functions' thin ``main(context)``: read the request, build clients, map errors.

``context`` is the Appwrite (open-runtimes) Python context: ``context.req`` has ``body_binary``,
``body_text``, ``headers`` (lower-case keys), ``method``, ``path``, ``query``; ``context.res.json(obj,
statusCode=...)`` builds the response. This module is the one place errors become status codes.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from typing import Any

from ..adapters.appwrite_store import AppwriteStore, make_client
from ..domain.invocation import Invocation
from ..errors import EcoTraceError, RateLimitedError, UnauthorizedError, ValidationError
from ..settings import Settings

log = logging.getLogger("ecotrace")

MAX_JSON_BODY = 1024 * 1024  # direct executions from the frontend: 1 MiB is plenty

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
    """The request body as a JSON object, or ValidationError naming what is wrong."""
    raw: bytes = context.req.body_binary or b""
    if len(raw) > max_bytes:
        raise ValidationError(f"request body is {len(raw)} bytes; at most {max_bytes} allowed")
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValidationError("request body must be a JSON object")
    return data


def error_response(context: Any, exc: EcoTraceError, redact: Callable[[Any], Any] = lambda value: value) -> Any:
    """The error's answer: ``{"ok": false, "error", "message", "details"?}`` with its status code (and
    ``Retry-After`` for 429), message and details passed through ``redact``. Logging it is ``observe``'s job."""
    body: dict[str, Any] = {"ok": False, "error": exc.code, "message": redact(exc.message)}
    if exc.details:
        body["details"] = redact(exc.details)
    if isinstance(exc, RateLimitedError):
        return context.res.json(body, statusCode=exc.status, headers={"retry-after": str(exc.retry_after_s)})
    return context.res.json(body, statusCode=exc.status)
