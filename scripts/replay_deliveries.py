"""Replay kept GitHub deliveries, or ask GitHub to redeliver failed ones.

Kept deliveries (the body is in ``webhook_deliveries``; status ``failed``, or ``received`` by an attempt that
died) go through the same ingest service as a live delivery, so the result is what one undisturbed delivery
would have left: nothing is counted twice.

    .venv/bin/python scripts/replay_deliveries.py [--limit 200] [--dry-run]

Connection: ``APPWRITE_ENDPOINT`` (default ``http://127.0.0.1:${ECOTRACE_PORT:-8787}/v1``), ``APPWRITE_PROJECT_ID``
(default ``ecotrace``), ``APPWRITE_API_KEY`` (default ``ECOTRACE_LOCAL_API_KEY`` or the local stack's key) with
``rows.read`` and ``rows.write``; ``GITHUB_WEBHOOK_SECRET`` must be the secret the deliveries were signed with.

Deliveries GitHub could not hand over at all (Appwrite down before the body was kept) are still on GitHub for
3 days: with a token that may administer the repository's hooks,

    GITHUB_TOKEN=... .venv/bin/python scripts/replay_deliveries.py --github --repo OWNER/NAME --hook-id 123

lists the hook's deliveries (``GET /repos/{owner}/{repo}/hooks/{hook_id}/deliveries``) and asks GitHub to
redeliver each one that never got a 2xx (``POST .../deliveries/{delivery_id}/attempts``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping

from ecotrace.adapters.github_api import GitHubApi, failed_deliveries
from ecotrace.entrypoints.operator import script_settings, script_store
from ecotrace.entrypoints.webhook import ingest_for
from ecotrace.errors import EcoTraceError
from ecotrace.ports import Row, Store
from ecotrace.services.ingest import DeliveryLedger, WebhookIngest
from ecotrace.settings import Settings


def settings_from(env: Mapping[str, str]) -> Settings:
    return script_settings(env)


def kept_deliveries(store: Store, limit: int) -> list[Row]:
    """Failed or unfinished deliveries, oldest first (index idx_status_time)."""
    return DeliveryLedger(store).kept(limit)


def replay_kept(ingest: WebhookIngest, rows: list[Row], *, dry_run: bool = False) -> int:
    """Replay each row; returns how many could not be replayed now."""
    failures = 0
    for row in rows:
        label = f"{row.get('delivery_id')} ({row.get('event')}, {row.get('status')}, attempts {row.get('attempts')})"
        if dry_run:
            print(f"would replay {label}")
            continue
        try:
            result = ingest.replay(row)
        except EcoTraceError as exc:
            failures += 1
            print(f"FAILED  {label}: {exc.status} {exc.code}: {exc.message}")
            continue
        body = result.body
        print(
            f"{result.status} {body.get('status'):<11} {label}: created {body.get('created', 0)}, "
            f"already recorded {body.get('already_recorded', body.get('activity_count', 0))}"
        )
        if result.body.get("status") == "in_progress":
            failures += 1
    return failures


def redeliver_from_github(api: GitHubApi, repo: str, hook_id: int, *, dry_run: bool = False) -> int:
    todo = failed_deliveries(api.list_deliveries(repo, hook_id))
    print(f"{len(todo)} deliveries of hook {hook_id} never got a 2xx")
    failures = 0
    for item in todo:
        label = f"{item.get('guid')} ({item.get('event')}, last answer {item.get('status_code')})"
        if dry_run:
            print(f"would redeliver {label}")
            continue
        try:
            api.redeliver(repo, hook_id, int(item["id"]))
            print(f"redelivery requested: {label}")
        except EcoTraceError as exc:
            failures += 1
            print(f"FAILED  {label}: {exc.message}")
    return failures


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Replay kept GitHub deliveries or ask GitHub to redeliver.")
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--github", action="store_true", help="ask GitHub to redeliver failed deliveries")
    parser.add_argument("--repo", help="OWNER/NAME of the repository whose hook it is (with --github)")
    parser.add_argument("--hook-id", type=int, help="the webhook's id (with --github)")
    args = parser.parse_args(argv)
    env = dict(os.environ if env is None else env)
    try:
        settings = settings_from(env)
        if args.github:
            if not (settings.github_token and args.repo and args.hook_id):
                parser.error("--github needs GITHUB_TOKEN, --repo and --hook-id")
            api = GitHubApi(settings.github_token, base_url=env.get("GITHUB_API_URL", "https://api.github.com"))
            return 1 if redeliver_from_github(api, args.repo, args.hook_id, dry_run=args.dry_run) else 0
        store = script_store(settings, env)
        rows = kept_deliveries(store, args.limit)
        print(f"{len(rows)} kept deliveries to replay")
        return 1 if replay_kept(ingest_for(settings, store), rows, dry_run=args.dry_run) else 0
    except EcoTraceError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
