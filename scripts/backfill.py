"""Backfill the last N days of repositories or an organisation, as an operator, from this machine.

The same backfill the api-integrations function runs (``ecotrace.entrypoints.backfill``): workflow runs, their
jobs and the default branch's commits, through the webhook's extraction and carbon path, so what the webhook
delivers later is not counted again. The slices run here, one after another, until it is done; a rate limit is
waited out (``--no-wait``: stop instead, and run the script again later: it continues where it stopped, as does
the function's hourly schedule).

    GITHUB_TOKEN=... .venv/bin/python scripts/backfill.py --repo OWNER/NAME [--repo ...] [--days 90]
    GITHUB_TOKEN=... .venv/bin/python scripts/backfill.py --org OWNER [--no-commits]

Connection: ``APPWRITE_ENDPOINT`` (default ``http://127.0.0.1:${ECOTRACE_PORT:-8787}/v1``), ``APPWRITE_PROJECT_ID``
(default ``ecotrace``), ``APPWRITE_API_KEY`` (default ``ECOTRACE_LOCAL_API_KEY`` or the local stack's key) with
``rows.read`` and ``rows.write``. ``GITHUB_TOKEN`` must read the repositories (fine-grained: Actions, Contents and
Metadata read); ``GITHUB_API_URL`` for GitHub Enterprise Server.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from ecotrace.clock import parse_iso
from ecotrace.entrypoints.backfill import backfill_for
from ecotrace.entrypoints.operator import script_settings, script_store
from ecotrace.errors import EcoTraceError
from ecotrace.services.backfill.start import BackfillStarter, Requester
from ecotrace.tables import backfills

MAX_WAIT_S = 3700.0  # a rate limit resets within the hour


def progress_line(backfill: Mapping[str, Any]) -> str:
    return (
        f"{backfill['status']:<8} repositories {backfill['repos_done']}/{backfill['repos_total']}"
        f" (failed {backfill['repos_failed']}), jobs {backfill['jobs_imported']}, runs {backfill['runs_imported']},"
        f" commits {backfill['commits_imported']}, requests {backfill['api_calls']}, eta {backfill['eta_at'] or '-'}"
        f": {backfill['message']}"
    )


def run(
    starter: BackfillStarter,
    request: dict[str, Any],
    *,
    wait: bool = True,
    sleep: Callable[[float], None] = time.sleep,
    out: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Start (or find) the backfill and run its slices here until it is done; its last state."""
    answer = starter.start(request, Requester("operator"))
    backfill: dict[str, Any] = answer["backfill"]
    out(f"backfill {backfill['id']} ({backfill['target']}, {backfill['days']} days)")
    out(progress_line(backfill))
    while backfill["status"] not in ("done", "failed"):
        if backfill["status"] == "waiting" and backfill["next_at"]:
            pause = (parse_iso(backfill["next_at"]) - datetime.now(UTC)).total_seconds()
            if pause > 0 and not wait:
                out(f"stopped: run this again after {backfill['next_at']} to continue")
                return backfill
            sleep(min(max(pause, 0.0), MAX_WAIT_S))
        report = starter.resume(backfill["id"])
        if report.backfill is None:
            raise EcoTraceError(f"backfill {backfill['id']} cannot be read ({report.outcome})")
        if report.outcome == "busy":
            out("another execution holds this backfill; waiting for it")
            sleep(5.0)
        backfill = backfills.public(report.backfill)
        out(progress_line(backfill))
    for repo in backfill["repos"]:
        if repo.get("error"):
            out(f"  {repo['repo']}: {repo['status']}: {repo['error'].get('message')}")
    return backfill


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Backfill past GitHub activity into EcoTrace.")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--repo", action="append", help="OWNER/NAME (repeat for several)")
    target.add_argument("--org", help="every repository of an organisation (at most 300)")
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--no-commits", action="store_true", help="runs and jobs only")
    parser.add_argument("--no-wait", action="store_true", help="stop at a rate limit instead of waiting")
    args = parser.parse_args(argv)
    env = dict(os.environ if env is None else env)
    try:
        settings = script_settings(env)
        store = script_store(settings, env)
        request: dict[str, Any] = {"action": "backfill", "days": args.days, "include_commits": not args.no_commits}
        request.update({"organization": args.org} if args.org else {"repositories": args.repo})
        last = run(backfill_for(settings, store), request, wait=not args.no_wait)
    except EcoTraceError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return 2
    return 0 if last["status"] in ("done", "waiting") else 1


if __name__ == "__main__":
    sys.exit(main())
