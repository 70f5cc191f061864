"""Composition root of the webhook: the ingest service wired as the function runs it.

Used by the function's ``main``, ``scripts/replay_deliveries.py`` and the benchmarks, so a replayed delivery goes
through exactly what a live one does (carbon at ingest, line-count enrichment when a GitHub token is set).
Constructs clients only; sends nothing.
"""

from __future__ import annotations

import logging

from ..adapters.github_api import enricher_from_token
from ..clock import Clock, utc_now
from ..ports import Store
from ..services.api_integrations import resolver_for
from ..services.carbon import carbon_for_ingest, config_from_settings
from ..services.ingest import WebhookIngest
from ..services.profile import ProfileRegions
from ..services.rate_limits import RateLimiter
from ..settings import Settings

log = logging.getLogger(__name__)


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
    )
