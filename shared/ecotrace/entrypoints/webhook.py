"""Composition root of the webhook: the ingest service wired as the function runs it.

Used by the function's ``main``, ``scripts/replay_deliveries.py`` and the benchmarks, so a replayed delivery goes
through exactly what a live one does (carbon at ingest, line-count enrichment when a GitHub token is set, the
pull-request summary when it is turned on). Constructs clients only; sends nothing.
"""

from __future__ import annotations

import logging

import httpx

from ..adapters.github_api import API_URL, GitHubApi, enricher_from_token
from ..adapters.github_rest import GitHubRest
from ..clock import Clock, utc_now
from ..ports import Store
from ..services.api_integrations import resolver_for
from ..services.carbon import carbon_for_ingest, config_from_settings
from ..services.ingest import WebhookIngest
from ..services.pr_summary.poster import MODES, PrSummaries
from ..services.profile import ProfileRegions
from ..services.rate_limits import RateLimiter
from ..settings import Settings

log = logging.getLogger(__name__)

SUMMARY_VARIABLE = "ECOTRACE_PR_SUMMARY"  # off (default) | status | comment
METHOD_URL_VARIABLE = "ECOTRACE_METHOD_URL"  # the link to the method every summary carries
SUMMARY_TIMEOUT = httpx.Timeout(3.0, connect=2.0)


def pr_summary_for(settings: Settings, store: Store, *, clock: Clock = utc_now) -> PrSummaries | None:
    """The pull-request summary hook when ``ECOTRACE_PR_SUMMARY`` turns it on and a token and the method's link are
    set; None otherwise (a missing setting is logged: it never stops deliveries)."""
    env = settings.env
    mode = (env.get(SUMMARY_VARIABLE) or "off").strip().lower()
    if mode == "off":
        return None
    method_url = (env.get(METHOD_URL_VARIABLE) or "").strip()
    problem = None
    if mode not in MODES:
        problem = f"{SUMMARY_VARIABLE} must be off, status or comment, not {mode!r}"
    elif not settings.github_token:
        problem = f"{SUMMARY_VARIABLE}={mode} needs GITHUB_TOKEN (commit statuses or pull requests: write)"
    elif not method_url.startswith(("https://", "http://")):
        problem = f"{SUMMARY_VARIABLE}={mode} needs {METHOD_URL_VARIABLE}: the link to the method every summary carries"
    if problem is not None or settings.github_token is None:
        log.warning("pull-request summaries are off: %s", problem)
        return None
    api = GitHubApi(settings.github_token, base_url=env.get("GITHUB_API_URL") or API_URL, timeout=SUMMARY_TIMEOUT)
    return PrSummaries(store, GitHubRest(api, attempts=1), mode=mode, method_url=method_url, clock=clock)


def ingest_for(
    settings: Settings, store: Store, *, clock: Clock = utc_now, rate_limited: bool = False
) -> WebhookIngest:
    """``rate_limited``: count each delivery against its hook's budget (the function does; replays do not)."""
    if settings.webhook_secret_previous_ignored:
        log.warning("secret rotation: %s", settings.webhook_secret_previous_ignored)
    regions = ProfileRegions(store)  # the sender's users row, read once by the ingest, gives their location
    return WebhookIngest(
        store,
        secret=settings.webhook_secrets,
        limiter=RateLimiter(store, settings.rate_limits, clock=clock) if rate_limited else None,
        allow_unsigned=settings.allow_unsigned_webhooks,
        clock=clock,
        carbon=carbon_for_ingest(
            resolver_for(settings, store), clock, config=config_from_settings(settings), regions=regions
        ),
        enricher=enricher_from_token(settings.github_token),
        known_users=regions,
        after_commit=pr_summary_for(settings, store, clock=clock),
    )
