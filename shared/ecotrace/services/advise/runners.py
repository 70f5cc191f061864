"""Runner choice: jobs on runners far larger than their duration profile suggests, and self-hosted work that a
cleaner region (an operator's candidate regions or fleet entries) would do with less carbon.

Every figure is the carbon method's own (``domain.carbon``): the job as it ran, and the same job changed in one
respect (the standard runner's label, or another region), priced with the same grid factors; per month as in
time shifting (x 30 / period days).

- Oversized: a GitHub-hosted job group (same job name and labels, at least :data:`MIN_JOBS` jobs with a known
  duration) whose runner has at least :data:`LARGE_FACTOR` times the vCPUs of the standard runner
  (``ubuntu-latest`` for the repository's visibility) and whose median duration is under :data:`SHORT_JOB_S`:
  such jobs spend their time setting up, not computing. Central saving: the same durations on the standard
  runner; low: durations as much longer as the runner is smaller (a job that used every core); high: the method's
  high case at the same durations. A low below zero means a CPU-bound job could emit more on the smaller runner.
- Regions: for self-hosted job groups, each candidate region with a lower factor than the group's region: the
  regions of the runner fleet file's machines (``ECOTRACE_RUNNER_FLEET``) and ``ECOTRACE_ADVISE_REGIONS``; the
  range is the method's low and high cases of the difference.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ...clock import Clock, utc_now
from ...domain.carbon import CalculationConfig, CarbonResult, calculate, default_methodology, plan_for, profile_for
from ...domain.models import Activity, EmissionFactor
from ..emission_factors import EmissionFactorResolver
from .time_shift import DAYS_PER_MONTH
from .work import RepoWork, ids

MIN_JOBS = 3
LARGE_FACTOR = 2.0
SHORT_JOB_S = 180.0
STANDARD_LABEL = "ubuntu-latest"
REGIONS_SETTING = "ECOTRACE_ADVISE_REGIONS"


def _g(kg: float) -> float:
    return round(kg * 1000.0, 3)


class RunnerAdvisor:
    def __init__(
        self,
        resolver: EmissionFactorResolver,
        config: CalculationConfig | None = None,
        *,
        candidate_regions: Sequence[str] = (),
        clock: Clock = utc_now,
    ) -> None:
        self.resolver = resolver
        self.config = config or CalculationConfig()
        fleet = self.config.fleet
        from_fleet = [m.region for m in fleet.machines.values() if m.region] if fleet is not None else []
        self.candidates = list(dict.fromkeys([*(r for r in candidate_regions if r), *from_fleet]))
        self.fleet_regions = set(from_fleet)
        self.clock = clock
        self._factors: dict[str | None, EmissionFactor] = {}

    def _factor(self, region: str | None) -> EmissionFactor:
        if region not in self._factors:
            self._factors[region] = self.resolver.resolve(region)
        return self._factors[region]

    def _carbon(self, activity: Activity, now: datetime) -> CarbonResult:
        plan = plan_for(activity, self.config)
        return calculate(plan, self._factor(plan.region), now)

    def advise(self, work: RepoWork, days: float) -> dict[str, Any]:
        groups: dict[tuple[str, tuple[str, ...]], list[Activity]] = {}
        for job in work.jobs:
            if job.details.get("duration_known") is False or job.duration_s is None:
                continue
            groups.setdefault((job.title or "job", tuple(job.runner_labels)), []).append(job)
        scale = DAYS_PER_MONTH / max(days, 1e-9)
        now = self.clock()
        oversized: list[dict[str, Any]] = []
        regions: list[dict[str, Any]] = []
        small = 0
        for (name, labels), jobs in sorted(groups.items()):
            if len(jobs) < MIN_JOBS:
                small += 1
                continue
            profile = plan_for(jobs[0], self.config).profile
            if profile is None:
                continue
            if profile.hosting == "github":
                finding = self._oversized(name, labels, jobs, scale, now)
                if finding is not None:
                    oversized.append(finding)
            elif profile.hosting == "self_hosted":
                regions.extend(self._regions(name, labels, jobs, scale, now))
        notes = []
        if small:
            notes.append(f"{small} job groups have fewer than {MIN_JOBS} jobs with a known duration: not judged")
        if not self.candidates:
            notes.append(f"no candidate regions ({REGIONS_SETTING} or the fleet file's machines): none compared")
        notes.append("GitHub-hosted runners' region cannot be chosen: only self-hosted work is compared by region")
        return {
            "oversized_runners": oversized,
            "cleaner_regions": sorted(regions, key=lambda f: -f["saving_g_per_month"]),
            "job_groups": len(groups),
            "notes": notes,
        }

    def _oversized(
        self, name: str, labels: tuple[str, ...], jobs: list[Activity], scale: float, now: datetime
    ) -> dict[str, Any] | None:
        first = plan_for(jobs[0], self.config).profile
        assert first is not None
        private = jobs[0].details.get("repo_private")
        m = default_methodology()
        standard = profile_for([STANDARD_LABEL], private if isinstance(private, bool) else None, m)
        durations = [float(j.duration_s or 0.0) for j in jobs]
        median_s = statistics.median(durations)
        if first.vcpu < LARGE_FACTOR * standard.vcpu or median_s >= SHORT_JOB_S:
            return None
        ratio = first.vcpu / standard.vcpu
        central = low = high = 0.0
        for job in jobs:
            as_ran = self._carbon(job, now)
            smaller = job.model_copy(update={"runner_labels": [STANDARD_LABEL]})
            slower = smaller.model_copy(update={"duration_s": float(job.duration_s or 0.0) * ratio})
            same, longer = self._carbon(smaller, now), self._carbon(slower, now)
            central += as_ran.carbon_kg - same.carbon_kg
            low += as_ran.carbon_kg - longer.carbon_kg
            high += as_ran.carbon_kg_high - same.carbon_kg_high
        return {
            "job": name,
            "runner_labels": list(labels),
            "runner": first.describe(),
            "suggested_runner": {"labels": [STANDARD_LABEL], **standard.describe()},
            "jobs": len(jobs),
            "median_duration_s": round(median_s, 1),
            "saving_g_per_month": _g(central * scale),
            "saving_g_per_month_low": _g(low * scale),
            "saving_g_per_month_high": _g(high * scale),
            "trace": {
                "activity_ids": ids(jobs),
                "methodology_version": m.version,
                "why": (
                    f"{first.vcpu:g} vCPU runner ({ratio:g}x the standard {standard.vcpu:g}) for jobs whose median "
                    f"duration is {median_s:.0f} s (under {SHORT_JOB_S:.0f} s: mostly setup, not computing)"
                ),
            },
        }

    def _regions(
        self, name: str, labels: tuple[str, ...], jobs: list[Activity], scale: float, now: datetime
    ) -> list[dict[str, Any]]:
        here = plan_for(jobs[0], self.config).region
        current = self._factor(here)
        out = []
        for candidate in self.candidates:
            there = self._factor(candidate)
            if there.g_co2e_per_kwh >= current.g_co2e_per_kwh:
                continue
            central = low = high = 0.0
            for job in jobs:
                as_ran, moved = self._carbon(job, now), self._carbon(job.model_copy(update={"region": candidate}), now)
                central += as_ran.carbon_kg - moved.carbon_kg
                low += as_ran.carbon_kg_low - moved.carbon_kg_low
                high += as_ran.carbon_kg_high - moved.carbon_kg_high
            out.append(
                {
                    "job": name,
                    "runner_labels": list(labels),
                    "region": here,
                    "candidate_region": candidate,
                    "candidate_from": "runner fleet file" if candidate in self.fleet_regions else REGIONS_SETTING,
                    "jobs": len(jobs),
                    "saving_g_per_month": _g(central * scale),
                    "saving_g_per_month_low": _g(min(low, high) * scale),
                    "saving_g_per_month_high": _g(max(low, high) * scale),
                    "trace": {
                        "activity_ids": ids(jobs),
                        "factor_now": _factor_json(current),
                        "factor_candidate": _factor_json(there),
                    },
                }
            )
        return out


def _factor_json(factor: EmissionFactor) -> dict[str, Any]:
    return {
        "region": factor.region,
        "zone": factor.zone,
        "g_co2e_per_kwh": round(factor.g_co2e_per_kwh, 4),
        "source": factor.source,
        "confidence": factor.confidence.value,
    }
