"""Carbon for activities: computed with the versioned method, and written by ONE write shared by the webhook
(carbon at delivery time) and the carbon calculator (the row trigger, user actions, recalculation).

Computing: :func:`factors_for` asks the factor lookup once per distinct region of a batch; :func:`carbon_for_ingest`
is the webhook's carbon step (activities in; activities with carbon and their ``calculations`` rows out).

Writing: :class:`CarbonWrite` turns :class:`CarbonOutcome` s into the writes of one transaction: the
``calculations`` upserts (one bulk upsert; the row id comes from activity id + method version, so a
recalculation replaces the row), the carbon columns of activity rows that already exist (a new row is created
with them), and each owner's ``user_stats`` change (new carbon - the carbon it replaces). The change of each
existing row (:meth:`CarbonWrite.changes`) is what the rollup writer (``services.rollups``) counts in the same
transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ..adapters.fleet_file import FLEET_ENV, load_fleet
from ..clock import Clock, utc_now
from ..domain.carbon import CalculationConfig, CarbonResult, SelfHostedConfig, apply_result, calculate, plan_for
from ..domain.models import Activity, EmissionFactor
from ..domain.stats import StatsChange
from ..errors import NotConfiguredError
from ..ports import BulkUpsert, Row, Update, Write
from ..settings import Settings
from ..tables import activities, calculations, user_stats

LIVE_BUDGET_S = 10.0  # at most this long per batch waiting on the live grid-intensity source

# The webhook's carbon step: the activities with carbon filled and, in the same order, their ``calculations``
# rows (``tables.calculations.to_row``: with ``$id``, without ``$permissions``).
IngestCarbon = Callable[[Sequence[Activity]], tuple[list[Activity], list[Row]]]


class FactorLookup(Protocol):
    """Anything that turns a region key into a grid intensity and never raises for a string or None
    (``ecotrace.services.emission_factors.EmissionFactorResolver``). A lookup that also has
    ``resolve_many(regions, *, live_budget_s)`` (the resolver does) is asked once per batch, with a time budget."""

    def resolve(self, region: str | None) -> EmissionFactor: ...


class RegionLookup(Protocol):
    """A person's profile location as a region key, or None (``ecotrace.services.profile.ProfileRegions``)."""

    def region_of(self, user_id: str) -> str | None: ...


def config_for(config: CalculationConfig | None, user_id: str, regions: RegionLookup | None) -> CalculationConfig:
    """The method's configuration for one person's activity: their profile location, when they set one, stands
    in for a location the activity does not report (the calculation's reasons and inputs say so)."""
    config = config or CalculationConfig()
    region = regions.region_of(user_id) if regions is not None else None
    return dataclasses.replace(config, user_region=region) if region else config


def factors_for(
    factors: FactorLookup, regions: Sequence[str | None], live_budget_s: float = LIVE_BUDGET_S
) -> dict[str | None, EmissionFactor]:
    """One factor per distinct region: a batch asks a slow or failing live source once per region, not once per
    activity, and for at most ``live_budget_s`` in all when the lookup supports a budget."""
    unique = list(dict.fromkeys(regions))
    many = getattr(factors, "resolve_many", None)
    if callable(many):
        found = list(many(unique, live_budget_s=max(0.0, live_budget_s)))
        if len(found) == len(unique) and all(isinstance(f, EmissionFactor) for f in found):
            return dict(zip(unique, found, strict=True))
    return {region: factors.resolve(region) for region in unique}


def config_from_settings(settings: Settings) -> CalculationConfig:
    """The method's deployment choices from the environment (a malformed value names its variable)."""
    try:
        self_hosted = SelfHostedConfig.from_env(settings.env)
        fleet = load_fleet(settings.env.get(FLEET_ENV))
    except ValueError as exc:
        raise NotConfiguredError(str(exc)) from exc
    return CalculationConfig(
        default_ci_region=settings.default_ci_region,
        default_git_region=settings.env.get("ECOTRACE_DEFAULT_GIT_REGION") or None,
        self_hosted=self_hosted,
        fleet=fleet,
    )


