"""github-webhook: GitHub deliveries in, activities out, each counted once (see README.md)."""

from __future__ import annotations

from typing import Any

from ecotrace.entrypoints.http import Invocation, error_response, settings_from_env, store_for
from ecotrace.errors import EcoTraceError
from ecotrace.services.ingest import WebhookIngest


def main(context: Any) -> Any:
    try:
        settings = settings_from_env()
        store = store_for(settings, Invocation.from_headers(context.req.headers))
        ingest = WebhookIngest(
            store,
            secret=settings.github_webhook_secret,
            allow_unsigned=settings.allow_unsigned_webhooks,
            carbon=None,  # the carbon-calculator's row trigger fills carbon in
        )
        result = ingest.handle(context.req.body_binary or b"", context.req.headers)
    except EcoTraceError as exc:
        return error_response(context, exc)
    context.log(
        f"{result.status} {result.body.get('event')} {result.body.get('status')} {result.body.get('delivery_id')}"
    )
    return context.res.json(result.body, statusCode=result.status)
