"""The single self-hosted runner profile from ``ECOTRACE_SELF_HOSTED_*``: the fallback when no runner fleet file
(``ECOTRACE_RUNNER_FLEET``) describes the machine. Deprecated in favour of the fleet file; still honoured."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

SELF_HOSTED_ENV = {
    "vcpu": "ECOTRACE_SELF_HOSTED_VCPU",
    "memory_gb": "ECOTRACE_SELF_HOSTED_MEMORY_GB",
    "cpu_min_w_per_vcpu": "ECOTRACE_SELF_HOSTED_CPU_MIN_W_PER_VCPU",
    "cpu_max_w_per_vcpu": "ECOTRACE_SELF_HOSTED_CPU_MAX_W_PER_VCPU",
    "pue": "ECOTRACE_SELF_HOSTED_PUE",
    "region": "ECOTRACE_SELF_HOSTED_REGION",
}


@dataclass(frozen=True, slots=True)
class SelfHostedConfig:
    """What an operator told us about their self-hosted runners (all optional)."""

    vcpu: float | None = None
    memory_gb: float | None = None
    cpu_min_w_per_vcpu: float | None = None
    cpu_max_w_per_vcpu: float | None = None
    pue: float | None = None
    region: str | None = None

    def __post_init__(self) -> None:
        for name in ("vcpu", "memory_gb", "cpu_min_w_per_vcpu", "cpu_max_w_per_vcpu", "pue"):
            value = getattr(self, name)
            if value is not None and (not math.isfinite(value) or value < 0 or (name == "vcpu" and value == 0)):
                raise ValueError(f"{SELF_HOSTED_ENV[name]} must be a positive number, got {value!r}")
        if self.pue is not None and self.pue < 1:
            raise ValueError(f"{SELF_HOSTED_ENV['pue']} must be >= 1 (PUE is total / IT energy), got {self.pue}")
        if (self.cpu_min_w_per_vcpu is None) != (self.cpu_max_w_per_vcpu is None):
            raise ValueError("set both ECOTRACE_SELF_HOSTED_CPU_MIN_W_PER_VCPU and ..._MAX_W_PER_VCPU, or neither")
        if (
            self.cpu_min_w_per_vcpu is not None
            and self.cpu_max_w_per_vcpu is not None
            and self.cpu_min_w_per_vcpu > self.cpu_max_w_per_vcpu
        ):
            raise ValueError("ECOTRACE_SELF_HOSTED_CPU_MIN_W_PER_VCPU is above ..._MAX_W_PER_VCPU")

    @property
    def configured(self) -> bool:
        return self.vcpu is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SelfHostedConfig:
        """Read ``ECOTRACE_SELF_HOSTED_*``; a malformed value raises ValueError naming the variable."""
        values: dict[str, float | str | None] = {}
        for name, var in SELF_HOSTED_ENV.items():
            raw = (env.get(var) or "").strip()
            if not raw:
                values[name] = None
            elif name == "region":
                values[name] = raw
            else:
                try:
                    values[name] = float(raw)
                except ValueError:
                    raise ValueError(f"{var} must be a number, got {raw!r}") from None
        return cls(**values)  # type: ignore[arg-type]
