"""Repository visibility picks the GitHub-hosted runner size: public repositories get 4 vCPU / 16 GB, private
ones 2 vCPU / 7 GB (x64) or 2 vCPU / 8 GB (arm64) (GitHub Docs, hosted-runner reference). The webhook may record
it as ``details.repo_private``; the calculator must work with it present (true or false) and absent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecotrace.domain.carbon import calculate, plan_for
from ecotrace.domain.models import Confidence
from ecotrace.services.calculate import CarbonCalculator
from ecotrace.services.calculate_requests import DescribedActivity
from ecotrace.services.carbon import calculate_activity
from ecotrace.tables.activities import from_row as activity_from_row
from ecotrace.tables.activities import to_row as activity_row
from tests.unit.carbon.carbon_builders import EASTUS_G_PER_KWH, NOW, REPO_ROOT, make_activity, make_factor

# Hand formula for a 10-minute job at 415.755 g/kWh, from the cited coefficients (see test_golden.py):
CPU_W_AT_50 = 0.44538981119791665 + 0.5 * (2.0193277994791665 - 0.44538981119791665)  # CCF Azure EPYC 3rd Gen
MEM_W_PER_GB, PUE = 0.392, 1.185  # CCF memory 0.000392 kWh/GB-h; CCF Azure PUE
IN_CPU_GB_PER_VCPU = 1.0  # DRAM already inside CCF's EPYC 3rd Gen watts (its SPECpower servers: 1 GB per thread)
EMBODIED_G_PER_VCPU_H = 1151.7e3 / 128 / 35040  # Eco-CI / Boavizta host, 128 threads, 4 years


def ten_minutes_g(vcpu: int, memory_gb: int) -> float:
    kwh = (vcpu * CPU_W_AT_50 + (memory_gb - vcpu * IN_CPU_GB_PER_VCPU) * MEM_W_PER_GB) * PUE / 6 / 1000
    return kwh * EASTUS_G_PER_KWH + EMBODIED_G_PER_VCPU_H * vcpu / 6


def job(labels: list[str], details: dict[str, Any]) -> Any:
    activity = make_activity(duration_s=600, runner_labels=labels, details=details)
    return calculate(plan_for(activity), make_factor(confidence=Confidence.MEDIUM), NOW)


def visibility_reasons(reasons: tuple[str, ...]) -> list[str]:
    return [r for r in reasons if "visibility" in r]


def test_a_private_repository_job_runs_on_the_2_vcpu_runner() -> None:
    result = job(["ubuntu-latest"], {"repo_private": True})
    assert (result.inputs["runner"]["vcpu"], result.inputs["runner"]["memory_gb"]) == (2, 7)
    assert result.carbon_kg * 1000 == pytest.approx(ten_minutes_g(2, 7), rel=1e-9)  # 0.4489 g
    assert f"{ten_minutes_g(2, 7):.4g}" == "0.4489"
    assert "0.4489 g" in (REPO_ROOT / "METHODOLOGY.md").read_text(encoding="utf-8")
    assert visibility_reasons(result.confidence_reasons) == []
    assert result.inputs["repo_private"] is True


def test_a_public_repository_job_runs_on_the_4_vcpu_runner_without_a_visibility_caveat() -> None:
    result = job(["ubuntu-latest"], {"repo_private": False})
    assert (result.inputs["runner"]["vcpu"], result.inputs["runner"]["memory_gb"]) == (4, 16)
    assert result.carbon_kg * 1000 == pytest.approx(ten_minutes_g(4, 16), rel=1e-9)  # 0.9622 g
    assert visibility_reasons(result.confidence_reasons) == []


@pytest.mark.parametrize("details", [{}, {"repo_private": None}, {"repo_private": "true"}, {"repo_private": 1}])
def test_unknown_visibility_assumes_the_public_runner_and_says_so(details: dict[str, Any]) -> None:
    # absent, null or not a boolean: never an error, the public runner with a medium-confidence reason
    result = job(["ubuntu-latest"], details)
    assert result.inputs["runner"]["vcpu"] == 4
    assert result.carbon_kg * 1000 == pytest.approx(ten_minutes_g(4, 16), rel=1e-9)
    (reason,) = visibility_reasons(result.confidence_reasons)
    assert reason.startswith("medium: repository visibility unknown")
    assert result.confidence == Confidence.MEDIUM
    assert result.inputs["repo_private"] is None


def test_private_arm64_and_windows_jobs_use_their_private_sizes() -> None:
    arm = job(["ubuntu-24.04-arm"], {"repo_private": True})
    assert (arm.inputs["runner"]["vcpu"], arm.inputs["runner"]["memory_gb"]) == (2, 8)
    windows = job(["windows-latest"], {"repo_private": True})
    assert (windows.inputs["runner"]["vcpu"], windows.inputs["runner"]["memory_gb"]) == (2, 7)


def test_visibility_does_not_change_runners_that_do_not_depend_on_it() -> None:
    # macOS, larger runners and self-hosted runners are the same size for public and private repositories
    for labels in (["macos-14"], ["ubuntu-24.04-64core"], ["self-hosted", "linux"]):
        public = job(labels, {"repo_private": False})
        private = job(labels, {"repo_private": True})
        assert public.carbon_kg == private.carbon_kg, labels


def test_the_flag_is_read_from_a_stored_activities_row() -> None:
    # the webhook stores details as a JSON string; the calculator reads the stored row back
    activity = make_activity(duration_s=600, runner_labels=["ubuntu-latest"], details={"repo_private": True})
    row = activity_row(activity, [])
    assert json.loads(row["details"]) == {"repo_private": True}
    back = activity_from_row(row)

    class Factors:
        def resolve(self, region: str | None) -> Any:
            return make_factor(confidence=Confidence.MEDIUM)

    result = calculate_activity(back, Factors(), NOW)
    assert result.carbon_kg * 1000 == pytest.approx(ten_minutes_g(2, 7), rel=1e-9)


def test_what_if_estimates_take_the_visibility_too() -> None:
    class Factors:
        def resolve(self, region: str | None) -> Any:
            return make_factor(confidence=Confidence.MEDIUM)

    calculator = CarbonCalculator(store=None, factors=Factors(), clock=lambda: NOW)  # type: ignore[arg-type]

    def estimate(**kw: Any) -> dict[str, Any]:
        described = DescribedActivity(type="ci_run", duration_s=600, runner_labels=["ubuntu-latest"], **kw)
        return calculator.estimate(described)["result"]

    assert estimate(repo_private=True)["carbon_kg"] * 1000 == pytest.approx(ten_minutes_g(2, 7), rel=1e-9)
    assert estimate(repo_private=False)["carbon_kg"] * 1000 == pytest.approx(ten_minutes_g(4, 16), rel=1e-9)
    unknown = estimate()
    assert unknown["carbon_kg"] * 1000 == pytest.approx(ten_minutes_g(4, 16), rel=1e-9)
    assert visibility_reasons(tuple(unknown["confidence_reasons"]))
