"""github-webhook: GitHub deliveries in, activities out, each counted once (see README.md)."""

from __future__ import annotations

from typing import Any

from ecotrace.entrypoints.http import Invocation, error_response, settings_from_env, store_for
from ecotrace.entrypoints.webhook import ingest_for
from ecotrace.errors import EcoTraceError


def main(context: Any) -> Any:
    try:
        settings = settings_from_env()
        store = store_for(settings, Invocation.from_headers(context.req.headers))
        result = ingest_for(settings, store).handle(context.req.body_binary or b"", context.req.headers)
    except EcoTraceError as exc:
        return error_response(context, exc)
    body = result.body
    context.log(f"{result.status} {body.get('event')} {body.get('status')} delivery={body.get('delivery_id')}")
    return context.res.json(body, statusCode=result.status)
