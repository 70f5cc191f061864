"""The shipped coefficients: complete, cited, versioned, and equal to the public sources they cite."""

from __future__ import annotations

import csv
import json

import pytest

from ecotrace.domain.carbon import METHODOLOGY_VERSION, Methodology, default_methodology
from tests.unit.carbon.carbon_builders import REPO_ROOT, SHARED_DATA

M = default_methodology()
DIVISORS = {"git.compression_ratio"}  # a larger value gives less carbon: low/high are swapped on purpose


def test_version_is_the_one_results_store() -> None:
    assert M.version == METHODOLOGY_VERSION
    assert len(M.version) <= 16  # activities.methodology_version / calculations.methodology_version size


def test_loaded_once_per_process() -> None:
    assert default_methodology() is default_methodology()


@pytest.mark.parametrize("key", sorted(M.coefficients))
def test_every_coefficient_is_cited_and_its_bounds_are_ordered(key: str) -> None:
    c = M.coefficients[key]
    assert c.unit
    assert c.source
    assert c.note
    if key in DIVISORS:
        assert c.high <= c.value <= c.low
    else:
        assert c.low <= c.value <= c.high


def test_a_broken_reference_is_refused() -> None:
    data = json.loads((REPO_ROOT / "shared/ecotrace/data/methodology.json").read_text(encoding="utf-8"))
    data["runner_profiles"][0]["cpu"] = "pentium_4"
    with pytest.raises(ValueError, match="pentium_4"):
        Methodology.from_json(data)
    data = json.loads((REPO_ROOT / "shared/ecotrace/data/methodology.json").read_text(encoding="utf-8"))
    del data["coefficients"]["memory.w_per_gb"]["source"]
    with pytest.raises(ValueError, match="source"):
        Methodology.from_json(data)


needs_shared = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="reference data (../shared) not present")


