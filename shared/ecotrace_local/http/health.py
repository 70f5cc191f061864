"""What this server is (``about``, served at ``/`` by ``dashboard.py``), ``/v1/health``, ``/v1/health/version``
and ``/v1/ping``."""

from __future__ import annotations

from typing import Any

from starlette.responses import PlainTextResponse

from ..errors import APPWRITE_VERSION
from ..storage.access import require_scope
from .auth import Callers, project_from, project_not_found
from .endpoint import Ctx


def about() -> dict[str, Any]:
    """What this server is (``GET /`` for anything but a browser, which gets the dashboard)."""
    return {"name": "ecotrace-local", "endpoint": "/v1", "version": APPWRITE_VERSION, "dashboard": "/"}


def health(ctx: Ctx) -> dict[str, Any]:
    require_scope(ctx.caller, "health.read")
    return {"name": "http", "status": "pass", "ping": 0}


def version(ctx: Ctx) -> dict[str, Any]:
    return {"version": APPWRITE_VERSION}


def ping(ctx: Ctx, callers: Callers) -> PlainTextResponse:
    """An unknown or missing project is a 404 here (not the 401 of other routes); then the caller must be valid."""
    if project_from(ctx.headers, ctx.query) != callers.project_id:
        raise project_not_found()
    callers.resolve(ctx.headers, ctx.query)
    return PlainTextResponse("Pong!", media_type="text/plain; charset=UTF-8")
