"""The local-only routes (``/v1/_local/faults``, ``/v1/_local/requests``): fault injection and the request log,
for the project key only (see ``faults.py``); ``/v1/_local/realtime``: the realtime hub's subscriber counts, for
any key of the project, execution keys included (the ``health`` action of api-integrations shows them)."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from ..errors import argument_invalid, user_unauthorized
from ..runtime.realtime import RealtimeHub
from .auth import require_project_key
from .endpoint import Ctx, empty_response
from .faults import Faults, RequestLog


def add_fault(ctx: Ctx, faults: Faults) -> tuple[int, Any]:
    require_project_key(ctx.caller)
    body = ctx.body
    status = body.get("status", 503)
    try:
        fault_id = faults.add(
            method=body.get("method"),
            path_pattern=str(body.get("pathPattern", body.get("path_pattern", ".*"))),
            status=None if status is None else int(status),
            times=int(body.get("times", 1)),
            after=int(body.get("after", 0)),
            delay_s=float(body.get("delayS", body.get("delay_s", 0.0))),
            type_=body.get("type"),
            message=body.get("message"),
        )
    except (ValueError, TypeError, re.error) as exc:
        raise argument_invalid("fault", str(exc)) from exc
    return 201, {"id": fault_id}


def clear_faults(ctx: Ctx, faults: Faults) -> Response:
    require_project_key(ctx.caller)
    fault_id = ctx.param("id")
    if fault_id is not None:
        faults.remove(int(fault_id))
    else:
        faults.clear()
    return empty_response()


def list_faults(ctx: Ctx, faults: Faults) -> dict[str, Any]:
    require_project_key(ctx.caller)
    return {"faults": faults.list()}


def list_requests(ctx: Ctx, request_log: RequestLog) -> dict[str, Any]:
    require_project_key(ctx.caller)
    entries = [{"method": e.method, "path": e.path, "status": e.status} for e in request_log]
    return {"total": len(entries), "requests": entries}


def realtime_counts(ctx: Ctx, hub: RealtimeHub) -> dict[str, Any]:
    if not ctx.caller.is_key:
        raise user_unauthorized()
    return hub.counts()
