"""Runner profiles from job labels, and the self-hosted runner configuration."""

from __future__ import annotations

import pytest

from ecotrace.domain.carbon import (
    CalculationConfig,
    SelfHostedConfig,
    calculate,
    default_methodology,
    plan_for,
    profile_for,
)
from ecotrace.domain.models import Confidence
from tests.unit.carbon.carbon_builders import NOW, make_activity, make_factor

M = default_methodology()


@pytest.mark.parametrize(
    ("labels", "private", "vcpu", "memory_gb", "arch"),
    [
        (["ubuntu-latest"], False, 4, 16, "x64"),
        (["ubuntu-latest"], True, 2, 7, "x64"),
        (["windows-2022"], False, 4, 16, "x64"),
        (["ubuntu-slim"], None, 1, 5, "x64"),
        (["ubuntu-24.04-arm"], False, 4, 16, "arm64"),
        (["ubuntu-24.04-arm"], True, 2, 8, "arm64"),
        (["macos-14"], None, 3, 7, "arm64"),
        (["macos-15-xlarge"], None, 6, 14, "arm64"),
        (["macos-13"], None, 4, 14, "x64"),
        (["macos-14-large"], None, 12, 30, "x64"),
        (["Ubuntu-Latest "], False, 4, 16, "x64"),  # labels are matched case- and space-insensitively
        (["ubuntu-22.04-16core"], None, 16, 64, "x64"),
        (["linux-96-cores"], None, 96, 384, "x64"),
        (["ubuntu-24.04-arm-64core"], None, 64, 208, "arm64"),
        (["gpu-t4-4-core"], None, 4, 28, "x64"),
    ],
)
def test_github_hosted_labels_map_to_their_documented_size(
    labels: list[str], private: bool | None, vcpu: int, memory_gb: int, arch: str
) -> None:
    profile = profile_for(labels, private, M)
    assert (profile.vcpu, profile.memory_gb, profile.arch, profile.hosting) == (vcpu, memory_gb, arch, "github")


def test_gpu_runner_adds_the_gpu_power() -> None:
    plain = calculate(plan_for(make_activity(runner_labels=["ubuntu-latest"], duration_s=600)), make_factor(), NOW)
    gpu = calculate(plan_for(make_activity(runner_labels=["gpu-t4-4-core"], duration_s=600)), make_factor(), NOW)
    # 70 W x 50 % x PUE 1.185 for 10 minutes, on top of the CPU
    cpu_kwh = plain.energy.compute_kwh
    assert gpu.energy.compute_kwh == pytest.approx(cpu_kwh + 70 * 0.5 * 1.185 / 6 / 1000, rel=1e-9)


def test_unknown_visibility_assumes_public_and_says_so() -> None:
    profile = profile_for(["ubuntu-latest"], None, M)
    assert profile.vcpu == 4
    assert [level for level, _ in profile.reasons] == [Confidence.MEDIUM]
    assert "private 2 vCPU" in profile.reasons[0][1]


def test_unconfigured_self_hosted_runner_is_low_confidence_in_an_unknown_region() -> None:
    plan = plan_for(make_activity(runner_labels=["self-hosted", "Linux", "X64"], duration_s=600))
    assert plan.profile is not None
    assert plan.profile.hosting == "self_hosted"
    assert plan.region is None  # -> the resolver's world average
    result = calculate(plan, make_factor(472.94, Confidence.LOW, region="WORLD"), NOW)
    assert result.confidence == Confidence.LOW
    assert result.inputs["runner"]["pue"] == "pue.unknown"


def test_configured_self_hosted_runner_uses_the_operator_profile() -> None:
    config = CalculationConfig(
        self_hosted=SelfHostedConfig(
            vcpu=8, memory_gb=32, cpu_min_w_per_vcpu=1.0, cpu_max_w_per_vcpu=3.0, pue=1.3, region="DE"
        )
    )
    plan = plan_for(make_activity(runner_labels=["self-hosted", "linux"], duration_s=3600), config)
    assert plan.region == "DE"
    result = calculate(plan, make_factor(342.06, Confidence.MEDIUM, region="DE"), NOW)
    # 8 x (1 + 0.5 x 2) W = 16 W CPU, 32 x 0.392 W memory, x 1.3 for one hour
    assert result.energy.compute_kwh == pytest.approx(16 * 1.3 / 1000)
    assert result.energy.memory_kwh == pytest.approx(32 * 0.392 * 1.3 / 1000)
    assert result.confidence == Confidence.MEDIUM


def test_self_hosted_config_reads_the_environment() -> None:
    env = {
        "ECOTRACE_SELF_HOSTED_VCPU": "16",
        "ECOTRACE_SELF_HOSTED_MEMORY_GB": "64",
        "ECOTRACE_SELF_HOSTED_PUE": "1.4",
        "ECOTRACE_SELF_HOSTED_REGION": "FR",
    }
    config = SelfHostedConfig.from_env(env)
    assert (config.vcpu, config.memory_gb, config.pue, config.region, config.configured) == (16, 64, 1.4, "FR", True)
    assert not SelfHostedConfig.from_env({}).configured


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ECOTRACE_SELF_HOSTED_VCPU": "many"}, "ECOTRACE_SELF_HOSTED_VCPU"),
        ({"ECOTRACE_SELF_HOSTED_VCPU": "0"}, "ECOTRACE_SELF_HOSTED_VCPU"),
        ({"ECOTRACE_SELF_HOSTED_MEMORY_GB": "-1"}, "ECOTRACE_SELF_HOSTED_MEMORY_GB"),
        ({"ECOTRACE_SELF_HOSTED_PUE": "0.8"}, "ECOTRACE_SELF_HOSTED_PUE"),
        ({"ECOTRACE_SELF_HOSTED_CPU_MIN_W_PER_VCPU": "1"}, "MAX_W_PER_VCPU"),
        ({"ECOTRACE_SELF_HOSTED_VCPU": "nan"}, "ECOTRACE_SELF_HOSTED_VCPU"),
    ],
)
def test_bad_self_hosted_settings_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        SelfHostedConfig.from_env(env)


def test_reported_region_wins_over_the_default() -> None:
    plan = plan_for(make_activity(runner_labels=["ubuntu-latest"], duration_s=60, region="azure:westeurope"))
    assert plan.region == "azure:westeurope"
    assert not any("does not publish" in text for _, text in plan.reasons)
    default = plan_for(
        make_activity(runner_labels=["ubuntu-latest"], duration_s=60), CalculationConfig("azure:eastus2")
    )
    assert default.region == "azure:eastus2"
