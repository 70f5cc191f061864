"""Cross-checks: the CI estimate lands between two published anchors computed here from their own
formulas and data files (read from ../shared, the reference material):

- Green Algorithms (Lannelongue et al. 2021): E = h x (PUE x cores x W_per_core x usage + PUE x GB x 0.3725) / 1000,
  carbon = E x CI (no embodied term). W per core of the AMD EPYC 7763 and Azure's PUE from its CSV files.
- Eco-CI (green-coding-solutions): the GitHub runner power curve (W for 4 vCPU = 4/128 threads of an EPYC 7763),
  scaled by threads, no PUE and no memory, plus embodied 1,151.7 kg x vCPU/128 over 4 years.

Same runner, duration, grid intensity and CPU utilisation (50 %, the method's assumption) for all three.
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecotrace.domain.carbon import calculate, plan_for
from tests.unit.carbon.carbon_builders import NOW, SHARED_DATA, make_activity, make_factor

pytestmark = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="reference data (../shared) not present")

UTILISATION = 0.5


def _rows(name: str) -> list[list[str]]:
    with (SHARED_DATA / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def eco_ci_watts_4vcpu(utilisation_pct: float) -> float:
    points = [(float(r[0]), float(r[1])) for r in _rows("eco-ci-github-runner-4vcpu-power-curve.csv")[1:]]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if x0 <= utilisation_pct <= x1:
            return y0 + (y1 - y0) * (utilisation_pct - x0) / (x1 - x0)
    raise AssertionError("utilisation outside the curve")


def green_algorithms_w_per_core(model: str) -> float:
    for row in _rows("green-algorithms-TDP_cpu.csv"):
        if row and row[0].strip() == model:
            return float(row[3])
    raise AssertionError(f"{model} not in the Green Algorithms TDP table")


def green_algorithms_pue(provider: str) -> float:
    for row in _rows("green-algorithms-defaults_PUE.csv"):
        if row and row[0] == provider:
            return float(row[1])
    raise AssertionError(provider)


def green_algorithms_memory_w_per_gb() -> float:
    for row in _rows("green-algorithms-referenceValues.csv"):
        if row and row[0] == "memoryPower":
            return float(row[1])
    raise AssertionError("memoryPower")


def green_algorithms_g(cores: int, memory_gb: float, hours: float, grid_g: float) -> float:
    """Green Algorithms' carbon (operational only: the tool has no embodied term)."""
    pue = green_algorithms_pue("azure")
    watts = pue * cores * green_algorithms_w_per_core("AMD EPYC 7763") * UTILISATION
    watts += pue * memory_gb * green_algorithms_memory_w_per_gb()
    return hours * watts / 1000 * grid_g


def eco_ci_embodied_g(vcpu: int, hours: float) -> float:
    return 1151.7e3 * vcpu / 128 / (4 * 365 * 24) * hours


def eco_ci_operational_g(vcpu: int, hours: float, grid_g: float) -> float:
    return eco_ci_watts_4vcpu(UTILISATION * 100) * vcpu / 4 * hours / 1000 * grid_g


def eco_ci_g(vcpu: int, hours: float, grid_g: float) -> float:
    return eco_ci_operational_g(vcpu, hours, grid_g) + eco_ci_embodied_g(vcpu, hours)


def test_anchor_inputs_are_what_the_reference_states() -> None:
    # the published figures the anchors rest on, read from the files
    assert green_algorithms_w_per_core("AMD EPYC 7763") == 4.4
    assert green_algorithms_pue("azure") == 1.12
    assert green_algorithms_memory_w_per_gb() == 0.3725
    assert eco_ci_watts_4vcpu(50) == pytest.approx(5.16, abs=0.01)
    # Eco-CI's embodied per 4-vCPU runner-minute: 0.0171 g
    assert eco_ci_g(4, 1 / 60, 0.0) == pytest.approx(0.0171, abs=5e-5)


RUNNERS = [("ubuntu-latest", 4, 16), ("ubuntu-24.04-16core", 16, 64), ("linux-64-cores", 64, 256)]


