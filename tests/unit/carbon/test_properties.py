"""Properties of the method over many inputs: non-negative, ordered bounds, monotone in duration and size,
and unknown inputs lower the confidence instead of failing."""

from __future__ import annotations

from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ecotrace.domain.carbon import CalculationConfig, CarbonResult, SelfHostedConfig, calculate, plan_for
from ecotrace.domain.models import Activity, Confidence
from tests.unit.carbon.carbon_builders import NOW, make_activity, make_factor

KNOWN_LABELS = [
    "ubuntu-latest",
    "ubuntu-22.04",
    "windows-latest",
    "ubuntu-slim",
    "ubuntu-24.04-arm",
    "macos-14",
    "macos-13",
    "macos-15-xlarge",
    "macos-14-large",
    "gpu-t4-4-core",
    "ubuntu-22.04-8core",
    "linux-arm-32-cores",
    "self-hosted",
]
labels_st = st.lists(st.one_of(st.sampled_from(KNOWN_LABELS), st.text(max_size=30)), max_size=4)
confidence_st = st.sampled_from(list(Confidence))
grid_st = st.floats(min_value=0, max_value=2000)
duration_st = st.one_of(st.none(), st.floats(min_value=0, max_value=7 * 86400))
count_st = st.one_of(st.none(), st.integers(min_value=0, max_value=5_000_000))


def run(activity: Activity, grid_g: float = 400.0, conf: Confidence = Confidence.HIGH, **cfg: Any) -> CarbonResult:
    return calculate(plan_for(activity, CalculationConfig(**cfg)), make_factor(grid_g, conf), NOW)


def check_sane(result: CarbonResult) -> None:
    e = result.energy
    assert min(e.compute_kwh, e.memory_kwh, e.network_kwh, e.storage_kwh, e.embodied_kg) >= 0
    assert 0 <= result.carbon_kg_low <= result.carbon_kg <= result.carbon_kg_high
    assert 0 <= result.energy_kwh_low <= result.energy_kwh <= result.energy_kwh_high
    assert result.confidence_reasons


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from(["ci_run", "deployment", "commit", "pr"]),
    labels=labels_st,
    duration=duration_st,
    added=count_st,
    deleted=count_st,
    files=count_st,
    private=st.one_of(st.none(), st.booleans()),
    region=st.one_of(st.none(), st.text(max_size=64)),
    grid_g=grid_st,
    conf=confidence_st,
    counted=st.booleans(),
)
def test_any_activity_gives_a_sane_result(
    kind: str,
    labels: list[str],
    duration: float | None,
    added: int | None,
    deleted: int | None,
    files: int | None,
    private: bool | None,
    region: str | None,
    grid_g: float,
    conf: Confidence,
    counted: bool,
) -> None:
    activity = make_activity(
        type=kind,
        runner_labels=labels,
        duration_s=duration,
        lines_added=added,
        lines_deleted=deleted,
        files_changed=files,
        region=region,
        counted=counted,
        details={"repo_private": private},
    )
    result = run(activity, grid_g, conf)
    check_sane(result)
    if not counted:
        assert result.carbon_kg == 0
        assert "not counted" in result.confidence_reasons[0]


@settings(max_examples=100, deadline=None)
@given(
    kind=st.sampled_from(["ci_run", "deployment"]),
    labels=labels_st,
    d1=st.floats(min_value=0, max_value=86400),
    d2=st.floats(min_value=0, max_value=86400),
    grid_g=grid_st,
)
def test_runner_carbon_is_monotone_in_duration(
    kind: str, labels: list[str], d1: float, d2: float, grid_g: float
) -> None:
    short, long_ = sorted((d1, d2))
    a = run(make_activity(type=kind, runner_labels=labels, duration_s=short), grid_g)
    b = run(make_activity(type=kind, runner_labels=labels, duration_s=long_), grid_g)
    assert a.energy_kwh <= b.energy_kwh
    assert (a.carbon_kg_low, a.carbon_kg, a.carbon_kg_high) <= (b.carbon_kg_low, b.carbon_kg, b.carbon_kg_high)
    assert a.carbon_kg_low <= b.carbon_kg_low
    assert a.carbon_kg_high <= b.carbon_kg_high


@settings(max_examples=80, deadline=None)
@given(v1=st.floats(min_value=0.5, max_value=512), v2=st.floats(min_value=0.5, max_value=512), grid_g=grid_st)
def test_runner_carbon_is_monotone_in_machine_size(v1: float, v2: float, grid_g: float) -> None:
    small, big = sorted((v1, v2))
    activity = make_activity(runner_labels=["self-hosted"], duration_s=900, region="DE")
    a = run(activity, grid_g, self_hosted=SelfHostedConfig(vcpu=small, memory_gb=small * 4))
    b = run(activity, grid_g, self_hosted=SelfHostedConfig(vcpu=big, memory_gb=big * 4))
    assert a.carbon_kg <= b.carbon_kg
    assert a.carbon_kg_low <= b.carbon_kg_low
    assert a.carbon_kg_high <= b.carbon_kg_high


def test_larger_runner_sizes_rank_in_order() -> None:
    sizes = [2, 4, 8, 16, 32, 64, 96]
    results = [run(make_activity(runner_labels=[f"ubuntu-24.04-{n}core"], duration_s=600)) for n in sizes]
    assert [r.inputs["runner"]["vcpu"] for r in results] == sizes
    carbons = [r.carbon_kg for r in results]
    assert carbons == sorted(carbons)
    assert len(set(carbons)) == len(carbons)


