"""api-integrations: emission factors from live, regional and offline sources, with fallbacks that never fail;
the signed-in caller's own data (profile, export, erasure); the backfill of past GitHub activity and advice.
Actions and callers: see ecotrace.services.api_integrations and this function's README.
"""

from __future__ import annotations

from typing import Any

from ecotrace.entrypoints.advise import advisor_for
from ecotrace.entrypoints.backfill import backfill_for, continuation_for
from ecotrace.entrypoints.http import request_json, settings_from_env, store_for
from ecotrace.entrypoints.observe import Execution, observed
from ecotrace.services.api_integrations import aws_report_for, handle, identify_caller, resolver_for
from ecotrace.services.rate_limits import RateLimiter
from ecotrace.services.signup import linker_for


def main(context: Any) -> Any:
    return observed(context, "api-integrations", run)


def run(execution: Execution) -> Any:
    invocation = execution.invocation
    settings = settings_from_env()
    caller = identify_caller(invocation, execution.headers, settings)
    body = request_json(execution.context, max_bytes=64 * 1024)
    execution.forget(body.get("github_token") if isinstance(body.get("github_token"), str) else None)
    execution.note(action=body.get("action"), caller=caller.kind)
    store = store_for(settings, invocation)
    RateLimiter(store, settings.rate_limits).check_user_call(invocation)
    resolver = resolver_for(settings, store)
    link = linker_for(settings, store)
    result = handle(
        body,
        caller,
        resolver,
        aws=aws_report_for(settings),
        link=link,
        store=store,
        env=settings.env,
        backfill=lambda: backfill_for(settings, store, continuation=continuation_for(settings, store)),
        advise=lambda: advisor_for(settings, store),
    )
    execution.note(outcome="done" if result.get("done", True) else "partial")
    return execution.respond(result)
