"""carbon-calculator: carbon for activities with the versioned, cited method (see README.md, METHODOLOGY.md).

Runs on ``activities`` row creation (event trigger) and for signed-in users' actions ``calculate``,
``recalculate`` and ``estimate``. The use case is ``ecotrace.services.calculate``; computing and writing carbon,
shared with the webhook, is ``ecotrace.services.carbon``.
"""

from __future__ import annotations

from typing import Any

from ecotrace.entrypoints.http import Invocation, error_response, request_json, settings_from_env, store_for
from ecotrace.errors import EcoTraceError
from ecotrace.services.api_integrations import resolver_for
from ecotrace.services.calculate import CarbonCalculator
from ecotrace.services.carbon import config_from_settings


def main(context: Any) -> Any:
    try:
        invocation = Invocation.from_headers(context.req.headers)
        settings = settings_from_env()
        body = request_json(context)
        store = store_for(settings, invocation)
        calculator = CarbonCalculator(store, resolver_for(settings, store), config=config_from_settings(settings))
        result = calculator.handle(body, invocation)
    except EcoTraceError as exc:
        return error_response(context, exc)
    context.log(f"carbon-calculator {invocation.trigger}: {result.get('status') or result.get('recalculated')}")
    return context.res.json(result)
