"""The carbon method: activity + grid intensity -> energy, carbon range, confidence. Pure.

Two steps so the caller can fetch the grid intensity in between:

    plan = plan_for(activity, config)        # which machine, which region key, what is assumed
    factor = factors.resolve(plan.region)    # the caller's I/O (cached emission factors)
    result = calculate(plan, factor, now)    # the maths, three times: low, central, high

SCI (ISO/IEC 21031:2024): carbon = E x I + M, E in kWh with PUE, I location-based, M embodied carbon
amortised over lifetime and the reserved share of the machine. One activity is one functional unit.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..models import Activity, ActivityType, Confidence, EmissionFactor
from .coefficients import CASES, Case, Methodology, default_methodology
from .energy import BYTES_PER_GB, Energy, Reader, git_energy, is_review, runner_energy
from .fleet import Fleet
from .profiles import Reason, RunnerProfile, profile_for
from .result import SCI_UNITS, CarbonResult, EnergyBreakdown, FactorUsed, calculation_id
from .selfhosted import SelfHostedConfig

MAX_LABELS_KEPT = 20
MAX_REASON_CHARS = 600  # a reason names the inputs it is about (labels, runner group and name, machine)
MAX_REASONS_JSON_CHARS = 4000  # calculations.confidence_reasons holds 4,096 chars of JSON


@dataclass(frozen=True, slots=True)
class CalculationConfig:
    """Deployment-specific choices (from Settings / environment)."""

    default_ci_region: str = "azure:eastus"  # GitHub-hosted runners run in Azure; region unpublished
    default_git_region: str | None = None  # where GitHub's servers are taken to be; None -> default_ci_region
    self_hosted: SelfHostedConfig = field(default_factory=SelfHostedConfig)
    fleet: Fleet | None = None  # the operator's runner fleet file (ECOTRACE_RUNNER_FLEET)
    user_region: str | None = None  # the person's profile location: stands in where the activity reports none


@dataclass(frozen=True, slots=True)
class Plan:
    """What will be computed for one activity, before the grid intensity is known."""

    activity: Activity
    methodology: Methodology
    region: str | None
    profile: RunnerProfile | None
    reasons: tuple[Reason, ...]


# ---- planning ---------------------------------------------------------------------------------------


def reported_duration_s(activity: Activity) -> float | None:
    """The job's duration, or None when unknown (the webhook writes 0 with ``details.duration_known`` false; a
    non-finite value is no measurement either)."""
    if activity.details.get("duration_known") is False:
        return None
    duration_s = activity.duration_s
    return duration_s if duration_s is not None and math.isfinite(duration_s) else None


def _repo_private(activity: Activity) -> bool | None:
    value = activity.details.get("repo_private")
    return value if isinstance(value, bool) else None


def _text(value: object, size: int) -> str | None:
    return value[:size] if isinstance(value, str) and value else None


def plan_for(activity: Activity, config: CalculationConfig | None = None, m: Methodology | None = None) -> Plan:
    config = config or CalculationConfig()
    m = m or default_methodology()
    reasons: list[Reason] = []
    profile: RunnerProfile | None = None
    region: str | None = activity.region

    if not activity.counted:
        return Plan(activity, m, region or config.user_region or config.default_ci_region, None, ())

    if activity.type in (ActivityType.CI_RUN, ActivityType.DEPLOYMENT):
        profile = profile_for(
            activity.runner_labels,
            _repo_private(activity),
            m,
            config.self_hosted,
            runner_group=_text(activity.details.get("runner_group"), 100),
            runner_name=_text(activity.runner_name, 255),
            fleet=config.fleet,
        )
        if not (activity.type == ActivityType.DEPLOYMENT and profile.assumed):
            reasons.extend(profile.reasons)  # (a deployment's assumed machine is covered by its own reason)
        if reported_duration_s(activity) is None:
            default_s = m.v("ci.default_duration_s")
            reasons.append((Confidence.LOW, f"no duration reported: assumed {default_s:g} s"))
        if region is None and (profile.hosting == "github" or profile.region is None):
            region = _profile_location(config, reasons)  # a configured runner region is known: it wins
        if region is None:
            if profile.hosting != "github":
                region = profile.region  # None -> the resolver's world average, low confidence
            else:
                region = config.default_ci_region
                reasons.append(
                    (
                        Confidence.MEDIUM,
                        f"GitHub does not publish where hosted runners run: assumed {region}",
                    )
                )
        if activity.type == ActivityType.DEPLOYMENT:
            if reported_duration_s(activity) is not None and activity.region is not None:
                reasons.append((Confidence.MEDIUM, "deployment: duration and target known, machine size assumed"))
            else:
                reasons.append(
                    (Confidence.LOW, "deployment: estimated from a default duration, runner and artifact size")
                )
    else:
        reasons.append(
            (
                Confidence.MEDIUM,
                "no published measurement of a git push's energy: network, storage and server-side "
                "coefficients are EcoTrace estimates",
            )
        )
        if is_review(activity):
            pass  # a review's estimate is server time alone: no line counts needed
        elif activity.lines_added is None and activity.lines_deleted is None:
            if activity.files_changed is not None:
                what = f"estimated from {activity.files_changed} changed files"
            else:
                what = "assumed (no line or file counts)"
            reasons.append((Confidence.LOW, f"changed lines unknown: {what}"))
        elif activity.lines_estimated:
            reasons.append((Confidence.MEDIUM, "line counts were estimated, not read from the GitHub API"))
        if region is None:
            region = _profile_location(config, reasons)
        if region is None:
            region = config.default_git_region or config.default_ci_region
            reasons.append((Confidence.MEDIUM, f"GitHub's server location assumed: {region}"))
    return Plan(activity, m, region, profile, tuple(reasons))


def _profile_location(config: CalculationConfig, reasons: list[Reason]) -> str | None:
    """The person's profile location where the activity reports none (``users.region``: "preferred
    emission-factor region for work without a known location"), with the reason; None when they set none."""
    if config.user_region:
        reasons.append(
            (Confidence.MEDIUM, f"location not reported: the person's profile location {config.user_region} used")
        )
    return config.user_region


