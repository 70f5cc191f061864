"""leaderboard-updater: recompute the daily, weekly, monthly and all-time leaderboards.

Runs on its schedule (every 6 hours) or as a direct execution with an API key whose JSON body may name
``{"periods": [...], "now": "<ISO time>"}`` (backfills). Signed-in users may not run it.
"""

from __future__ import annotations

from typing import Any

from ecotrace.entrypoints.http import Invocation, error_response, request_json, settings_from_env, store_for
from ecotrace.errors import EcoTraceError, ForbiddenError
from ecotrace.services.leaderboard import LeaderboardOptions, RunRequest, parse_run_request, update_leaderboards


def main(context: Any) -> Any:
    try:
        invocation = Invocation.from_headers(context.req.headers)
        if invocation.user_id:
            raise ForbiddenError("the leaderboard is recomputed by its schedule or with an API key, not by users")
        request = RunRequest() if invocation.trigger == "schedule" else parse_run_request(request_json(context))
        settings = settings_from_env()
        result = update_leaderboards(
            store_for(settings, invocation), request, options=LeaderboardOptions.from_env(settings.env)
        )
    except EcoTraceError as exc:
        return error_response(context, exc)
    context.log(
        f"leaderboards: {result.activities_read} activities, {result.users_ranked} entries ranked, "
        f"{result.rows_written} written, {result.rows_removed} removed, {result.pending_activities} pending, "
        f"{result.duration_s} s"
    )
    return context.res.json({"ok": True, **result.to_dict()})
