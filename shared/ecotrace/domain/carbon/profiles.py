"""Which machine a CI job ran on: from the operator's fleet file, the runner group, the labels and the runner name.

GitHub reports the runner group ``GitHub Actions`` for its hosted runners and the runner name ``GitHub Actions <n>``
(webhook ``workflow_job.runner_group_name`` / ``runner_name``); self-hosted runners carry the group they were
registered in (``Default`` unless the organisation made others) and their own name, and their jobs' labels are
whatever the workflow asked for, with or without ``self-hosted``. Order of evidence:

1. a fleet file rule (the operator's own description) matching the labels, runner name or group;
2. the ``self-hosted`` label: the ``ECOTRACE_SELF_HOSTED_*`` profile, or an unknown machine (wide range);
3. GitHub's documented labels: standard labels only from the ``GitHub Actions`` group (or no group reported), the
   GPU runner, sized larger runners;
4. the ``Default Larger Runners`` group (GitHub's own group for larger runners): a larger runner of unknown size;
   any other group: a self-hosted or larger runner of unknown size (wide range);
5. anything else: unknown (wide range), low confidence.

A machine nobody described never gets a confident size: its range holds the plausible machines, its confidence is
low and its reason names what was seen.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..models import Confidence
from .coefficients import Case, Methodology, RunnerProfileSpec, UnknownSize
from .fleet import Fleet, FleetMachine, FleetRule
from .selfhosted import SelfHostedConfig

Reason = tuple[Confidence, str]

_SIZE = re.compile(r"(?<![0-9])(\d{1,3})[-_ ]?(?:cores?|vcpus?|cpus?)(?![a-z])")
HOSTED_GROUP = "github actions"
LARGER_RUNNERS_GROUP = "default larger runners"  # the group GitHub creates for larger runners (GitHub Docs)
HOSTED_NAME_PREFIX = "github actions"

CPU_NAMES = {
    "azure_epyc_3rd_gen": "AMD EPYC 3rd gen (CCF Azure 'EPYC 3rd Gen')",
    "arm_neoverse_n1": "Graviton2 / Neoverse N1 as a proxy (CCF AWS 'Graviton')",
    "epyc_2nd_gen": "AMD EPYC 2nd gen (CCF 'EPYC 2nd Gen')",
    "skylake": "Intel Skylake (CCF AWS 'Sky Lake')",
    "cascade_lake": "Intel Cascade Lake (CCF AWS 'Cascade Lake')",
    "unknown": "CPU unknown: CCF's average vCPU",
    "apple_m1": "Apple M1 (Eco-CI's M1 curve)",
}


@dataclass(frozen=True, slots=True)
class RunnerProfile:
    """The machine a job ran on, resolved; ``reasons`` cap the result's confidence, ``basis`` names the inputs."""

    id: str
    hosting: str  # github | self_hosted | unknown
    arch: str
    vcpu: float
    memory_gb: float
    cpu: str  # key of cpu.<cpu>.* coefficients, "configured" (watts given) or "tdp" (from a TDP per core)
    pue_key: str
    gpus: int = 0
    gpu_key: str | None = None
    gpu_w: float | None = None  # W per GPU from a fleet file (else the gpu_key coefficient)
    cpu_min_w_per_vcpu: float | None = None  # configured self-hosted CPU power
    cpu_max_w_per_vcpu: float | None = None  # (for cpu == "tdp": the TDP per core)
    included_memory_gb_per_vcpu: float | None = None  # None: cpu.<cpu>.included_memory_gb_per_vcpu
    pue_value: float | None = None  # configured self-hosted PUE
    region: str | None = None  # configured self-hosted region
    source: str = ""
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    assumed: bool = False  # no label told us the machine: the default runner stands in
    vcpu_bounds: tuple[float, float] | None = None  # (low, high) when the size itself is unknown
    memory_gb_bounds: tuple[float, float] | None = None
    gpus_bounds: tuple[int, int] | None = None
    basis: str = ""
    machine: str | None = None  # the fleet file's machine name

    def size(self, case: Case) -> tuple[float, float, int]:
        """(vCPU, memory GB, GPUs) for one bound: the low bound takes the small machine, the high the large."""
        if case == "central":
            return self.vcpu, self.memory_gb, self.gpus
        at = 0 if case == "low" else 1
        vcpu = self.vcpu_bounds[at] if self.vcpu_bounds else self.vcpu
        memory_gb = self.memory_gb_bounds[at] if self.memory_gb_bounds else self.memory_gb
        gpus = self.gpus_bounds[at] if self.gpus_bounds else self.gpus
        return vcpu, memory_gb, gpus

    def describe(self) -> dict[str, object]:
        out: dict[str, object] = {
            "id": self.id,
            "hosting": self.hosting,
            "arch": self.arch,
            "vcpu": self.vcpu,
            "memory_gb": self.memory_gb,
            "cpu": self.cpu,
            "gpus": self.gpus,
            "pue": self.pue_value if self.pue_value is not None else self.pue_key,
            "source": self.source,
            "basis": self.basis[:300],
        }
        if self.machine:
            out["machine"] = self.machine
        if self.vcpu_bounds or self.memory_gb_bounds or self.gpus_bounds:
            out["range"] = {"vcpu": self.vcpu_bounds, "memory_gb": self.memory_gb_bounds, "gpus": self.gpus_bounds}
        return out


