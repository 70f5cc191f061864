"""leaderboard-updater: recompute the daily, weekly, monthly and all-time leaderboards.

Runs on its schedule (every 6 hours) or as a direct execution with an API key whose JSON body may name
``{"periods": [...], "now": "<ISO time>"}`` (backfills). Signed-in users may not run it.
"""

from __future__ import annotations

from typing import Any

from ecotrace.entrypoints.http import request_json, settings_from_env, store_for
from ecotrace.entrypoints.observe import Execution, observed
from ecotrace.errors import ForbiddenError
from ecotrace.services.leaderboard import LeaderboardOptions, RunRequest, parse_run_request, update_leaderboards


def main(context: Any) -> Any:
    return observed(context, "leaderboard-updater", run)


def run(execution: Execution) -> Any:
    invocation = execution.invocation
    execution.note(caller="user" if invocation.user_id else invocation.trigger)
    if invocation.user_id:
        raise ForbiddenError("the leaderboard is recomputed by its schedule or with an API key, not by users")
    request = RunRequest() if invocation.trigger == "schedule" else parse_run_request(request_json(execution.context))
    settings = settings_from_env()
    result = update_leaderboards(
        store_for(settings, invocation), request, options=LeaderboardOptions.from_env(settings.env)
    )
    execution.note(
        outcome="updated",
        activities_read=result.activities_read,
        rows_written=result.rows_written,
        rows_removed=result.rows_removed,
        pending_activities=result.pending_activities,
    )
    return execution.respond({"ok": True, **result.to_dict()})