# ---- energy models ----------------------------------------------------------------------------------


def _duration_s(activity: Activity, c: Reader) -> float:
    duration_s = reported_duration_s(activity)
    return duration_s if duration_s is not None else c("ci.default_duration_s")


def _energy(plan: Plan, case: Case, inputs: dict[str, Any] | None) -> Energy:
    activity = plan.activity
    c = Reader(plan.methodology, case, inputs.setdefault("coefficients", {}) if inputs is not None else None)
    if activity.type in (ActivityType.CI_RUN, ActivityType.DEPLOYMENT):
        assert plan.profile is not None
        duration_s = _duration_s(activity, c)
        energy = runner_energy(plan.profile, duration_s, c)
        if inputs is not None:
            inputs.update(duration_s=duration_s, runner=plan.profile.describe())
        if activity.type == ActivityType.DEPLOYMENT:
            artifact = activity.details.get("artifact_bytes")
            if isinstance(artifact, int | float) and not isinstance(artifact, bool) and 0 <= artifact < math.inf:
                artifact_bytes = float(artifact)
            else:
                artifact_bytes = c("deployment.artifact_bytes")
            energy.network_kwh = artifact_bytes / BYTES_PER_GB * c("network.kwh_per_gb")
            if inputs is not None:
                inputs["artifact_bytes"] = artifact_bytes
        return energy
    return git_energy(activity, c, inputs)


# ---- the calculation ------------------------------------------------------------------------------