def _watts(m: Methodology, cpu: str) -> str:
    if cpu == "apple_m1":
        w = [m.v(f"cpu.apple_m1.w_at_{p}pct") for p in (0, 50, 100)]
        return f"{w[0]:g} / {w[1]:g} / {w[2]:g} W per {m.v('cpu.apple_m1.reference_vcpu'):g} vCPU at 0 / 50 / 100 %"
    return f"{m.v(f'cpu.{cpu}.min_w_per_vcpu'):.3g}-{m.v(f'cpu.{cpu}.max_w_per_vcpu'):.3g} W per vCPU"


def cpu_text(m: Methodology, cpu: str) -> str:
    return f"{CPU_NAMES.get(cpu, cpu)}, {_watts(m, cpu)}"


def _seen(labels: Sequence[str], runner_group: str | None, runner_name: str | None) -> str:
    shown = [label[:40] for label in labels[:5]]
    return f"labels {shown!r}, runner group {(runner_group or '')[:40]!r}, runner {(runner_name or '')[:40]!r}"


def _from_spec(spec: RunnerProfileSpec, reasons: list[Reason], m: Methodology, label: str) -> RunnerProfile:
    cpu = cpu_text(m, spec.cpu)
    if spec.os == "macos":
        reasons.append(
            (
                Confidence.MEDIUM,
                f"macOS runner ({label[:40]!r}, {spec.vcpu:g} vCPU, {spec.memory_gb:g} GB): CPU power from {cpu}; "
                f"its data centre, PUE ({spec.pue} assumed) and host hardware are unpublished",
            )
        )
    elif spec.arch == "arm64":
        reasons.append((Confidence.MEDIUM, f"arm64 runner ({label[:40]!r}): CPU power from {cpu}"))
    basis = f"label {label[:40]!r}: {spec.vcpu:g} vCPU, {spec.memory_gb:g} GB ({spec.source}); {cpu}"
    if spec.gpus and spec.gpu:
        basis += f"; {spec.gpus} GPU at {m.v(spec.gpu):g} W ({spec.gpu})"
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
        basis=basis,
    )


def _spec(m: Methodology, profile_id: str) -> RunnerProfileSpec:
    for spec in m.runner_profiles:
        if spec.id == profile_id:
            return spec
    raise KeyError(f"methodology {m.version} has no runner profile {profile_id!r}")