@settings(max_examples=100, deadline=None)
@given(
    kind=st.sampled_from(["commit", "pr"]),
    l1=st.integers(min_value=0, max_value=10**7),
    l2=st.integers(min_value=0, max_value=10**7),
    files=st.integers(min_value=0, max_value=10**4),
    grid_g=grid_st,
)
def test_git_carbon_is_monotone_in_size(kind: str, l1: int, l2: int, files: int, grid_g: float) -> None:
    small, big = sorted((l1, l2))
    a = run(make_activity(type=kind, lines_added=small, lines_deleted=0, files_changed=files), grid_g)
    b = run(make_activity(type=kind, lines_added=big, lines_deleted=0, files_changed=files), grid_g)
    more_files = run(make_activity(type=kind, lines_added=big, lines_deleted=0, files_changed=files + 1), grid_g)
    assert a.carbon_kg <= b.carbon_kg <= more_files.carbon_kg
    assert a.carbon_kg_high <= b.carbon_kg_high
    assert a.carbon_kg_low <= b.carbon_kg_low


@settings(max_examples=100, deadline=None)
@given(
    kind=st.sampled_from(["ci_run", "deployment", "commit", "pr"]),
    labels=st.lists(st.one_of(st.sampled_from(KNOWN_LABELS[:-1]), st.text(max_size=12)), min_size=1, max_size=2),
    duration=st.floats(min_value=1, max_value=86400),
    added=st.integers(min_value=0, max_value=10**5),
    conf=confidence_st,
)
def test_removing_an_input_never_raises_confidence(
    kind: str, labels: list[str], duration: float, added: int, conf: Confidence
) -> None:
    full = make_activity(
        type=kind,
        runner_labels=labels,
        duration_s=duration,
        lines_added=added,
        lines_deleted=0,
        files_changed=3,
        region="azure:eastus",
        details={"repo_private": True},
    )
    known = run(full, conf=conf)
    stripped = [
        full.model_copy(update={"duration_s": None}),
        full.model_copy(update={"lines_added": None, "lines_deleted": None}),
        full.model_copy(update={"lines_added": None, "lines_deleted": None, "files_changed": None}),
        full.model_copy(update={"runner_labels": []}),
        full.model_copy(update={"details": {}}),
        full.model_copy(update={"region": None}),
    ]
    for activity in stripped:
        result = run(activity, conf=conf)
        check_sane(result)
        assert result.confidence.rank <= known.confidence.rank


@given(labels=st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=3))
def test_unrecognised_labels_give_low_confidence_not_an_error(labels: list[str]) -> None:
    assume(not any(label.strip().lower() in KNOWN_LABELS for label in labels))
    assume(not any(ch.isdigit() for label in labels for ch in label))  # no larger-runner size in the name
    assume(not any("gpu" in label.lower() for label in labels))
    result = run(make_activity(runner_labels=labels, duration_s=120, region="azure:eastus"))
    assert result.confidence == Confidence.LOW
    assert any("not recognised" in r or "no runner labels" in r for r in result.confidence_reasons)


def test_each_missing_input_names_itself_in_the_reasons() -> None:
    cases = {
        "no duration reported": make_activity(runner_labels=["ubuntu-latest"]),
        # the webhook writes 0 s and duration_known=false for a job that has not completed
        "no duration reported: assumed 300": make_activity(duration_s=0.0, details={"duration_known": False}),
        "changed lines unknown": make_activity(type="commit"),
        "self-hosted runner without a configured profile": make_activity(runner_labels=["self-hosted", "linux"]),
        "repository visibility unknown": make_activity(runner_labels=["ubuntu-latest"], duration_s=60),
        "deployment: estimated": make_activity(type="deployment"),
    }
    for phrase, activity in cases.items():
        result = run(activity)
        assert any(phrase in reason for reason in result.confidence_reasons), (phrase, result.confidence_reasons)
        assert result.confidence in (Confidence.LOW, Confidence.MEDIUM)


def test_a_deployment_with_known_duration_and_target_is_medium() -> None:
    known = run(make_activity(type="deployment", duration_s=240, region="azure:westeurope"))
    assert known.confidence == Confidence.MEDIUM
    assert run(make_activity(type="deployment", duration_s=240)).confidence == Confidence.LOW
    assert run(make_activity(type="deployment", region="DE")).confidence == Confidence.LOW
    odd_labels = run(make_activity(type="deployment", duration_s=240, region="DE", runner_labels=["prod-box"]))
    assert odd_labels.confidence == Confidence.MEDIUM


def test_an_infinite_duration_is_an_unknown_duration_not_a_crash() -> None:
    # a float column can hold inf (the Activity model accepts it); the method must not raise on it
    result = run(
        make_activity(runner_labels=["ubuntu-latest"], duration_s=float("inf"), details={"repo_private": False})
    )
    check_sane(result)
    assert result.confidence == Confidence.LOW
    assert any("no duration reported" in r for r in result.confidence_reasons)
    assert (
        result.carbon_kg
        == run(make_activity(runner_labels=["ubuntu-latest"], details={"repo_private": False})).carbon_kg
    )
