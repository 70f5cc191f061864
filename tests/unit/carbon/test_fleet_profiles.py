"""Completed workflow_job deliveries of each runner kind, through the webhook's extraction and the carbon method:
classified right, with reasons that name the inputs used (tests/fixtures/workflow-jobs/SOURCE.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecotrace.adapters.fleet_file import load_fleet
from ecotrace.domain.carbon import CalculationConfig, CarbonResult, calculate, plan_for
from ecotrace.domain.github import extract
from ecotrace.domain.models import Activity, Confidence
from tests.unit.carbon.carbon_builders import NOW, REPO_ROOT, make_activity, make_factor

JOBS = REPO_ROOT / "tests" / "fixtures" / "workflow-jobs"
EXAMPLE_FLEET = load_fleet("ecotrace:fleets/pytorch-scale-config.json")


def job_activity(name: str) -> Activity:
    payload = json.loads((JOBS / f"{name}.completed.json").read_text(encoding="utf-8"))
    (activity,) = extract("workflow_job", payload, "d-1").activities
    return activity


def run(name: str, config: CalculationConfig | None = None) -> CarbonResult:
    plan = plan_for(job_activity(name), config)
    return calculate(plan, make_factor(400.0, Confidence.MEDIUM, region=plan.region or "WORLD"), NOW)


def runner(result: CarbonResult) -> dict[str, Any]:
    described: dict[str, Any] = result.inputs["runner"]
    return described


def test_the_webhook_records_what_the_method_reads() -> None:
    activity = job_activity("pytorch-linux-2xlarge")
    assert activity.runner_labels == ["linux.2xlarge"]
    assert activity.runner_name == "i-0b2f4c1d7e8a9f012"
    assert activity.details["runner_group"] == "Default"
    assert activity.duration_s == 526


@pytest.mark.parametrize(
    ("name", "profile_id", "hosting", "vcpu", "memory_gb", "confidence"),
    [
        ("hosted-linux", "github-x64-public", "github", 4, 16, Confidence.MEDIUM),
        ("hosted-windows", "github-x64-public", "github", 4, 16, Confidence.MEDIUM),
        ("hosted-macos-m1", "github-macos-arm64", "github", 3, 7, Confidence.MEDIUM),
        ("hosted-macos-intel", "github-macos-x64", "github", 4, 14, Confidence.MEDIUM),
        ("larger-sized", "github-larger-x64-16", "github", 16, 64, Confidence.MEDIUM),
        ("larger-org-named", "github-larger-unknown-size", "github", 4, 16, Confidence.LOW),
        ("self-hosted-labelled", "self-hosted-default", "self_hosted", 4, 16, Confidence.LOW),
        ("pytorch-linux-2xlarge", "runner-unknown-size", "unknown", 4, 16, Confidence.LOW),
        ("pytorch-g5-gpu", "runner-unknown-size", "unknown", 4, 16, Confidence.LOW),
        ("custom-gpu-group", "runner-unknown-size", "unknown", 4, 16, Confidence.LOW),
        ("github-gpu-t4", "github-gpu-t4", "github", 4, 28, Confidence.MEDIUM),
    ],
)
def test_each_runner_kind_is_classified_without_a_fleet_file(
    name: str, profile_id: str, hosting: str, vcpu: int, memory_gb: int, confidence: Confidence
) -> None:
    result = run(name)
    described = runner(result)
    assert (described["id"], described["hosting"], described["vcpu"], described["memory_gb"]) == (
        profile_id,
        hosting,
        vcpu,
        memory_gb,
    )
    assert result.confidence == confidence


@pytest.mark.parametrize("name", ["pytorch-linux-2xlarge", "custom-gpu-group", "larger-org-named"])
def test_an_undescribed_machine_gets_a_wide_range_and_a_reason_naming_what_was_seen(name: str) -> None:
    result = run(name)
    activity = job_activity(name)
    reason = next(r for r in result.confidence_reasons if "unknown size" in r or "gives no size" in r)
    assert reason.startswith("low: ")
    for seen in (activity.runner_labels[0], activity.details["runner_group"], activity.runner_name or ""):
        assert seen[:40] in reason
    assert "range" in reason
    assert "vCPU" in reason
    # the range holds machines from a small box to a large server, not one confident size
    assert runner(result)["range"]["vcpu"][0] <= 2
    assert runner(result)["range"]["vcpu"][1] >= 64
    assert result.carbon_kg_high / result.carbon_kg > 5


def test_a_gpu_label_on_a_self_hosted_machine_is_not_github_s_t4() -> None:
    for name in ("pytorch-g5-gpu", "custom-gpu-group"):
        result = run(name)
        assert runner(result)["id"] != "github-gpu-t4"
        assert any("GPU of unknown make" in r for r in result.confidence_reasons)
        assert result.inputs["coefficients"]["gpu.unknown.w"] == 200
        assert not any("T4" in r for r in result.confidence_reasons)
    t4 = run("github-gpu-t4")
    assert any("GitHub's GPU runner" in r and "T4" in r for r in t4.confidence_reasons)


def test_the_pytorch_job_is_costed_on_its_true_machine_with_the_example_fleet() -> None:
    config = CalculationConfig(fleet=EXAMPLE_FLEET)
    result = run("pytorch-linux-2xlarge", config)
    described = runner(result)
    assert (described["machine"], described["vcpu"], described["memory_gb"], described["cpu"]) == (
        "c5.2xlarge",
        8,
        16,
        "skylake",
    )
    assert described["pue"] == "pue.aws"
    assert result.emission_factor.region == "aws:us-east-1"
    (reason,) = [r for r in result.confidence_reasons if "fleet file" in r]
    for named in ("c5.2xlarge", "linux.2xlarge", "8 vCPU", "16 GB", "Xeon Platinum 8124M", "Skylake", "pue.aws"):
        assert named in reason
    assert result.confidence == Confidence.MEDIUM


def test_the_fleet_gpu_machine_uses_its_gpu_count_and_unknown_a10g_range() -> None:
    config = CalculationConfig(fleet=EXAMPLE_FLEET)
    result = run("pytorch-g5-gpu", config)
    described = runner(result)
    assert (described["machine"], described["vcpu"], described["gpus"]) == ("g5.4xlarge", 16, 1)
    assert "NVIDIA A10G (TDP unknown, 200 W assumed)" in result.confidence_reasons[0]
    # by hand: 16 vCPU of CCF's EPYC 2nd Gen (0.4743-1.6930 W), 64 GB of which 16 x 1.0139 GB are inside those
    # watts, AWS PUE 1.135 (high 1.2), 1,820 s; the A10G at the unknown GPU's 200 W (70 at idle: 0; high 300 W)
    hours = 1820 / 3600
    cpu_min, cpu_max = 0.4742621527777778, 1.6929615162037037
    memory_w = (64 - 16 * 1.0139) * 0.392
    central_kwh = (16 * (cpu_min + 0.5 * (cpu_max - cpu_min)) + 200 * 0.5) * 1.135 * hours / 1000
    low_kwh = 16 * cpu_min * 1.135 * hours / 1000  # idle GPU, no memory beyond the CPU's (Eco-CI's view)
    high_kwh = (16 * cpu_max + 300 * 1.0 + memory_w) * 1.2 * hours / 1000
    assert result.energy.compute_kwh == pytest.approx(central_kwh, rel=1e-9)
    assert result.energy_kwh_low == pytest.approx(low_kwh, rel=1e-9)
    assert result.energy_kwh_high == pytest.approx(high_kwh, rel=1e-9)


def test_hosted_jobs_ignore_the_fleet_file_when_no_rule_matches() -> None:
    config = CalculationConfig(fleet=EXAMPLE_FLEET)
    assert runner(run("hosted-linux", config))["id"] == "github-x64-public"


def test_macos_reasons_name_the_curve_actually_used() -> None:
    m1 = run("hosted-macos-m1")
    (reason,) = [r for r in m1.confidence_reasons if r.startswith("medium: macOS runner")]
    assert "Eco-CI's M1 curve" in reason
    assert "4.45 / 8.9 / 15.53 W" in reason
    assert "Graviton" not in " ".join(m1.confidence_reasons)
    intel = run("hosted-macos-intel")
    (reason,) = [r for r in intel.confidence_reasons if r.startswith("medium: macOS runner")]
    assert "CCF's average vCPU" in reason
    assert "'macos-13'" in reason


def test_hosted_linux_names_its_inputs_in_the_audit_trail() -> None:
    described = runner(run("hosted-linux"))
    assert "'ubuntu-latest'" in described["basis"]
    assert "AMD EPYC 3rd gen" in described["basis"]


def test_a_standard_label_on_a_runner_outside_github_s_hosted_pool_is_not_github_s_runner() -> None:
    """GitHub's standard runners report the group ``GitHub Actions``; a runner registered in ``Default`` that answers
    to ``ubuntu-latest`` (self-hosted, e.g. an Actions Runner Controller set) is a machine of unknown size."""
    job = make_activity(
        duration_s=600,
        runner_labels=["ubuntu-latest"],
        runner_name="arc-runners-7x2kq-runner-b4t9z",
        details={"runner_group": "Default", "repo_private": False},
    )
    plan = plan_for(job)
    result = calculate(plan, make_factor(400.0, Confidence.MEDIUM, region=plan.region or "WORLD"), NOW)
    described = runner(result)
    assert described["hosting"] != "github"
    assert described["cpu"] == "unknown"
    assert plan.region is None  # not GitHub's assumed Azure region
    assert result.confidence == Confidence.LOW
    reason = next(r for r in result.confidence_reasons if "unknown size" in r)
    for seen in ("ubuntu-latest", "Default", "arc-runners-7x2kq"):
        assert seen in reason
    assert described["range"]["vcpu"][0] <= 2
    assert described["range"]["vcpu"][1] >= 64


def test_an_organisation_named_larger_runner_is_github_hosted_of_unknown_size() -> None:
    """``Default Larger Runners`` is the group GitHub makes for its larger runners: GitHub's hardware (EPYC, Azure),
    size unknown."""
    result = run("larger-org-named")
    described = runner(result)
    assert (described["hosting"], described["cpu"], described["pue"]) == ("github", "azure_epyc_3rd_gen", "pue.azure")
    assert result.emission_factor.region == "azure:eastus"
    assert any("Default Larger Runners" in r and "gives no size" in r for r in result.confidence_reasons)


@pytest.mark.parametrize(
    ("labels", "group"),
    [(["self-hosted", "linux", "x64"], "Default"), (["linux.2xlarge"], "Default"), (["gpu", "db-app"], "gpu-runners")],
    ids=["self-hosted label", "custom label", "custom gpu label"],
)
def test_an_undescribed_machine_s_range_holds_every_machine_of_the_example_fleet(labels: list[str], group: str) -> None:
    """Without a fleet file, pytorch's real machines (2 to 96 vCPU, up to 8 GPUs) lie inside the range, whichever
    way the job reached the unknown-machine case."""
    job = make_activity(duration_s=600, runner_labels=labels, runner_name="i-0b2f", details={"runner_group": group})
    profile = plan_for(job).profile
    assert profile is not None
    assert profile.vcpu_bounds is not None
    assert profile.memory_gb_bounds is not None
    for name, machine in EXAMPLE_FLEET.machines.items():
        assert profile.vcpu_bounds[0] <= machine.vcpu <= profile.vcpu_bounds[1], name
        assert profile.memory_gb_bounds[0] <= machine.memory_gb <= profile.memory_gb_bounds[1], name
        if "gpu" in labels and machine.gpu is not None:
            assert profile.gpus_bounds is not None
            assert profile.gpus_bounds[0] <= machine.gpu.count <= profile.gpus_bounds[1], name