def _unknown(
    kind: str, size: UnknownSize, m: Methodology, labels: Sequence[str], why: str, *, gpu: bool, hosting: str
) -> RunnerProfile:
    """A machine of unknown size: central the standard runner, bounds the small and the large plausible ones."""
    (v_lo, v, v_hi), (g_lo, g, g_hi) = size.vcpu, size.memory_gb
    gpu_spec = m.unknown_machines.gpu
    text = (
        f"{why}: assumed {v:g} vCPU, {g:g} GB (range {v_lo:g}-{v_hi:g} vCPU, {g_lo:g}-{g_hi:g} GB), "
        f"{cpu_text(m, size.cpu)}, PUE {size.pue}"
    )
    if gpu:
        low_w, high_w = m.c(gpu_spec.gpu).low, m.c(gpu_spec.gpu).high
        text += (
            f", {gpu_spec.gpus[1]} GPU of unknown make ({low_w:g}-{high_w:g} W, {gpu_spec.gpus[0]}-{gpu_spec.gpus[2]})"
        )
    return RunnerProfile(
        id=f"{kind}-unknown-size",
        hosting=hosting,
        arch="arm64" if any("arm" in label for label in labels) else "x64",
        vcpu=v,
        memory_gb=g,
        cpu=size.cpu,
        pue_key=size.pue,
        gpus=gpu_spec.gpus[1] if gpu else 0,
        gpu_key=gpu_spec.gpu if gpu else None,
        source=size.source,
        reasons=((Confidence.LOW, text),),
        assumed=True,
        vcpu_bounds=(v_lo, v_hi),
        memory_gb_bounds=(g_lo, g_hi),
        gpus_bounds=(gpu_spec.gpus[0], gpu_spec.gpus[2]) if gpu else None,
        basis=text,
    )


def _union(a: UnknownSize, b: UnknownSize) -> UnknownSize:
    return a.model_copy(
        update={
            "vcpu": (min(a.vcpu[0], b.vcpu[0]), a.vcpu[1], max(a.vcpu[2], b.vcpu[2])),
            "memory_gb": (min(a.memory_gb[0], b.memory_gb[0]), a.memory_gb[1], max(a.memory_gb[2], b.memory_gb[2])),
            "source": f"{a.source}; {b.source}",
        }
    )


def _self_hosted(labels: Sequence[str], m: Methodology, config: SelfHostedConfig, seen: str) -> RunnerProfile:
    default = m.self_hosted_default
    gpu = any("gpu" in label for label in labels)
    if not config.configured:
        why = f"self-hosted runner without a configured profile (no fleet file rule, no ECOTRACE_SELF_HOSTED_*; {seen})"
        return dataclasses.replace(
            _unknown("self-hosted", m.unknown_machines.self_hosted, m, labels, why, gpu=gpu, hosting="self_hosted"),
            id="self-hosted-default",
            assumed=False,
        )
    reasons: list[Reason] = [
        (
            Confidence.MEDIUM,
            f"self-hosted runner ({seen}): size from the operator's ECOTRACE_SELF_HOSTED_* configuration",
        )
    ]
    if config.cpu_min_w_per_vcpu is None:
        reasons.append((Confidence.MEDIUM, f"self-hosted runner CPU power not configured: {cpu_text(m, default.cpu)}"))
    if config.region is None:
        reasons.append((Confidence.LOW, "self-hosted runner region not configured (ECOTRACE_SELF_HOSTED_REGION)"))
    assert config.vcpu is not None
    memory_gb = config.memory_gb if config.memory_gb is not None else default.memory_gb
    configured_cpu = config.cpu_min_w_per_vcpu is not None
    return RunnerProfile(
        id="self-hosted-configured",
        hosting="self_hosted",
        arch="arm64" if "arm64" in labels else "x64",
        vcpu=config.vcpu,
        memory_gb=memory_gb,
        cpu="configured" if configured_cpu else default.cpu,
        pue_key=default.pue,
        cpu_min_w_per_vcpu=config.cpu_min_w_per_vcpu,
        cpu_max_w_per_vcpu=config.cpu_max_w_per_vcpu,
        included_memory_gb_per_vcpu=0.0 if configured_cpu else None,  # operator's watts: the CPU alone
        pue_value=config.pue,
        region=config.region,
        source="operator configuration (ECOTRACE_SELF_HOSTED_*)",
        reasons=tuple(reasons),
        basis=f"ECOTRACE_SELF_HOSTED_*: {config.vcpu:g} vCPU, {memory_gb:g} GB",
    )


