"""EcoTrace's carbon method (SCI-aligned), versioned; see METHODOLOGY.md. Pure: no I/O.

Typical use (the service layer does this)::

    plan = plan_for(activity, config)
    result = calculate(plan, factors.resolve(plan.region), now)
    activity = apply_result(activity, result)  # ecotrace.tables stores it: activity columns + calculations row
"""

from __future__ import annotations

from .calculator import CalculationConfig, Plan, calculate, estimate, plan_for
from .coefficients import METHODOLOGY_VERSION, Coefficient, Methodology, default_methodology
from .fleet import Fleet, FleetMachine
from .profiles import RunnerProfile, profile_for
from .result import (
    SCI_UNITS,
    CarbonResult,
    EnergyBreakdown,
    FactorUsed,
    apply_result,
    calculation_id,
)
from .selfhosted import SELF_HOSTED_ENV, SelfHostedConfig

__all__ = [
    "METHODOLOGY_VERSION",
    "SCI_UNITS",
    "SELF_HOSTED_ENV",
    "CalculationConfig",
    "CarbonResult",
    "Coefficient",
    "EnergyBreakdown",
    "FactorUsed",
    "Fleet",
    "FleetMachine",
    "Methodology",
    "Plan",
    "RunnerProfile",
    "SelfHostedConfig",
    "apply_result",
    "calculate",
    "calculation_id",
    "default_methodology",
    "estimate",
    "plan_for",
    "profile_for",
]
