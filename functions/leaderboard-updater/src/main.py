"""leaderboard-updater: rank the daily, weekly, monthly and all-time leaderboards from the rollups.

Runs on its schedule (every 5 minutes) or as a direct execution with an API key whose JSON body may name
``{"periods": [...], "now": "<ISO time>"}`` (backfills) or ``{"action": "reconcile", "period": ...}`` (rebuild a
period's rollups from activities, in resumable slices). Signed-in users may not run it.
"""

from __future__ import annotations

from typing import Any

from ecotrace.clock import utc_now
from ecotrace.entrypoints.http import request_json, settings_from_env, store_for
from ecotrace.entrypoints.observe import Execution, observed
from ecotrace.errors import ForbiddenError
from ecotrace.services.leaderboard import LeaderboardOptions, RunRequest, parse_run_request, update_leaderboards
from ecotrace.services.reconcile import parse_reconcile_request, reconcile


def main(context: Any) -> Any:
    return observed(context, "leaderboard-updater", run)


def run(execution: Execution) -> Any:
    invocation = execution.invocation
    execution.note(caller="user" if invocation.user_id else invocation.trigger)
    if invocation.user_id:
        raise ForbiddenError("the leaderboard is recomputed by its schedule or with an API key, not by users")
    body = {} if invocation.trigger == "schedule" else request_json(execution.context)
    settings = settings_from_env()
    store = store_for(settings, invocation)
    if body.get("action") == "reconcile":
        report = reconcile(store, parse_reconcile_request(body, utc_now()))
        execution.note(outcome="reconciled", differences=report.differences_found, corrected=report.rows_corrected)
        return execution.respond(report.to_dict())
    request = RunRequest() if invocation.trigger == "schedule" else parse_run_request(body)
    result = update_leaderboards(store, request, options=LeaderboardOptions.from_env(settings.env))
    execution.note(
        outcome="updated",
        rollup_rows_read=result.rollup_rows_read,
        rows_written=result.rows_written,
        rows_removed=result.rows_removed,
        pending_folded=result.pending_folded,
        feed_purged=result.feed_purged,
    )
    return execution.respond({"ok": True, **result.to_dict()})
