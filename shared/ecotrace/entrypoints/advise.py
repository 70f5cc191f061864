"""Composition root of the ``advise`` action (api-integrations): the advisor on this execution's store, with the
shared resolver (and its Electricity Maps client, for the history endpoint) and the method's configuration."""

from __future__ import annotations

from ..clock import Clock, utc_now
from ..ports import Store
from ..services.advise.runners import REGIONS_SETTING
from ..services.advise.service import Advisor
from ..services.api_integrations import resolver_for
from ..services.carbon import config_from_settings
from ..services.emission_factors.history import IntensityHistory
from ..settings import Settings


def advisor_for(settings: Settings, store: Store, *, clock: Clock = utc_now) -> Advisor:
    resolver = resolver_for(settings, store)
    history = IntensityHistory(store, resolver.store_breaker, live=resolver.live, clock=clock)
    regions = [r.strip() for r in settings.env.get(REGIONS_SETTING, "").split(",") if r.strip()]
    config = config_from_settings(settings)
    return Advisor(store, resolver, history, config=config, candidate_regions=regions, clock=clock)