def _confidence(plan: Plan, factor: EmissionFactor) -> tuple[Confidence, tuple[str, ...]]:
    caps: list[Reason] = list(plan.reasons)
    if factor.confidence != Confidence.HIGH or factor.confidence_reason:
        detail = f" ({factor.confidence_reason})" if factor.confidence_reason else ""
        caps.append((factor.confidence, f"grid intensity: {factor.source} value for {factor.zone}{detail}"))
    if factor.stale:
        caps.append((Confidence.MEDIUM, "grid intensity is stale (the live source was unavailable)"))
    level = Confidence.lowest(*(level for level, _ in caps))
    reasons = tuple(dict.fromkeys(f"{lvl.value}: {text}"[:MAX_REASON_CHARS] for lvl, text in caps))
    while len(json.dumps(list(reasons), ensure_ascii=False)) > MAX_REASONS_JSON_CHARS:
        longest = max(range(len(reasons)), key=lambda i: len(reasons[i]))
        cut = reasons[longest][: max(40, len(reasons[longest]) * 3 // 4)]
        if len(cut) == len(reasons[longest]):  # every reason is already short: drop the last ones
            reasons = reasons[:-1]
            continue
        reasons = (*reasons[:longest], cut, *reasons[longest + 1 :])
    return level, reasons or ("high: every input observed",)


def _inputs_base(activity: Activity, plan: Plan) -> dict[str, Any]:
    return {
        "type": activity.type.value,
        "counted": activity.counted,
        "duration_s": activity.duration_s,
        "runner_labels": [label[:100] for label in activity.runner_labels[:MAX_LABELS_KEPT]],
        "repo_private": _repo_private(activity),
        "files_changed": activity.files_changed,
        "lines_added": activity.lines_added,
        "lines_deleted": activity.lines_deleted,
        "lines_estimated": activity.lines_estimated,
        "region_reported": activity.region,
        "region_used": plan.region,
    }


def calculate(plan: Plan, factor: EmissionFactor, now: datetime) -> CarbonResult:
    """The footprint of ``plan.activity`` with grid intensity ``factor``, timestamped ``now``."""
    activity, m = plan.activity, plan.methodology
    inputs = _inputs_base(activity, plan)
    if not activity.counted:
        zero = Energy()
        totals = dict.fromkeys(CASES, (zero, 0.0))
        level = Confidence.HIGH
        reasons: tuple[str, ...] = ("high: not counted: another activity carries this work's energy",)
        inputs["coefficients"] = {}
    else:
        totals = {}
        grid_key = f"grid.factor_range.{factor.confidence.value}"
        for case in CASES:
            energy = _energy(plan, case, inputs if case == "central" else None)
            grid_g = factor.g_co2e_per_kwh * m.coefficients[grid_key].at(case)
            carbon_kg = energy.total_kwh * grid_g / 1000.0 + energy.embodied_kg
            totals[case] = (energy, carbon_kg)
        inputs["coefficients"][grid_key] = m.coefficients[grid_key].value
        level, reasons = _confidence(plan, factor)
    central, carbon_kg = totals["central"]
    low_kg, high_kg = totals["low"][1], totals["high"][1]
    for value in (carbon_kg, low_kg, high_kg):
        if not math.isfinite(value):
            raise ValueError(f"carbon for activity {activity.id} is not finite")
    return CarbonResult(
        activity_id=activity.id,
        user_id=activity.user_id,
        activity_type=activity.type,
        methodology_version=m.version,
        calculation_id=calculation_id(activity.id, m.version),
        calculated_at=now,
        energy=EnergyBreakdown(
            compute_kwh=central.compute_kwh,
            memory_kwh=central.memory_kwh,
            network_kwh=central.network_kwh,
            storage_kwh=central.storage_kwh,
            embodied_kg=central.embodied_kg,
            pue=central.pue,
        ),
        energy_kwh=central.total_kwh,
        energy_kwh_low=totals["low"][0].total_kwh,
        energy_kwh_high=totals["high"][0].total_kwh,
        emission_factor=FactorUsed.of(factor),
        carbon_kg=carbon_kg,
        carbon_kg_low=low_kg,
        carbon_kg_high=high_kg,
        confidence=level,
        confidence_reasons=reasons,
        sci_functional_unit=SCI_UNITS[activity.type],
        sci_g_per_unit=carbon_kg * 1000.0,
        inputs=inputs,
    )


def estimate(
    activity: Activity, factor: EmissionFactor, now: datetime, config: CalculationConfig | None = None
) -> CarbonResult:
    """``plan_for`` + ``calculate`` when the factor is already known (tests, what-if)."""
    return calculate(plan_for(activity, config), factor, now)
