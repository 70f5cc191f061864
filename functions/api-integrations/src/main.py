"""api-integrations: emission factors from live, regional and offline sources, with fallbacks that never fail.

Actions and callers: see ecotrace.services.api_integrations and this function's README.
"""

from __future__ import annotations

from typing import Any

from ecotrace.entrypoints.http import Invocation, error_response, request_json, settings_from_env, store_for
from ecotrace.errors import EcoTraceError
from ecotrace.services.api_integrations import aws_report_for, handle, identify_caller, resolver_for
from ecotrace.services.signup import linker_for


def main(context: Any) -> Any:
    try:
        invocation = Invocation.from_headers(context.req.headers)
        settings = settings_from_env()
        caller = identify_caller(invocation, context.req.headers, settings)
        body = request_json(context, max_bytes=64 * 1024)
        store = store_for(settings, invocation)
        resolver = resolver_for(settings, store)
        result = handle(body, caller, resolver, aws=aws_report_for(settings), link=linker_for(settings, store))
    except EcoTraceError as exc:
        return error_response(context, exc)
    return context.res.json(result)
