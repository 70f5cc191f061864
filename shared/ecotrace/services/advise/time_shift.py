"""Time shifting for scheduled workflows: the UTC hour whose grid was cleanest in the zone where their jobs run,
and what moving them there would save a month, from the intensity history EcoTrace keeps.

For each scheduled workflow: its hour is the UTC hour most of its runs started in; its zone is the Electricity
Maps zone of its jobs' region (the carbon method's region: the job's own, or the default CI region for
GitHub-hosted runners); its energy a month is the energy of its counted work in the period x 30 / days. The hour
profile and the saving with its range are ``ecotrace.domain.intensity``'s. When the zone's history is too thin
and an Electricity Maps key is configured, the last 24 hours are fetched once and the profile is built again;
still too thin, the answer says so and what is missing.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from ...domain.carbon import CalculationConfig, plan_for
from ...domain.intensity import IntensityPoint, NotEnough, Profile, Shift, best_shift, busiest_hour, profile
from ..emission_factors import EmissionFactorResolver
from ..emission_factors.history import IntensityHistory
from .work import RepoWork, Workflow, ids

MIN_SAMPLES_PER_HOUR = 3  # days an hour must have been observed on
MIN_HOURS_COVERED = 12  # of 24, to choose among
DAYS_PER_MONTH = 30.0

ASSUMPTIONS = (
    "the jobs use the same energy at another hour (only the grid's intensity changes; embodied emissions do not)",
    "a month is 30 days: energy a month = the counted work's energy in the period x 30 / period days",
    "an hour's intensity is the mean of the days it was observed on; the range pairs the current hour's cleanest "
    "observed day with the recommended hour's dirtiest (low) and the reverse (high)",
    "the zone is that of the jobs' region in the carbon method (GitHub-hosted runners: the default CI region, "
    "ECOTRACE_DEFAULT_CI_REGION, as GitHub does not publish where they run)",
    "location-based lifecycle intensities from Electricity Maps (live values kept hourly, and its 24-hour history)",
)


def _g(value: float) -> float:
    return round(value, 3)


class TimeShiftAdvisor:
    def __init__(
        self, resolver: EmissionFactorResolver, history: IntensityHistory, config: CalculationConfig | None = None
    ) -> None:
        self.resolver = resolver
        self.history = history
        self.config = config or CalculationConfig()
        self._fetched: set[str] = set()

    def advise(self, work: RepoWork, since: datetime, until: datetime) -> dict[str, Any]:
        workflows, unknown = work.scheduled()
        if not workflows:
            return {
                "status": "nothing_scheduled",
                "reason": "no run of this repository in the period was started by a schedule (workflow_run.event)",
                "jobs_of_runs_with_unknown_trigger": unknown,
            }
        days = max((until - since).total_seconds() / 86400.0, 1e-9)
        return {
            "status": "advice",
            "workflows": [self._workflow(flow, since, until, days) for flow in workflows],
            "jobs_of_runs_with_unknown_trigger": unknown,
            "assumptions": list(ASSUMPTIONS),
        }

    def _workflow(self, flow: Workflow, since: datetime, until: datetime, days: float) -> dict[str, Any]:
        base: dict[str, Any] = {"workflow": flow.name, "workflow_key": flow.key}
        if not flow.work:
            return {**base, "status": "not_enough_data", "reason": "its runs carry no counted jobs in the period"}
        regions = Counter(plan_for(a, self.config).region for a in flow.work)
        region = regions.most_common(1)[0][0]
        zone = self.resolver.live_zone(region)
        hour = busiest_hour(flow.starts)
        energy_month = flow.energy_kwh * DAYS_PER_MONTH / days
        base.update(region=region, zone=zone, current_hour_utc=hour)
        trace: dict[str, Any] = {
            "runs": len(flow.runs),
            "work_rows": len(flow.work),
            "activity_ids": ids(flow.work),
            "run_ids": ids(flow.runs),
            "energy_kwh_in_period": round(flow.energy_kwh, 9),
            "rows_without_energy": flow.without_energy,
            "period_days": round(days, 3),
            "regions": dict(regions),
        }
        if zone is None:
            reason = f"region {region} is no Electricity Maps zone: EcoTrace keeps no hourly intensity for it"
            return {**base, "status": "not_enough_data", "reason": reason, "trace": trace}
        points, prof, shift = self._shift(zone, hour, energy_month, since, until)
        trace["intensities"] = _intensities(prof, points)
        if isinstance(shift, NotEnough):
            have = {"hours_covered": shift.hours_covered, "current_hour_days": shift.current_samples}
            need = {"hours_covered": MIN_HOURS_COVERED, "days_per_hour": MIN_SAMPLES_PER_HOUR}
            return {
                **base,
                "status": "not_enough_data",
                "reason": shift.reason,
                "have": have,
                "need": need,
                "trace": trace,
            }
        trace["intensities"].update(current=shift.current.as_dict(), recommended=shift.best.as_dict())
        result = {
            **base,
            "status": "already_cleanest" if shift.best.hour == hour else "advice",
            "recommended_hour_utc": shift.best.hour,
            "energy_kwh_per_month": round(energy_month, 9),
            "saving_g_per_month": _g(shift.saving_g),
            "saving_g_per_month_low": _g(shift.saving_g_low),
            "saving_g_per_month_high": _g(shift.saving_g_high),
            "trace": trace,
        }
        return result

    def _shift(
        self, zone: str, hour: int, energy_month: float, since: datetime, until: datetime
    ) -> tuple[list[IntensityPoint], Profile, Shift | NotEnough]:
        points = self.history.points(zone, since, until)
        prof = profile(zone, points)
        shift = best_shift(prof, hour, energy_month, min_samples=MIN_SAMPLES_PER_HOUR, min_hours=MIN_HOURS_COVERED)
        if isinstance(shift, NotEnough) and self.history.live is not None and zone not in self._fetched:
            self._fetched.add(zone)  # once per request and zone: the endpoint gives the last 24 hours
            if self.history.fetch_day(zone):
                points = self.history.points(zone, since, until + timedelta(hours=1))
                prof = profile(zone, points)
                shift = best_shift(
                    prof, hour, energy_month, min_samples=MIN_SAMPLES_PER_HOUR, min_hours=MIN_HOURS_COVERED
                )
        return points, prof, shift


def _intensities(prof: Profile, points: list[IntensityPoint]) -> dict[str, Any]:
    return {
        "zone": prof.zone,
        "points": prof.points,
        "from": prof.first.isoformat() if prof.first else None,
        "to": prof.last.isoformat() if prof.last else None,
        "sources": dict(Counter(point.source.value for point in points)),
        "estimated_points": sum(1 for point in points if point.is_estimated),
        "profile": [stats.as_dict() for stats in prof.hours],
    }
