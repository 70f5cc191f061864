"""Which machine a CI job ran on, from its runner labels (and the self-hosted configuration)."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..models import Confidence
from .coefficients import Methodology, RunnerProfileSpec

Reason = tuple[Confidence, str]

_SIZE = re.compile(r"(?<![0-9])(\d{1,3})[-_ ]?(?:cores?|vcpus?|cpus?)(?![a-z])")

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


@dataclass(frozen=True, slots=True)
class RunnerProfile:
    """The machine a job ran on, resolved; ``reasons`` cap the result's confidence."""

    id: str
    hosting: str  # github | self_hosted
    arch: str
    vcpu: float
    memory_gb: float
    cpu: str  # key of cpu.<cpu>.* coefficients, or "configured"
    pue_key: str
    gpus: int = 0
    gpu_key: str | None = None
    cpu_min_w_per_vcpu: float | None = None  # configured self-hosted CPU power
    cpu_max_w_per_vcpu: float | None = None
    pue_value: float | None = None  # configured self-hosted PUE
    region: str | None = None  # configured self-hosted region
    source: str = ""
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    assumed: bool = False  # no label told us the machine: the default runner stands in

    def describe(self) -> dict[str, object]:
        return {
            "id": self.id,
            "hosting": self.hosting,
            "arch": self.arch,
            "vcpu": self.vcpu,
            "memory_gb": self.memory_gb,
            "cpu": self.cpu,
            "gpus": self.gpus,
            "pue": self.pue_value if self.pue_value is not None else self.pue_key,
            "source": self.source,
        }


def _from_spec(spec: RunnerProfileSpec, reasons: list[Reason]) -> RunnerProfile:
    if spec.arch == "arm64":
        reasons.append((Confidence.MEDIUM, "arm64 runner: CPU power from the Graviton2 (Neoverse N1) proxy"))
    if spec.os == "macos":
        reasons.append((Confidence.MEDIUM, "macOS runner: its data centre, PUE and host hardware are unpublished"))
    return RunnerProfile(
        id=spec.id,
        hosting=spec.hosting,
        arch=spec.arch,
        vcpu=spec.vcpu,
        memory_gb=spec.memory_gb,
        cpu=spec.cpu,
        pue_key=spec.pue,
        gpus=spec.gpus,
        gpu_key=spec.gpu,
        source=spec.source,
        reasons=tuple(reasons),
    )


def _spec(m: Methodology, profile_id: str) -> RunnerProfileSpec:
    for spec in m.runner_profiles:
        if spec.id == profile_id:
            return spec
    raise KeyError(f"methodology {m.version} has no runner profile {profile_id!r}")


def _self_hosted(labels: Sequence[str], m: Methodology, config: SelfHostedConfig) -> RunnerProfile:
    default = m.self_hosted_default
    if not config.configured:
        return RunnerProfile(
            id="self-hosted-default",
            hosting="self_hosted",
            arch="arm64" if "arm64" in labels else "x64",
            vcpu=default.vcpu,
            memory_gb=default.memory_gb,
            cpu=default.cpu,
            pue_key=default.pue,
            source=default.source,
            reasons=(
                (
                    Confidence.LOW,
                    "self-hosted runner without a configured profile (ECOTRACE_SELF_HOSTED_*): assumed "
                    f"{default.vcpu:g} vCPU, {default.memory_gb:g} GB, unknown CPU, average data-centre PUE",
                ),
            ),
        )
    reasons: list[Reason] = [(Confidence.MEDIUM, "self-hosted runner: size from the operator's configuration")]
    if config.cpu_min_w_per_vcpu is None:
        reasons.append((Confidence.MEDIUM, "self-hosted runner CPU power not configured: average cloud vCPU used"))
    if config.region is None:
        reasons.append((Confidence.LOW, "self-hosted runner region not configured (ECOTRACE_SELF_HOSTED_REGION)"))
    assert config.vcpu is not None
    return RunnerProfile(
        id="self-hosted-configured",
        hosting="self_hosted",
        arch="arm64" if "arm64" in labels else "x64",
        vcpu=config.vcpu,
        memory_gb=config.memory_gb if config.memory_gb is not None else default.memory_gb,
        cpu="configured" if config.cpu_min_w_per_vcpu is not None else default.cpu,
        pue_key=default.pue,
        cpu_min_w_per_vcpu=config.cpu_min_w_per_vcpu,
        cpu_max_w_per_vcpu=config.cpu_max_w_per_vcpu,
        pue_value=config.pue,
        region=config.region,
        source="operator configuration (ECOTRACE_SELF_HOSTED_*)",
        reasons=tuple(reasons),
    )


