"""carbon-calculator: carbon for activities with the versioned, cited method (see README.md, METHODOLOGY.md).

Runs on its schedule (every 10 minutes: the sweep completes activities left without carbon and folds pending
rollup deltas) and for signed-in users' actions ``calculate``, ``recalculate`` and ``estimate``.
The use case is ``ecotrace.services.calculate``; computing and writing carbon, shared with the webhook, is
``ecotrace.services.carbon``.
"""

from __future__ import annotations

from typing import Any

from ecotrace.entrypoints.http import request_json, settings_from_env, store_for
from ecotrace.entrypoints.observe import Execution, observed
from ecotrace.services.api_integrations import resolver_for
from ecotrace.services.calculate import CarbonCalculator
from ecotrace.services.carbon import config_from_settings
from ecotrace.services.profile import ProfileRegions
from ecotrace.services.rate_limits import RateLimiter


def main(context: Any) -> Any:
    return observed(context, "carbon-calculator", run)


def run(execution: Execution) -> Any:
    invocation = execution.invocation
    settings = settings_from_env()
    body = request_json(execution.context)
    execution.note(action=body.get("action"), caller="user" if invocation.user_id else invocation.trigger)
    store = store_for(settings, invocation)
    RateLimiter(store, settings.rate_limits).check_user_call(invocation)
    config = config_from_settings(settings)
    calculator = CarbonCalculator(store, resolver_for(settings, store), config=config, regions=ProfileRegions(store))
    result = calculator.handle(body, invocation)
    execution.note(outcome=result.get("status") or result.get("recalculated"))
    return execution.respond(result)