def _fleet(fleet: Fleet, name: str, machine: FleetMachine, rule: FleetRule, m: Methodology, seen: str) -> RunnerProfile:
    cpu = machine.cpu
    cpu_key: str
    if cpu.family is not None:
        cpu_key, cpu_desc = cpu.family, f"{cpu.model}: {cpu_text(m, cpu.family)}"
        tdp: float | None = None
    else:
        cpu_key, tdp = "tdp", cpu.tdp
        assert tdp is not None  # the fleet model refuses a CPU whose power is unknown
        cpu_desc = f"{cpu.model}: TDP {tdp:g} W per core (Green Algorithms), idle share from CCF"
    gpu_w = machine.gpu.watts if machine.gpu else None
    gpu_desc = ""
    if machine.gpu:
        shown = f"{gpu_w:g} W" if gpu_w is not None else f"TDP unknown, {m.c('gpu.unknown.w').value:g} W assumed"
        gpu_desc = f", {machine.gpu.count} x {machine.gpu.model} ({shown})"
    pue = f"PUE {machine.pue:g}" if machine.pue is not None else f"PUE {machine.pue_key} ({machine.cloud})"
    criteria = ", ".join(
        part
        for part in (
            f"labels {list(rule.labels)!r}" if rule.labels else "",
            f"runner name {rule.runner_name!r}" if rule.runner_name else "",
            f"runner group {rule.runner_group!r}" if rule.runner_group else "",
        )
        if part
    )
    basis = (
        f"fleet {fleet.name[:40]!r} machine {name[:40]!r} (rule: {criteria}): {machine.vcpu:g} vCPU, "
        f"{machine.memory_gb:g} GB, {cpu_desc}{gpu_desc}, {pue}, region {machine.region or 'not given'}"
    )
    reasons: list[Reason] = [(Confidence.MEDIUM, f"runner from the operator's fleet file: {basis}")]
    if machine.region is None:
        reasons.append((Confidence.LOW, f"fleet machine {name[:40]!r} has no region: grid intensity unknown"))
    unknown_gpu = machine.gpu is not None and gpu_w is None
    return RunnerProfile(
        id=f"fleet:{name}"[:100],
        hosting="self_hosted",
        arch=machine.arch,
        vcpu=machine.vcpu,
        memory_gb=machine.memory_gb,
        cpu=cpu_key,
        pue_key=machine.pue_key,
        gpus=machine.gpu.count if machine.gpu else 0,
        gpu_key="gpu.unknown.w" if unknown_gpu else None,
        gpu_w=gpu_w,
        cpu_max_w_per_vcpu=tdp,
        included_memory_gb_per_vcpu=0.0 if tdp is not None else None,  # a TDP is the chip alone
        pue_value=machine.pue,
        region=machine.region,
        source=machine.source or fleet.source,
        reasons=tuple(reasons),
        basis=basis + f" [{seen}]",
        machine=name,
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
        cpu = "arm_neoverse_n1" if arm else "azure_epyc_3rd_gen"
        reasons: list[Reason] = [
            (
                Confidence.MEDIUM,
                f"larger runner: size {vcpu} vCPU, {memory_gb:g} GB read from the label {label[:60]!r} "
                f"(GitHub Docs sizes); {cpu_text(m, cpu)}",
            )
        ]
        return RunnerProfile(
            id=f"github-larger-{'arm64' if arm else 'x64'}-{vcpu}",
            hosting="github",
            arch="arm64" if arm else "x64",
            vcpu=float(vcpu),
            memory_gb=float(memory_gb),
            cpu=cpu,
            pue_key="pue.azure",
            source=spec.source,
            reasons=tuple(reasons),
            basis=reasons[0][1],
        )
    return None


def _visibility(matches: list[RunnerProfileSpec], repo_private: bool | None) -> tuple[RunnerProfileSpec, list[Reason]]:
    if len(matches) == 1:
        return matches[0], []
    wanted = "private" if repo_private else "public"
    chosen = next((s for s in matches if s.visibility == wanted), matches[0])
    reasons: list[Reason] = []
    if repo_private is None:
        others = ", ".join(f"{s.visibility} {s.vcpu:g} vCPU" for s in matches if s is not chosen)
        reasons.append(
            (
                Confidence.MEDIUM,
                f"repository visibility unknown: assumed the {chosen.visibility}-repository runner "
                f"({chosen.vcpu:g} vCPU; {others})",
            )
        )
    return chosen, reasons


def profile_for(
    labels: Sequence[str],
    repo_private: bool | None,
    m: Methodology,
    self_hosted: SelfHostedConfig | None = None,
    *,
    runner_group: str | None = None,
    runner_name: str | None = None,
    fleet: Fleet | None = None,
) -> RunnerProfile:
    """The runner profile for a job. Never fails: what is not recognised gets a wide range and low confidence."""
    norm = [label.strip().lower() for label in labels if label and label.strip()]
    group = (runner_group or "").strip()
    name = (runner_name or "").strip()
    seen = _seen(norm, group, name)
    if fleet is not None and (found := fleet.match(norm, name or None, group or None)) is not None:
        return _fleet(fleet, *found, m, seen)
    if "self-hosted" in norm:
        return _self_hosted(norm, m, self_hosted or SelfHostedConfig(), seen)
    hosted_group = group.lower() == HOSTED_GROUP
    larger_group = group.lower() == LARGER_RUNNERS_GROUP
    other_group = bool(group) and not hosted_group
    gpu = any("gpu" in label for label in norm)
    t4 = next((label for label in norm if "gpu" in label and "t4" in label), None)
    if t4 is not None or (gpu and (hosted_group or larger_group)):
        label = t4 or next(label for label in norm if "gpu" in label)
        reasons: list[Reason] = [
            (Confidence.MEDIUM, f"GitHub's GPU runner ({seen}): one NVIDIA T4, assumed at the CPU's utilisation")
        ]
        return _from_spec(_spec(m, "github-gpu-t4"), reasons, m, label)
    standard = next((label for label in norm if any(label in s.labels for s in m.runner_profiles)), None)
    if standard is not None and not other_group:
        chosen, reasons = _visibility([s for s in m.runner_profiles if standard in s.labels], repo_private)
        return _from_spec(chosen, reasons, m, standard)
    larger = _larger_runner(norm, m)
    if larger is not None:
        return larger
    unknown = m.unknown_machines
    if hosted_group or larger_group or (not group and name.lower().startswith(HOSTED_NAME_PREFIX)):
        why = f"GitHub-hosted runner with an organisation-named label that gives no size ({seen})"
        return _unknown("github-larger", unknown.larger_runner, m, norm, why, gpu=False, hosting="github")
    if other_group:
        also = f"; {standard!r} names a GitHub standard runner, which runs in that pool only" if standard else ""
        why = (
            f"runner group {group[:40]!r} is not GitHub's hosted pool ('GitHub Actions') and no fleet rule matches "
            f"({seen}{also}): a self-hosted or larger runner of unknown size"
        )
        both = _union(unknown.self_hosted, unknown.larger_runner)
        return _unknown("runner", both, m, norm, why, gpu=gpu, hosting="unknown")
    if norm:
        why = f"runner labels not recognised and no runner group reported ({seen})"
        both = _union(unknown.self_hosted, unknown.larger_runner)
        return _unknown("runner", both, m, norm, why, gpu=gpu, hosting="unknown")
    fallback = _spec(m, "github-x64-public")
    what = f"no runner labels: assumed a {fallback.vcpu:g}-vCPU GitHub-hosted runner"
    return dataclasses.replace(_from_spec(fallback, [(Confidence.LOW, what)], m, ""), assumed=True)