@settings(max_examples=60, deadline=None)
@given(
    runner=st.sampled_from(RUNNERS),
    minutes=st.floats(min_value=0.5, max_value=360),
    grid_g=st.floats(min_value=5, max_value=1200),
)
def test_ci_estimate_lies_between_green_algorithms_and_eco_ci(
    runner: tuple[str, int, int], minutes: float, grid_g: float
) -> None:
    label, vcpu, memory_gb = runner
    hours = minutes / 60
    activity = make_activity(duration_s=minutes * 60, runner_labels=[label], details={"repo_private": False})
    result = calculate(plan_for(activity), make_factor(grid_g), NOW)
    # operational carbon (E x I) against both tools' operational carbon
    ours_operational_g = result.energy_kwh * grid_g
    assert (
        eco_ci_operational_g(vcpu, hours, grid_g)
        <= ours_operational_g
        <= green_algorithms_g(vcpu, memory_gb, hours, grid_g)
    )
    # total carbon: Eco-CI's total below; Green Algorithms given the same embodied term above
    ours_g = result.carbon_kg * 1000
    assert eco_ci_g(vcpu, hours, grid_g) <= ours_g
    assert ours_g <= green_algorithms_g(vcpu, memory_gb, hours, grid_g) + eco_ci_embodied_g(vcpu, hours)
    # our embodied share is Eco-CI's (same Boavizta host figure and allocation)
    assert result.energy.embodied_kg * 1000 == pytest.approx(eco_ci_embodied_g(vcpu, hours), rel=1e-9)


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("grid_g", [415.755, 472.94, 708.96])  # Azure East US (CCF), world and India (Ember 2024)
def test_total_lies_between_the_raw_anchors_at_typical_grid_intensities(
    runner: tuple[str, int, int], grid_g: float
) -> None:
    label, vcpu, memory_gb = runner
    activity = make_activity(duration_s=600, runner_labels=[label], details={"repo_private": False})
    ours_g = calculate(plan_for(activity), make_factor(grid_g), NOW).carbon_kg * 1000
    assert eco_ci_g(vcpu, 1 / 6, grid_g) <= ours_g <= green_algorithms_g(vcpu, memory_gb, 1 / 6, grid_g)


def test_on_very_clean_grids_the_total_exceeds_raw_green_algorithms() -> None:
    """The documented departure: Green Algorithms counts no embodied carbon, so on very clean grids our total
    (which includes ~0.17 g per 4-vCPU runner per 10 minutes) is above its figure."""
    activity = make_activity(duration_s=600, runner_labels=["ubuntu-latest"], details={"repo_private": False})
    ours_g = calculate(plan_for(activity), make_factor(44.18), NOW).carbon_kg * 1000  # France, Ember 2024
    assert ours_g > green_algorithms_g(4, 16, 1 / 6, 44.18)
    # the crossing METHODOLOGY.md quotes ("below about 200 g/kWh"): where the two totals meet
    ours_200 = calculate(plan_for(activity.model_copy()), make_factor(200.0), NOW).carbon_kg * 1000
    ours_202 = calculate(plan_for(activity.model_copy()), make_factor(202.0), NOW).carbon_kg * 1000
    assert ours_200 > green_algorithms_g(4, 16, 1 / 6, 200.0)
    assert ours_202 < green_algorithms_g(4, 16, 1 / 6, 202.0)


def test_ten_minute_job_figures_quoted_in_methodology() -> None:
    # the three figures METHODOLOGY.md quotes for the 10-minute job at 415.755 g/kWh
    ga = green_algorithms_g(4, 16, 1 / 6, 415.755)
    eco = eco_ci_g(4, 1 / 6, 415.755)
    text = (Path(__file__).resolve().parents[3] / "METHODOLOGY.md").read_text(encoding="utf-8")
    assert f"{ga:.4g} g" in text
    assert f"{eco:.4g} g" in text


# ---- fleet machines (the example fleet, ecotrace:fleets/pytorch-scale-config.json) ----------------------------
#
# Green Algorithms' table has no Xeon Platinum 8124M / 8275CL / 8259CL (AWS's c5, c5 large sizes and g4dn CPUs);
# its Xeon Platinum 8260 (Cascade Lake, 24 cores, 165 W: 6.9 W per core) stands in, as in the issue's own figure.
# Eco-CI publishes no curve for these machines and the Cloud Energy training data is not shipped here, so its
# model is applied in its own form: the SPECpower whole-machine wall power of the CPU family per thread (the data
# Cloud Energy is trained on, here CCF's per-family averages of it) x vCPU at 50 %, no PUE, no memory term, plus
# the GPU's TDP x utilisation and Eco-CI's embodied share.

FLEET_CASES = [  # (label, duration s, vCPU, GB, CCF row, GPUs, W per GPU)
    ("linux.2xlarge", 526, 8, 16, "Sky Lake", 0, 0.0),  # c5.2xlarge: the job of issue 12
    ("linux.large", 600, 2, 4, "Sky Lake", 0, 0.0),  # c5.large
    ("linux.24xlarge", 600, 96, 192, "Cascade Lake", 0, 0.0),  # c5.24xlarge
    ("linux.g4dn.12xlarge.nvidia.gpu", 600, 48, 192, "Cascade Lake", 4, 70.0),  # g4dn.12xlarge, 4 x T4
]


