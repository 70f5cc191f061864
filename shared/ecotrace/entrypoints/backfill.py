"""Composition root of the backfill: the starter and its slices wired as the api-integrations function (and
``scripts/backfill.py``) run them. Constructs clients only; sends nothing.

The slices record through ``WebhookIngest.record`` built as the webhook builds its ingest (carbon at ingest with the
same resolver, method configuration and profile regions), with the commit enricher on the deployment's token.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from ..adapters.appwrite_functions import AsyncExecutions
from ..adapters.github_api import API_URL, GitHubApi, GitHubCommitEnricher, RateGate
from ..adapters.github_rest import GitHubRest
from ..clock import Clock, utc_now
from ..errors import NotConfiguredError
from ..ports import Store
from ..services.api_integrations import SERVICE_TOKEN_HEADER, resolver_for
from ..services.backfill.runner import (
    COMMITS_PER_PAGE,
    RATE_RESERVE,
    SLICE_BUDGET_S,
    SLICE_MAX_CALLS,
    BackfillRunner,
    Continuation,
)
from ..services.backfill.start import BackfillStarter
from ..services.carbon import carbon_for_ingest, config_from_settings
from ..services.ingest import WebhookIngest
from ..services.profile import ProfileRegions
from ..services.signup import whoami
from ..settings import Settings

FUNCTION_ID = "api-integrations"  # the function that hosts the backfill (appwrite.json)
CONTINUE_ACTION = "backfill_continue"


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise NotConfiguredError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise NotConfiguredError(f"{name} must be positive, got {raw!r}")
    return value


def continuation_for(settings: Settings, store: Store, *, clock: Clock = utc_now) -> Continuation | None:
    """The next slice as an async execution of this function, started with this execution's key (None when the
    store is not an Appwrite store, e.g. in scripts: they run the slices themselves)."""
    client = getattr(store, "client", None)
    if client is None:
        return None
    token = settings.env.get("ECOTRACE_SERVICE_TOKEN", "")
    headers = {SERVICE_TOKEN_HEADER: token} if token else {}
    function_id = settings.env.get("ECOTRACE_BACKFILL_FUNCTION_ID") or FUNCTION_ID
    executions = AsyncExecutions(client, function_id, headers=headers, clock=clock)

    def next_slice(backfill_id: str, at: datetime | None) -> bool:
        executions.start({"action": CONTINUE_ACTION, "backfill_id": backfill_id}, at)
        return True

    return next_slice


def backfill_for(
    settings: Settings,
    store: Store,
    *,
    continuation: Continuation | None = None,
    clock: Clock = utc_now,
    gate: RateGate | None = None,
) -> BackfillStarter:
    """The backfill as configured; NotConfiguredError without ``GITHUB_TOKEN`` (the slices read GitHub with it)."""
    token = settings.github_token
    if not token:
        raise NotConfiguredError(
            "the backfill reads GitHub with the deployment's GITHUB_TOKEN (Actions, Contents and Metadata read): "
            "set it on the api-integrations function"
        )
    env = settings.env
    api_url = env.get("GITHUB_API_URL") or API_URL
    api = GitHubApi(token, base_url=api_url, gate=gate)
    rest = GitHubRest(api)
    regions = ProfileRegions(store)  # as the webhook: a person's profile location for work that reports none
    ingest = WebhookIngest(
        store,
        secret=None,
        clock=clock,
        carbon=carbon_for_ingest(
            resolver_for(settings, store), clock, config=config_from_settings(settings), regions=regions
        ),
        enricher=GitHubCommitEnricher(api, max_commits=COMMITS_PER_PAGE, budget_s=8.0),
        known_users=regions,
    )
    runner = BackfillRunner(
        store,
        rest,
        ingest.record,
        clock=clock,
        budget_s=_number(env, "ECOTRACE_BACKFILL_SLICE_S", SLICE_BUDGET_S),
        max_calls=int(_number(env, "ECOTRACE_BACKFILL_SLICE_CALLS", SLICE_MAX_CALLS)),
        reserve=int(_number(env, "ECOTRACE_BACKFILL_RATE_RESERVE", RATE_RESERVE)),
        continuation=continuation,
    )
    return BackfillStarter(
        store,
        rest,
        runner,
        identify=lambda user_token: whoami(user_token, api_url=api_url),
        user_rest=lambda user_token: GitHubRest(GitHubApi(user_token, base_url=api_url, gate=RateGate())),
        clock=clock,
        database_id=settings.database_id,
    )