def _csv(name: str) -> list[dict[str, str]]:
    with (SHARED_DATA / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@needs_shared
def test_cpu_coefficients_equal_cloud_carbon_footprint() -> None:
    azure = {row["Architecture"]: row for row in _csv("ccf-coefficients-azure-use.csv")}
    aws = {row["Architecture"]: row for row in _csv("ccf-coefficients-aws-use.csv")}
    assert M.v("cpu.azure_epyc_3rd_gen.min_w_per_vcpu") == float(azure["EPYC 3rd Gen"]["Min Watts"])
    assert M.v("cpu.azure_epyc_3rd_gen.max_w_per_vcpu") == float(azure["EPYC 3rd Gen"]["Max Watts"])
    assert M.v("cpu.arm_neoverse_n1.min_w_per_vcpu") == float(aws["Graviton2"]["Min Watts"])
    assert M.v("cpu.arm_neoverse_n1.max_w_per_vcpu") == float(aws["Graviton2"]["Max Watts"])


@needs_shared
def test_green_algorithms_values_are_the_published_ones() -> None:
    with (SHARED_DATA / "green-algorithms-defaults_PUE.csv").open(encoding="utf-8") as fh:
        pue = {row[0]: float(row[1]) for row in csv.reader(fh) if row and row[0] in ("Unknown", "azure")}
    assert M.c("pue.azure").low == pue["azure"]
    assert M.v("pue.unknown") == pue["Unknown"]
    with (SHARED_DATA / "green-algorithms-referenceValues.csv").open(encoding="utf-8") as fh:
        memory = next(float(row[1]) for row in csv.reader(fh) if row and row[0] == "memoryPower")
    assert M.c("memory.w_per_gb").low == memory


@needs_shared
def test_our_linear_power_model_agrees_with_eco_ci_at_50_percent() -> None:
    """The CCF linear model and Eco-CI's SPECpower curve for the same CPU agree within 5 % at 50 % load."""
    curve = {
        float(r["cpu_utilization_percent"]): float(r["watts"])
        for r in _csv("eco-ci-github-runner-4vcpu-power-curve.csv")
    }
    ours_50 = 4 * (
        M.v("cpu.azure_epyc_3rd_gen.min_w_per_vcpu")
        + 0.5 * (M.v("cpu.azure_epyc_3rd_gen.max_w_per_vcpu") - M.v("cpu.azure_epyc_3rd_gen.min_w_per_vcpu"))
    )
    assert ours_50 == pytest.approx(curve[50.0], rel=0.05)  # METHODOLOGY.md: "within 5 %"


@needs_shared
def test_eastus_golden_intensity_is_the_ccf_value() -> None:
    rows = {row["Region"]: row for row in _csv("ccf-grid-emissions-factors-azure.csv")}
    assert float(rows["East US"]["CO2e (metric ton/kWh)"]) * 1e6 == pytest.approx(415.755)


@needs_shared
@pytest.mark.parametrize(
    ("family", "row"), [("skylake", "Sky Lake"), ("cascade_lake", "Cascade Lake"), ("epyc_2nd_gen", "EPYC 2nd Gen")]
)
def test_fleet_cpu_families_equal_cloud_carbon_footprint(family: str, row: str) -> None:
    aws = {r["Architecture"]: r for r in _csv("ccf-coefficients-aws-use.csv")}
    assert M.v(f"cpu.{family}.min_w_per_vcpu") == float(aws[row]["Min Watts"])
    assert M.v(f"cpu.{family}.max_w_per_vcpu") == float(aws[row]["Max Watts"])


def test_every_cpu_family_says_how_much_memory_its_watts_hold() -> None:
    families = {k.split(".")[1] for k in M.coefficients if k.startswith("cpu.") and k.endswith(".min_w_per_vcpu")}
    for family in families | {"apple_m1"}:
        assert M.v(f"cpu.{family}.included_memory_gb_per_vcpu") > 0
    data = json.loads((REPO_ROOT / "shared/ecotrace/data/methodology.json").read_text(encoding="utf-8"))
    del data["coefficients"]["cpu.skylake.included_memory_gb_per_vcpu"]
    with pytest.raises(ValueError, match="skylake"):
        Methodology.from_json(data)


@needs_shared
def test_the_shipped_hardware_tables_are_green_algorithms_own() -> None:
    shipped = REPO_ROOT / "shared/ecotrace/data/green-algorithms/TDP_cpu.csv"
    assert shipped.read_bytes() == (SHARED_DATA / "green-algorithms-TDP_cpu.csv").read_bytes()


@needs_shared
def test_the_memory_inside_epyc_3rd_gen_watts_is_ccf_s_gb_per_chip_over_its_threads() -> None:
    """CCF's 'EPYC 3rd Gen' servers carry 128 GB per chip (its GB/Chip column); an EPYC 7763 chip has 64 cores,
    128 threads (Green Algorithms' table): 1 GB per vCPU, the figure the memory term subtracts."""
    azure = {row["Architecture"]: row for row in _csv("ccf-coefficients-azure-use.csv")}
    gb_per_chip = float(azure["EPYC 3rd Gen"]["GB/Chip"])
    with (SHARED_DATA / "green-algorithms-TDP_cpu.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))[2:]  # row 0 holds units, row 1 the column names (model, TDP, n_cores, ...)
    cores = next(int(row[2]) for row in rows if row and row[0] == "AMD EPYC 7763")
    assert M.v("cpu.azure_epyc_3rd_gen.included_memory_gb_per_vcpu") == gb_per_chip / (2 * cores)


def test_every_cpu_family_a_fleet_file_may_name_has_the_method_s_figures() -> None:
    """The fleet file's ``cpu.family`` choices are checked by pydantic; each must have its watts and included
    memory in the method, or a valid fleet file would fail at calculation time."""
    from ecotrace.domain.carbon.fleet import CPU_FAMILIES
    from ecotrace.domain.carbon.profiles import CPU_NAMES

    for family in CPU_FAMILIES:
        for what in ("min_w_per_vcpu", "max_w_per_vcpu", "included_memory_gb_per_vcpu"):
            assert f"cpu.{family}.{what}" in M.coefficients
        assert family in CPU_NAMES
