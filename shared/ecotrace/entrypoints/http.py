"""Helpers for the functions' thin ``main(context)``: read the request, build clients, map errors.

``context`` is the Appwrite (open-runtimes) Python context: ``context.req`` has ``body_binary``,
``body_text``, ``headers`` (lower-case keys), ``method``, ``path``, ``query``; ``context.res.json(obj,
statusCode=...)`` builds the response. This module is the one place errors become status codes.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..adapters.appwrite_store import AppwriteStore, make_client
from ..errors import EcoTraceError, UnauthorizedError, ValidationError
from ..settings import Settings

log = logging.getLogger("ecotrace")

MAX_JSON_BODY = 1024 * 1024  # direct executions from the frontend: 1 MiB is plenty


@dataclass(frozen=True)
class Invocation:
    """Who called and how, from the headers Appwrite sets (they cannot be forged by callers)."""

    trigger: str  # http | schedule | event
    user_id: str | None  # set for executions by a signed-in user
    event: str | None
    key: str | None  # per-execution API key carrying the function's scopes

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Invocation:
        return cls(
            trigger=headers.get("x-appwrite-trigger", "http") or "http",
            user_id=headers.get("x-appwrite-user-id") or None,
            event=headers.get("x-appwrite-event") or None,
            key=headers.get("x-appwrite-key") or None,
        )


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


def error_response(context: Any, exc: EcoTraceError) -> Any:
    body: dict[str, Any] = {"ok": False, "error": exc.code, "message": exc.message}
    if exc.details:
        body["details"] = exc.details
    if exc.status >= 500:
        context.error(f"{exc.code}: {exc.message}")
    else:
        context.log(f"{exc.status} {exc.code}: {exc.message}")
    return context.res.json(body, statusCode=exc.status)