def _larger_runner(labels: Sequence[str], m: Methodology) -> RunnerProfile | None:
    spec = m.larger_runners
    for label in labels:
        match = _SIZE.search(label)
        if not match:
            continue
        vcpu = int(match.group(1))
        if vcpu not in spec.vcpu_sizes:
            continue
        arm = "arm" in label
        if arm and str(vcpu) not in spec.arm64_memory_gb:
            continue
        memory_gb = spec.arm64_memory_gb[str(vcpu)] if arm else vcpu * spec.x64_memory_gb_per_vcpu
        reasons: list[Reason] = [
            (Confidence.MEDIUM, f"larger runner: size {vcpu} vCPU read from the label {label[:60]!r}")
        ]
        if arm:
            reasons.append((Confidence.MEDIUM, "arm64 runner: CPU power from the Graviton2 (Neoverse N1) proxy"))
        return RunnerProfile(
            id=f"github-larger-{'arm64' if arm else 'x64'}-{vcpu}",
            hosting="github",
            arch="arm64" if arm else "x64",
            vcpu=float(vcpu),
            memory_gb=float(memory_gb),
            cpu="arm_neoverse_n1" if arm else "azure_epyc_3rd_gen",
            pue_key="pue.azure",
            source=spec.source,
            reasons=tuple(reasons),
        )
    return None


def profile_for(
    labels: Sequence[str],
    repo_private: bool | None,
    m: Methodology,
    self_hosted: SelfHostedConfig | None = None,
) -> RunnerProfile:
    """The runner profile for a job's labels. Never fails: unknown labels give a default with low confidence."""
    norm = [label.strip().lower() for label in labels if label and label.strip()]
    if "self-hosted" in norm:
        return _self_hosted(norm, m, self_hosted or SelfHostedConfig())
    if any("gpu" in label for label in norm):
        reasons: list[Reason] = [(Confidence.MEDIUM, "GPU runner: assumed one NVIDIA T4 at the CPU's utilisation")]
        return _from_spec(_spec(m, "github-gpu-t4"), reasons)
    for label in norm:
        matches = [s for s in m.runner_profiles if label in s.labels]
        if not matches:
            continue
        if len(matches) == 1:
            return _from_spec(matches[0], [])
        wanted = "private" if repo_private else "public"
        chosen = next((s for s in matches if s.visibility == wanted), matches[0])
        reasons = []
        if repo_private is None:
            others = ", ".join(f"{s.visibility} {s.vcpu:g} vCPU" for s in matches if s is not chosen)
            reasons.append(
                (
                    Confidence.MEDIUM,
                    f"repository visibility unknown: assumed the {chosen.visibility}-repository runner "
                    f"({chosen.vcpu:g} vCPU; {others})",
                )
            )
        return _from_spec(chosen, reasons)
    larger = _larger_runner(norm, m)
    if larger is not None:
        return larger
    fallback = _spec(m, "github-x64-public")
    shown = [label[:40] for label in norm[:5]]
    assumed = f"assumed a {fallback.vcpu:g}-vCPU GitHub-hosted runner"
    what = f"runner labels not recognised, {assumed}: {shown!r}" if norm else f"no runner labels: {assumed}"
    return dataclasses.replace(_from_spec(fallback, [(Confidence.LOW, what)]), assumed=True)
