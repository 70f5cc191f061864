"""Golden examples: computed here by hand from the cited coefficients (literals below, each with its
source), compared with the method, and with the figures printed in METHODOLOGY.md (4 significant figures).

Stated region for all three: Azure East US, 415.755 gCO2e/kWh (Cloud Carbon Footprint grid factor
0.000415755 t/kWh, upstream EPA eGRID), a medium-confidence annual value.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from ecotrace.domain.carbon import calculate, default_methodology, plan_for
from ecotrace.domain.models import Confidence
from tests.unit.carbon.carbon_builders import EASTUS_G_PER_KWH, NOW, REPO_ROOT, make_activity, make_factor

# ---- cited coefficients (the test's own copy; test_methodology_data checks the shipped data agrees) ----
CPU_MIN_W = 0.44538981119791665  # W/vCPU, CCF coefficients-azure-use.csv, EPYC 3rd Gen
CPU_MAX_W = 2.0193277994791665  # W/vCPU, same row
UTIL, UTIL_LOW, UTIL_HIGH = 0.5, 0.0, 1.0  # CCF default utilisation; physical bounds
MEM_W_PER_GB, MEM_W_PER_GB_LOW = 0.392, 0.3725  # CCF 0.000392 kWh/GB-h; Green Algorithms 0.3725 W/GB
# DRAM inside CCF's EPYC 3rd Gen watts: its SPECpower servers carry 1 GB per thread (CCF methodology, Memory)
IN_CPU_GB_PER_VCPU = 1.0
EXCESS_SHARE, EXCESS_SHARE_LOW = 1.0, 0.0  # CCF: add the memory beyond it; Eco-CI: its whole-machine curve has it
PUE, PUE_LOW = 1.185, 1.12  # CCF Azure; Green Algorithms azure
EMBODIED_KG, HOST_THREADS, LIFETIME_H = 1151.7, 128, 35040  # Eco-CI/Boavizta host, EPYC 7763 threads, 4 y
GRID_MEDIUM_LOW, GRID_MEDIUM_HIGH = 0.75, 1.25  # EcoTrace range for a medium-confidence factor
BYTES_PER_LINE, COMPRESSION = 35.5, 3.87  # EcoTrace measurement on CPython 3.11 Lib/*.py
PER_FILE_B, PER_PUSH_B = 200, 4000  # EcoTrace assumptions
NETWORK_KWH_PER_GB = 0.001  # CCF / GSF Impact Framework
REPLICAS, SSD_WH_PER_TB_H, HORIZON_H = 3, 1.2, 8760  # GitHub DGit; CCF SSD; one year
SERVER_VCPU_S = 2.0  # EcoTrace assumption per commit

I = EASTUS_G_PER_KWH  # noqa: E741 - SCI's symbol


def methodology_text() -> str:
    return (REPO_ROOT / "METHODOLOGY.md").read_text(encoding="utf-8")


def sig4(value: float) -> str:
    return f"{value:.4g}"


def plain4(value: float) -> str:
    """4 significant figures in positional notation (0.00002952, not 2.952e-05), as the document prints them."""
    return f"{Decimal(sig4(value)):f}"


def runner_g(vcpu: int, memory_gb: float, minutes: float, util: float, mem_w: float, pue: float, **kw: float) -> float:
    """Hand formula: (vCPU x (min + u (max - min)) + (GB - vCPU x 1 GB) x W/GB x share) x PUE x h x I + embodied."""
    hours = minutes / 60
    grid = I * kw.get("grid", 1.0)
    embodied_kg = kw.get("embodied_kg", EMBODIED_KG)
    share = kw.get("share", EXCESS_SHARE)
    cpu_w = vcpu * (CPU_MIN_W + util * (CPU_MAX_W - CPU_MIN_W))
    kwh = (cpu_w + (memory_gb - vcpu * IN_CPU_GB_PER_VCPU) * mem_w * share) * pue * hours / 1000
    embodied_g = embodied_kg * 1000 / HOST_THREADS / LIFETIME_H * vcpu * hours
    return kwh * grid + embodied_g


def test_ten_minute_ubuntu_latest_job_in_azure_east_us() -> None:
    # GIVEN a 10-minute ubuntu-latest job in a public repository (4 vCPU, 16 GB)
    activity = make_activity(duration_s=600, runner_labels=["ubuntu-latest"], details={"repo_private": False})
    factor = make_factor(confidence=Confidence.MEDIUM)
    # WHEN it is calculated
    result = calculate(plan_for(activity), factor, NOW)
    # THEN central, low and high match the hand calculation
    central_g = runner_g(4, 16, 10, UTIL, MEM_W_PER_GB, PUE)
    low_g = runner_g(
        4, 16, 10, UTIL_LOW, MEM_W_PER_GB_LOW, PUE_LOW, grid=GRID_MEDIUM_LOW, embodied_kg=EMBODIED_KG / 2, share=0
    )
    high_g = runner_g(4, 16, 10, UTIL_HIGH, MEM_W_PER_GB, PUE, grid=GRID_MEDIUM_HIGH, embodied_kg=EMBODIED_KG * 2)
    assert result.carbon_kg * 1000 == pytest.approx(central_g, rel=1e-9)
    assert result.carbon_kg_low * 1000 == pytest.approx(low_g, rel=1e-9)
    assert result.carbon_kg_high * 1000 == pytest.approx(high_g, rel=1e-9)
    # and the energy breakdown: compute 4 x 1.23236 W, memory (16 - 4) x 0.392 = 4.704 W, both x 1.185 for 1/6 h
    assert result.energy.compute_kwh == pytest.approx(
        4 * (CPU_MIN_W + 0.5 * (CPU_MAX_W - CPU_MIN_W)) * 1.185 / 6 / 1000, rel=1e-9
    )
    assert result.energy.memory_kwh == pytest.approx(12 * 0.392 * 1.185 / 6 / 1000, rel=1e-9)
    assert result.energy.network_kwh == 0
    assert result.energy.storage_kwh == 0
    # AND METHODOLOGY.md prints the same figures to 4 significant figures
    assert (sig4(central_g), sig4(low_g), sig4(high_g)) == ("0.9622", "0.1893", "1.654")
    text = methodology_text()
    for figure in ("0.9622 g", "0.1893 g", "1.654 g"):
        assert figure in text


def test_four_vcpu_job_against_a_64_vcpu_larger_runner() -> None:
    factor = make_factor(confidence=Confidence.MEDIUM)
    small = make_activity(duration_s=600, runner_labels=["ubuntu-latest"], details={"repo_private": False})
    large = make_activity(duration_s=600, runner_labels=["ubuntu-24.04-64core"])
    small_r = calculate(plan_for(small), factor, NOW)
    large_r = calculate(plan_for(large), factor, NOW)
    # Larger x64 runners have 4 GB per vCPU (GitHub Docs): 64 vCPU, 256 GB.
    expected_large_g = runner_g(64, 256, 10, UTIL, MEM_W_PER_GB, PUE)
    assert large_r.carbon_kg * 1000 == pytest.approx(expected_large_g, rel=1e-9)
    assert large_r.carbon_kg / small_r.carbon_kg == pytest.approx(16.0, rel=1e-12)
    assert large_r.inputs["runner"]["vcpu"] == 64
    assert large_r.inputs["runner"]["memory_gb"] == 256
    assert sig4(expected_large_g) == "15.4"
    assert "15.40 g" in methodology_text()


def test_commit_of_200_changed_lines() -> None:
    # GIVEN a commit with 150 added and 50 deleted lines in 4 files
    activity = make_activity(type="commit", lines_added=150, lines_deleted=50, files_changed=4, source_event="push")
    result = calculate(plan_for(activity), make_factor(confidence=Confidence.MEDIUM), NOW)
    # THEN by hand:
    code_b = 200 * BYTES_PER_LINE / COMPRESSION  # 1,834.6 B compressed
    objects_b = code_b + 4 * PER_FILE_B  # 2,634.6 B stored per replica
    network_kwh = (objects_b + PER_PUSH_B) / 1e9 * NETWORK_KWH_PER_GB
    storage_kwh = objects_b * REPLICAS / 1e12 * SSD_WH_PER_TB_H * HORIZON_H * PUE / 1000
    server_kwh = SERVER_VCPU_S / 3600 * CPU_MAX_W * PUE / 1000
    embodied_g = EMBODIED_KG * 1000 / HOST_THREADS / LIFETIME_H * SERVER_VCPU_S / 3600
    central_g = (network_kwh + storage_kwh + server_kwh) * I + embodied_g
    assert result.energy.network_kwh == pytest.approx(network_kwh, rel=1e-9)
    assert result.energy.storage_kwh == pytest.approx(storage_kwh, rel=1e-9)
    assert result.energy.compute_kwh == pytest.approx(server_kwh, rel=1e-9)
    assert result.carbon_kg * 1000 == pytest.approx(central_g, rel=1e-9)
    assert sig4(central_g) == "0.000739"
    assert "0.000739 g" in methodology_text()
    # the commit is medium at best: no published measurement of a git push's energy
    assert result.confidence == Confidence.MEDIUM


def test_golden_examples_use_the_shipped_method_version() -> None:
    m = default_methodology()
    assert f"`{m.version}`" in methodology_text()


def test_larger_runner_bounds_quoted_in_methodology() -> None:
    large = make_activity(duration_s=600, runner_labels=["ubuntu-24.04-64core"])
    result = calculate(plan_for(large), make_factor(confidence=Confidence.MEDIUM), NOW)
    low_g = runner_g(
        64, 256, 10, UTIL_LOW, MEM_W_PER_GB_LOW, PUE_LOW, grid=GRID_MEDIUM_LOW, embodied_kg=EMBODIED_KG / 2, share=0
    )
    high_g = runner_g(64, 256, 10, UTIL_HIGH, MEM_W_PER_GB, PUE, grid=GRID_MEDIUM_HIGH, embodied_kg=EMBODIED_KG * 2)
    assert result.carbon_kg_low * 1000 == pytest.approx(low_g, rel=1e-9)
    assert result.carbon_kg_high * 1000 == pytest.approx(high_g, rel=1e-9)
    assert f"(bounds {sig4(low_g)}-{sig4(high_g)} g)" in methodology_text()  # 3.029-26.47 g


def test_commit_bounds_quoted_in_methodology() -> None:
    # the low and high values of each coefficient, from methodology.json's cited ranges
    def commit_g(case: dict[str, float]) -> float:
        code_b = 200 * case["bytes_per_line"] / case["compression"]
        objects_b = code_b + 4 * case["per_file_b"]
        network_kwh = (objects_b + case["per_push_b"]) / 1e9 * case["network_kwh_per_gb"]
        storage_kwh = objects_b * REPLICAS / 1e12 * case["storage_wh_per_tb_h"] * HORIZON_H * case["pue"] / 1000
        server_kwh = case["server_s"] / 3600 * CPU_MAX_W * case["pue"] / 1000
        embodied_g = case["embodied_kg"] * 1000 / HOST_THREADS / LIFETIME_H * case["server_s"] / 3600
        return (network_kwh + storage_kwh + server_kwh) * I * case["grid"] + embodied_g

    low = {  # 20 B/line (assumption), zlib ratio 6, 100 B/file, 1,000 B/push, 0 kWh/GB (marginal view),
        # HDD 0.65 Wh/TB-h (CCF), PUE 1.12 (Green Algorithms), 0.1 vCPU-s (measured floor), embodied x0.5, grid x0.75
        "bytes_per_line": 20, "compression": 6.0, "per_file_b": 100, "per_push_b": 1000, "network_kwh_per_gb": 0.0,
        "storage_wh_per_tb_h": 0.65, "pue": PUE_LOW, "server_s": 0.1, "embodied_kg": EMBODIED_KG / 2,
        "grid": GRID_MEDIUM_LOW,
    }  # fmt: skip
    high = {  # 80 B/line, ratio 2, 1,000 B/file, 20,000 B/push, 0.0028 kWh/GB (Green Coding 2024), SSD 1.2,
        # PUE 1.185 (CCF), 10 vCPU-s, embodied x2, grid x1.25
        "bytes_per_line": 80, "compression": 2.0, "per_file_b": 1000, "per_push_b": 20000,
        "network_kwh_per_gb": 0.0028, "storage_wh_per_tb_h": SSD_WH_PER_TB_H, "pue": PUE, "server_s": 10.0,
        "embodied_kg": EMBODIED_KG * 2, "grid": GRID_MEDIUM_HIGH,
    }  # fmt: skip
    activity = make_activity(type="commit", lines_added=150, lines_deleted=50, files_changed=4, source_event="push")
    result = calculate(plan_for(activity), make_factor(confidence=Confidence.MEDIUM), NOW)
    assert result.carbon_kg_low * 1000 == pytest.approx(commit_g(low), rel=1e-9)
    assert result.carbon_kg_high * 1000 == pytest.approx(commit_g(high), rel=1e-9)
    assert f"(bounds {plain4(commit_g(low))}-{plain4(commit_g(high))} g)" in methodology_text()  # 0.00002952-0.005161


def test_the_pytorch_job_with_and_without_the_example_fleet() -> None:
    from ecotrace.adapters.fleet_file import load_fleet
    from ecotrace.domain.carbon import CalculationConfig

    # GIVEN pytorch's 526 s linux.2xlarge job (group Default, an EC2 runner) at 400 g/kWh, medium confidence
    job = make_activity(
        duration_s=526, runner_labels=["linux.2xlarge"], runner_name="i-0b2f", details={"runner_group": "Default"}
    )
    hours = 526 / 3600
    factor = make_factor(400.0, Confidence.MEDIUM)
    fleet = CalculationConfig(fleet=load_fleet("ecotrace:fleets/pytorch-scale-config.json"))
    # WITH the fleet: c5.2xlarge, CCF Skylake (0.6446-4.1934 W per vCPU; its servers hold 1.639 GB per thread), AWS
    skylake_w = 0.6446044454253452 + 0.5 * (4.193436438541878 - 0.6446044454253452)
    kwh = (8 * skylake_w + (16 - 8 * 1.6393) * MEM_W_PER_GB) * 1.135 * hours / 1000
    with_fleet_g = kwh * 400 + EMBODIED_KG * 1000 / HOST_THREADS / LIFETIME_H * 8 * hours
    result = calculate(plan_for(job, fleet), factor, NOW)
    assert result.carbon_kg * 1000 == pytest.approx(with_fleet_g, rel=1e-9)
    # WITHOUT: unknown size, central 4 vCPU at CCF's average (0.74-3.54 W; 1.449 GB per thread), PUE unknown 1.56
    average_w = 0.74 + 0.5 * (3.54 - 0.74)
    kwh = (4 * average_w + (16 - 4 * 1.4488) * MEM_W_PER_GB) * 1.56 * hours / 1000
    without_g = kwh * 400 + EMBODIED_KG * 1000 / HOST_THREADS / LIFETIME_H * 4 * hours
    bare = calculate(plan_for(job), factor, NOW)
    assert bare.carbon_kg * 1000 == pytest.approx(without_g, rel=1e-9)
    assert (result.confidence, bare.confidence) == (Confidence.MEDIUM, Confidence.LOW)
    # AND the bounds by hand. Low: idle CPU, no memory beyond the CPU's (Eco-CI's view), low PUE, grid x0.75,
    # embodied x0.5; high: full load, CCF's memory rule, high PUE, grid x1.25, embodied x2.
    embodied_g_per_vcpu_h = EMBODIED_KG * 1000 / HOST_THREADS / LIFETIME_H
    with_low_g = 8 * 0.6446044454253452 * 1.135 * hours / 1000 * 400 * 0.75 + embodied_g_per_vcpu_h / 2 * 8 * hours
    with_high_w = 8 * 4.193436438541878 + (16 - 8 * 1.6393) * MEM_W_PER_GB  # PUE: Green Algorithms' AWS 1.2
    with_high_g = with_high_w * 1.2 * hours / 1000 * 400 * 1.25 + embodied_g_per_vcpu_h * 2 * 8 * hours
    # without the fleet the machine itself ranges: 1 vCPU, 2 GB (low) to 96 vCPU, 384 GB (high); PUE 1.0-1.56
    bare_low_g = 1 * 0.74 * 1.0 * hours / 1000 * 400 * 0.75 + embodied_g_per_vcpu_h / 2 * 1 * hours
    bare_high_w = 96 * 3.54 + (384 - 96 * 1.4488) * MEM_W_PER_GB
    bare_high_g = bare_high_w * 1.56 * hours / 1000 * 400 * 1.25 + embodied_g_per_vcpu_h * 2 * 96 * hours
    assert result.carbon_kg_low * 1000 == pytest.approx(with_low_g, rel=1e-9)
    assert result.carbon_kg_high * 1000 == pytest.approx(with_high_g, rel=1e-9)
    assert bare.carbon_kg_low * 1000 == pytest.approx(bare_low_g, rel=1e-9)
    assert bare.carbon_kg_high * 1000 == pytest.approx(bare_high_g, rel=1e-9)
    text = methodology_text()
    for central, low, high in ((with_fleet_g, with_low_g, with_high_g), (without_g, bare_low_g, bare_high_g)):
        quoted = f"**{sig4(central)} g** (bounds {sig4(low)}-{sig4(high)} g)"  # 1.659 (0.4066-3.64), 1.295 (...)
        assert quoted in text, quoted
