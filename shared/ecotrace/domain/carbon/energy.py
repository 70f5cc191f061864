"""The energy models of the carbon method, per bound: a runner's CPU, GPU and memory power, and the network,
storage and server time of git work. Pure; :mod:`.calculator` plans and combines them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..models import Activity, ActivityType
from .coefficients import Case, Methodology
from .profiles import RunnerProfile

BYTES_PER_GB = 1e9
BYTES_PER_TB = 1e12


@dataclass(slots=True)
class Energy:
    compute_kwh: float = 0.0
    memory_kwh: float = 0.0
    network_kwh: float = 0.0
    storage_kwh: float = 0.0
    embodied_kg: float = 0.0
    pue: float = 0.0

    @property
    def total_kwh(self) -> float:
        return self.compute_kwh + self.memory_kwh + self.network_kwh + self.storage_kwh


class Reader:
    """Coefficient access for one bound; remembers which coefficients the central case used."""

    __slots__ = ("case", "m", "used")

    def __init__(self, m: Methodology, case: Case, used: dict[str, float] | None) -> None:
        self.m = m
        self.case = case
        self.used = used

    def __call__(self, key: str) -> float:
        value = self.m.coefficients[key].at(self.case)
        if self.used is not None:
            self.used[key] = value
        return value


def cpu_w_per_vcpu(profile: RunnerProfile, utilisation: float, c: Reader) -> float:
    if profile.cpu == "tdp" and profile.cpu_max_w_per_vcpu is not None:
        hi = profile.cpu_max_w_per_vcpu  # the model's TDP per core (one vCPU counted as one core)
        lo = hi * c("cpu.tdp.idle_fraction")
        return lo + utilisation * (hi - lo)
    if profile.cpu_min_w_per_vcpu is not None and profile.cpu_max_w_per_vcpu is not None:
        lo, hi = profile.cpu_min_w_per_vcpu, profile.cpu_max_w_per_vcpu
        return lo + utilisation * (hi - lo)
    if profile.cpu == "apple_m1":
        w0, w50, w100 = c("cpu.apple_m1.w_at_0pct"), c("cpu.apple_m1.w_at_50pct"), c("cpu.apple_m1.w_at_100pct")
        if utilisation <= 0.5:
            runner_w = w0 + (w50 - w0) * (utilisation / 0.5)
        else:
            runner_w = w50 + (w100 - w50) * ((utilisation - 0.5) / 0.5)
        return runner_w / c("cpu.apple_m1.reference_vcpu")
    lo = c(f"cpu.{profile.cpu}.min_w_per_vcpu")
    hi = c(f"cpu.{profile.cpu}.max_w_per_vcpu")
    return lo + utilisation * (hi - lo)


def embodied_kg_per_vcpu_h(c: Reader) -> float:
    # SCI M = TE x (TiR / EL) x (RR / ToR); per vCPU-hour: TE / ToR / EL.
    return c("embodied.server_kg") / c("embodied.host_threads") / c("embodied.lifetime_h")


def memory_power_w(profile: RunnerProfile, vcpu: float, memory_gb: float, c: Reader) -> float:
    """Memory power beyond what the CPU coefficient already holds. CPU watts measured at the wall on whole
    servers (CCF's SPECpower rows, Eco-CI's curves) include that server's DRAM per vCPU; only the rest is added,
    and how much of it is the question the two sources answer differently (``memory.excess_share``). Watts given
    for the CPU alone (a TDP, the operator's figures) leave all of the memory to add."""
    if profile.included_memory_gb_per_vcpu is not None:
        included, share = profile.included_memory_gb_per_vcpu, 1.0
    else:
        included = c(f"cpu.{profile.cpu}.included_memory_gb_per_vcpu")
        share = c("memory.excess_share")
    return max(0.0, memory_gb - vcpu * included) * c("memory.w_per_gb") * share


def runner_energy(profile: RunnerProfile, duration_s: float, c: Reader) -> Energy:
    hours = duration_s / 3600.0
    utilisation = c("cpu.utilisation")
    vcpu, memory_gb, gpus = profile.size(c.case)
    cpu_w = vcpu * cpu_w_per_vcpu(profile, utilisation, c)
    gpu_each_w = profile.gpu_w if profile.gpu_w is not None else (c(profile.gpu_key) if profile.gpu_key else 0.0)
    gpu_w = gpus * gpu_each_w * utilisation
    memory_w = memory_power_w(profile, vcpu, memory_gb, c)
    pue = profile.pue_value if profile.pue_value is not None else c(profile.pue_key)
    return Energy(
        compute_kwh=(cpu_w + gpu_w) * pue * hours / 1000.0,
        memory_kwh=memory_w * pue * hours / 1000.0,
        embodied_kg=embodied_kg_per_vcpu_h(c) * vcpu * hours,
        pue=pue,
    )


def is_review(activity: Activity) -> bool:
    """A pull-request review (``details.action == "review"``): a step of its PR, with server time only."""
    return activity.type == ActivityType.PR and activity.details.get("action") == "review"


def changed_lines(activity: Activity, c: Reader) -> float:
    """Changed lines; estimated ones (the webhook's files x ``git.default_lines_per_file``) move with that
    coefficient's bounds, unknown ones are estimated here the same way."""
    if activity.lines_added is not None or activity.lines_deleted is not None:
        lines = float((activity.lines_added or 0) + (activity.lines_deleted or 0))
        if activity.lines_estimated:
            lines *= c("git.default_lines_per_file") / c.m.v("git.default_lines_per_file")
        return lines
    if activity.files_changed is not None:
        return activity.files_changed * c("git.default_lines_per_file")
    return c("git.default_changed_lines") * c("git.unknown_lines_factor")


def review_energy(c: Reader, inputs: dict[str, Any] | None) -> Energy:
    server_vcpu_s = c("server.review_vcpu_s")
    pue = c("pue.azure")
    if inputs is not None:
        inputs.update(server_vcpu_s=server_vcpu_s, review=True)
    return Energy(
        compute_kwh=server_vcpu_s / 3600.0 * c("cpu.azure_epyc_3rd_gen.max_w_per_vcpu") * pue / 1000.0,
        embodied_kg=embodied_kg_per_vcpu_h(c) * server_vcpu_s / 3600.0,
        pue=pue,
    )


def git_energy(activity: Activity, c: Reader, inputs: dict[str, Any] | None) -> Energy:
    if is_review(activity):
        return review_energy(c, inputs)
    is_pr = activity.type == ActivityType.PR
    lines = changed_lines(activity, c)
    files = activity.files_changed if activity.files_changed is not None else 1
    code_bytes = lines * c("git.bytes_per_changed_line") / c("git.compression_ratio")
    object_bytes = code_bytes + files * c("git.overhead_bytes_per_file")
    transfer_bytes = object_bytes + c("git.overhead_bytes_per_push")
    if is_pr:
        network_bytes = transfer_bytes * c("pr.diff_views")
        stored_bytes = 0.0  # the PR's code is stored with its commits
        server_vcpu_s = c("server.pr_vcpu_s")
    else:
        network_bytes = transfer_bytes
        stored_bytes = object_bytes * c("storage.replicas")
        server_vcpu_s = c("server.commit_vcpu_s")
    pue = c("pue.azure")
    storage_wh = stored_bytes / BYTES_PER_TB * c("storage.wh_per_tb_h") * c("storage.horizon_h")
    server_wh = server_vcpu_s / 3600.0 * c("cpu.azure_epyc_3rd_gen.max_w_per_vcpu")
    if inputs is not None:
        inputs.update(
            changed_lines=lines,
            files_counted=files,
            transfer_bytes=network_bytes,
            stored_bytes=stored_bytes,
            server_vcpu_s=server_vcpu_s,
        )
    return Energy(
        compute_kwh=server_wh * pue / 1000.0,
        network_kwh=network_bytes / BYTES_PER_GB * c("network.kwh_per_gb"),
        storage_kwh=storage_wh * pue / 1000.0,
        embodied_kg=embodied_kg_per_vcpu_h(c) * server_vcpu_s / 3600.0,
        pue=pue,
    )