def calculate_activity(
    activity: Activity, factors: FactorLookup, now: datetime, config: CalculationConfig | None = None
) -> CarbonResult:
    plan = plan_for(activity, config)
    return calculate(plan, factors.resolve(plan.region), now)


def carbon_for_ingest(
    factors: FactorLookup,
    clock: Clock = utc_now,
    config: CalculationConfig | None = None,
    regions: RegionLookup | None = None,
) -> IngestCarbon:
    """For the webhook: returns the activities with carbon filled and their ``calculations`` rows (each with
    ``$id``; the write adds ``$permissions``) to write in the delivery's transaction."""

    def run(batch: Sequence[Activity]) -> tuple[list[Activity], list[Row]]:
        now = clock()
        plans = [plan_for(activity, config_for(config, activity.user_id, regions)) for activity in batch]
        found = factors_for(factors, [plan.region for plan in plans])
        filled: list[Activity] = []
        rows: list[Row] = []
        for plan in plans:
            result = calculate(plan, found[plan.region], now)
            filled.append(apply_result(plan.activity, result))
            rows.append(calculations.to_row(result))
        return filled, rows

    return run


@dataclass(frozen=True)
class CarbonOutcome:
    """One activity's carbon, ready to be written."""

    activity: Activity  # with its result applied (carbon_kg ... calculated_at)
    calculation: Row  # its ``calculations`` row (tables.calculations.to_row), without permissions
    permissions: tuple[str, ...] = ()  # the activity row's; the calculations row gets the same
    stored: Activity | None = None  # the activity as its row holds it now; None: the row is created with this

    @classmethod
    def recalculated(cls, stored: Activity, result: CarbonResult, permissions: Iterable[str]) -> CarbonOutcome:
        """A new result for an activity whose row exists."""
        return cls(apply_result(stored, result), calculations.to_row(result), tuple(permissions), stored)


@dataclass
class CarbonWrite:
    """The one write of carbon results. ``stats`` may already hold other changes to the same users' totals (the
    webhook's counts): the carbon changes are added to them, and each user's row gets one set of writes."""

    outcomes: Sequence[CarbonOutcome]
    stats: dict[str, StatsChange] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for outcome in self.outcomes:
            activity = outcome.activity
            change = self.stats.setdefault(activity.user_id, StatsChange(activity.github_login))
            change.add_carbon(activity.carbon_kg, outcome.stored.carbon_kg if outcome.stored else None)

    def users_changed(self) -> list[str]:
        """Users whose totals this write changes: their ``user_stats`` rows are what :meth:`writes` needs."""
        return [user_id for user_id, change in self.stats.items() if change.nonzero()]

    def changes(self) -> list[tuple[Activity, Activity]]:
        """The rows this write changes, as stored and as written (new rows are counted by their creator)."""
        out: list[tuple[Activity, Activity]] = []
        for outcome in self.outcomes:
            if outcome.stored is not None:
                out.append((outcome.stored, outcome.activity))
        return out

    def carbon_writes(self) -> list[Write]:
        """The calculations rows and the carbon columns of existing activity rows (not the totals)."""
        out: list[Write] = []
        rows = [calculations.with_permissions(o.calculation, o.permissions) for o in self.outcomes]
        if rows:
            out.append(BulkUpsert(calculations.NAME, tuple(rows)))
        for outcome in self.outcomes:
            if outcome.stored is not None:
                out.append(Update(activities.NAME, outcome.activity.id, activities.carbon_columns(outcome.activity)))
        return out

    def writes(
        self,
        stats_rows: Mapping[str, Row | None],
        *,
        create_stats: bool,
        stats_permissions: Mapping[str, Sequence[str]] | None = None,
    ) -> list[Write]:
        """The writes, in order: calculations, activity carbon columns, user_stats. A user without a row in
        ``stats_rows`` gets one created (with ``stats_permissions``) when ``create_stats``, else nothing."""
        out = self.carbon_writes()
        perms = stats_permissions or {}
        for user_id, change in self.stats.items():
            row = stats_rows.get(user_id)
            out.extend(user_stats.writes(user_id, change, row, perms.get(user_id, ()), create=create_stats))
        return out