def ccf_aws_w_per_vcpu(row: str, utilisation: float) -> float:
    for r in _rows("ccf-coefficients-aws-use.csv")[1:]:
        if r[1] == row:
            return float(r[2]) + utilisation * (float(r[3]) - float(r[2]))
    raise AssertionError(row)


def green_algorithms_machine_g(vcpu: int, gb: float, hours: float, grid_g: float, gpus: int, gpu_w: float) -> float:
    pue = green_algorithms_pue("aws")
    watts = pue * vcpu * green_algorithms_w_per_core("Xeon Platinum 8260") * UTILISATION
    watts += pue * gb * green_algorithms_memory_w_per_gb() + pue * gpus * gpu_w * UTILISATION
    return hours * watts / 1000 * grid_g


def eco_ci_machine_g(vcpu: int, hours: float, grid_g: float, row: str, gpus: int, gpu_w: float) -> float:
    watts = vcpu * ccf_aws_w_per_vcpu(row, UTILISATION) + gpus * gpu_w * UTILISATION
    return watts * hours / 1000 * grid_g + eco_ci_embodied_g(vcpu, hours)


def fleet_job_g(label: str, duration_s: float, grid_g: float, fleet: bool = True) -> tuple[float, float, float]:
    from ecotrace.adapters.fleet_file import load_fleet
    from ecotrace.domain.carbon import CalculationConfig

    config = CalculationConfig(fleet=load_fleet("ecotrace:fleets/pytorch-scale-config.json") if fleet else None)
    activity = make_activity(
        duration_s=duration_s,
        runner_labels=[label],
        runner_name="i-0b2f4c1d7e8a9f012",
        details={"runner_group": "Default"},
    )
    result = calculate(plan_for(activity, config), make_factor(grid_g), NOW)
    return result.carbon_kg_low * 1000, result.carbon_kg * 1000, result.carbon_kg_high * 1000


def test_issue_12_figures_for_the_true_machine() -> None:
    # Green Algorithms on a c5.2xlarge for the 526 s job at 400 g/kWh: the 2.35 g the issue quotes
    assert green_algorithms_machine_g(8, 16, 526 / 3600, 400, 0, 0.0) == pytest.approx(2.354, abs=0.001)


@pytest.mark.parametrize("case", FLEET_CASES, ids=[c[0] for c in FLEET_CASES])
@pytest.mark.parametrize("grid_g", [400.0, 415.755, 708.96])
def test_fleet_jobs_land_between_eco_ci_and_green_algorithms_for_their_true_machine(
    case: tuple[str, int, int, int, str, int, float], grid_g: float
) -> None:
    label, duration_s, vcpu, gb, row, gpus, gpu_w = case
    hours = duration_s / 3600
    _, ours_g, _ = fleet_job_g(label, duration_s, grid_g)
    assert (
        eco_ci_machine_g(vcpu, hours, grid_g, row, gpus, gpu_w)
        <= ours_g
        <= green_algorithms_machine_g(vcpu, gb, hours, grid_g, gpus, gpu_w)
    )


@pytest.mark.parametrize("case", FLEET_CASES, ids=[c[0] for c in FLEET_CASES])
def test_without_the_fleet_file_the_range_still_holds_the_true_machine(
    case: tuple[str, int, int, int, str, int, float],
) -> None:
    """No fleet rule: not a confident 4-vCPU Azure figure but a wide, low-confidence range around both anchors."""
    label, duration_s, vcpu, gb, row, gpus, gpu_w = case
    hours = duration_s / 3600
    low_g, _, high_g = fleet_job_g(label, duration_s, 400.0, fleet=False)
    assert low_g <= eco_ci_machine_g(vcpu, hours, 400.0, row, gpus, gpu_w)
    assert green_algorithms_machine_g(vcpu, gb, hours, 400.0, gpus, gpu_w) <= high_g


def test_fleet_figures_quoted_in_methodology() -> None:
    text = (Path(__file__).resolve().parents[3] / "METHODOLOGY.md").read_text(encoding="utf-8")
    for label, duration_s, vcpu, gb, row, gpus, gpu_w in FLEET_CASES:
        hours = duration_s / 3600
        low_g, ours_g, high_g = fleet_job_g(label, duration_s, 400.0)
        eco = eco_ci_machine_g(vcpu, hours, 400.0, row, gpus, gpu_w)
        ga = green_algorithms_machine_g(vcpu, gb, hours, 400.0, gpus, gpu_w)
        quoted = f"| {eco:.4g} g | {ours_g:.4g} g ({low_g:.4g}-{high_g:.4g}) | {ga:.4g} g |"
        assert quoted in text, quoted
