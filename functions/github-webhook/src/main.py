"""github-webhook: GitHub deliveries in, activities out, each counted once (see README.md)."""

from __future__ import annotations

from typing import Any

from ecotrace.entrypoints.http import settings_from_env, store_for
from ecotrace.entrypoints.observe import Execution, observed
from ecotrace.entrypoints.webhook import ingest_for


def main(context: Any) -> Any:
    return observed(context, "github-webhook", run)


def run(execution: Execution) -> Any:
    execution.note(caller="github")
    settings = settings_from_env()
    store = store_for(settings, execution.invocation)
    request = execution.context.req
    result = ingest_for(settings, store, rate_limited=True).handle(request.body_binary or b"", request.headers)
    execution.note(event=result.body.get("event"), outcome=result.body.get("status"))
    return execution.respond(result.body, result.status)
