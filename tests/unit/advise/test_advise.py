"""``advise`` on a recorded intensity history and stored CI activities: the recommended hour and the saving match a
hand computation; a thin history says "not enough data"; runner and region advice come from the carbon method."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecotrace.domain.carbon import CalculationConfig, estimate
from ecotrace.domain.intensity import IntensityPoint, PointSource
from ecotrace.domain.models import Activity, ActivityType
from ecotrace.errors import ForbiddenError, ValidationError
from ecotrace.services.advise.service import Advisor
from ecotrace.services.emission_factors import EmissionFactorResolver
from ecotrace.services.emission_factors.history import IntensityHistory
from ecotrace.tables import activities, intensity_history
from tests.fakes.memory_store import MemoryStore

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
REPO, REPO_ID = "octo-org/octo-repo", "4242"


def _activity(row_id: str, **fields: Any) -> Activity:
    base: dict[str, Any] = {
        "id": row_id,
        "user_id": "gh_1001",
        "github_login": "alice",
        "type": ActivityType.CI_RUN,
        "repo_id": REPO_ID,
        "repo_full_name": REPO,
        "external_id": row_id,
        "source_event": "workflow_job",
    }
    return Activity(**{**base, **fields})


def _run(store: MemoryStore, run_id: int, start: datetime, trigger: str, name: str, workflow_id: int) -> None:
    details = {
        "kind": "workflow_run",
        "run_id": run_id,
        "run_attempt": 1,
        "trigger": trigger,
        "workflow_id": workflow_id,
    }
    run = _activity(
        f"r_{run_id}", timestamp=start, title=name, counted=False, details=details, source_event="workflow_run"
    )
    store.seed(activities.NAME, run.id, activities.to_row(run))


def _job(store: MemoryStore, job_id: int, run_id: int, start: datetime, energy_kwh: float, **fields: Any) -> Activity:
    details = {
        "kind": "workflow_job",
        "run_id": run_id,
        "run_attempt": 1,
        "duration_known": True,
        **fields.pop("details", {}),
    }
    job = _activity(
        f"j_{job_id}",
        timestamp=start,
        title=fields.pop("title", "Nightly / build"),
        duration_s=fields.pop("duration_s", 300.0),
        runner_labels=fields.pop("labels", ["ubuntu-latest"]),
        energy_kwh=energy_kwh,
        carbon_kg=energy_kwh * 0.4,
        details=details,
        **fields,
    )
    store.seed(activities.NAME, job.id, activities.to_row(job))
    return job


def _history(store: MemoryStore, zone: str, days: int, value: Any, first_day: int = 1) -> None:
    for day in range(first_day, first_day + days):
        for hour in range(24):
            moment = (NOW - timedelta(days=day)).replace(hour=hour)
            point = IntensityPoint(zone, moment, value(day, hour), PointSource.HISTORY)
            row = intensity_history.to_row(point, NOW)
            store.seed(intensity_history.NAME, row["$id"], row)


def _nightly(store: MemoryStore) -> list[str]:
    """The scheduled workflow: one run a day at 14:05 UTC for the last 10 days, two jobs (0.010 and 0.020 kWh) in
    zone DE; and a push-triggered workflow at other hours that time shifting must leave out."""
    job_ids = []
    for day in range(1, 11):
        start = (NOW - timedelta(days=day)).replace(hour=14, minute=5)
        _run(store, 7000 + day, start, "schedule", "Nightly", 77)
        job_ids.append(_job(store, 70000 + 2 * day, 7000 + day, start, 0.010, region="DE").id)
        job_ids.append(_job(store, 70001 + 2 * day, 7000 + day, start, 0.020, region="DE").id)
        push = (NOW - timedelta(days=day)).replace(hour=9)
        _run(store, 8000 + day, push, "push", "CI", 88)
        _job(store, 80000 + day, 8000 + day, push, 0.5, region="DE", title="CI / test")
    return job_ids


def _advisor(store: MemoryStore, live: Any = None, regions: tuple[str, ...] = ()) -> Advisor:
    resolver = EmissionFactorResolver.offline(store=store, clock=lambda: NOW)
    history = IntensityHistory(store, live=live, clock=lambda: NOW)
    return Advisor(store, resolver, history, config=CalculationConfig(), candidate_regions=regions, clock=lambda: NOW)


@pytest.fixture
def store() -> MemoryStore:
    memory = MemoryStore(lambda: NOW)
    memory.seed("users", "gh_1001", {"github_id": "1001", "username": "alice", "account_id": "acct-alice"})
    return memory


def _only_workflow(answer: dict[str, Any]) -> dict[str, Any]:
    (repo,) = answer["repositories"]
    (workflow,) = repo["time_shift"]["workflows"]
    return workflow


def test_the_recommended_hour_and_saving_match_a_hand_computation(store: MemoryStore) -> None:
    job_ids = _nightly(store)
    # seven days of history in DE: 300 + 10 x hour + day g/kWh, except 03:00 UTC, 150 + 2 x day
    _history(store, "DE", 7, lambda day, hour: 150 + 2 * day if hour == 3 else 300 + 10 * hour + day)
    answer = _advisor(store).advise({"action": "advise", "repository": REPO, "days": 30}, account_id=None, service=True)
    flow = _only_workflow(answer)

    # By hand: the runs start at 14:00 UTC; 14:00 is 441..447 (mean 444), 03:00 is 152..164 (mean 158), every
    # other hour is at least 300. Energy: 10 runs x (0.010 + 0.020) kWh in 30 days = 0.30 kWh a month.
    assert (flow["status"], flow["current_hour_utc"], flow["recommended_hour_utc"]) == ("advice", 14, 3)
    assert flow["zone"] == "DE"
    assert flow["energy_kwh_per_month"] == pytest.approx(0.30)
    assert flow["saving_g_per_month"] == pytest.approx(0.30 * (444 - 158))  # 85.8 g
    assert flow["saving_g_per_month_low"] == pytest.approx(0.30 * (441 - 164))  # 83.1 g
    assert flow["saving_g_per_month_high"] == pytest.approx(0.30 * (447 - 152))  # 88.5 g

    trace = flow["trace"]
    assert sorted(trace["activity_ids"]) == sorted(job_ids)  # the push-triggered CI is not in it
    assert trace["runs"] == 10
    assert trace["intensities"]["current"] == {
        "hour_utc": 14,
        "samples": 7,
        "mean_g_per_kwh": 444.0,
        "low_g_per_kwh": 441.0,
        "high_g_per_kwh": 447.0,
    }
    assert trace["intensities"]["recommended"]["mean_g_per_kwh"] == 158.0
    assert trace["intensities"]["sources"] == {"electricity_maps_history": 7 * 24}
    assert len(trace["intensities"]["profile"]) == 24
    assert any("30 days" in a for a in answer["repositories"][0]["time_shift"]["assumptions"])


def test_too_little_history_says_not_enough_data(store: MemoryStore) -> None:
    _nightly(store)
    _history(store, "DE", 2, lambda day, hour: 300 + hour)  # two days: no hour was seen on three
    answer = _advisor(store).advise({"action": "advise", "repository": REPO}, account_id=None, service=True)
    flow = _only_workflow(answer)
    assert flow["status"] == "not_enough_data"
    assert "observed on 2 days; at least 3 are needed" in flow["reason"]
    assert flow["have"] == {"hours_covered": 0, "current_hour_days": 2}
    assert flow["need"] == {"hours_covered": 12, "days_per_hour": 3}
    assert "saving_g_per_month" not in flow


def test_no_history_at_all_is_not_enough_data_either(store: MemoryStore) -> None:
    _nightly(store)
    flow = _only_workflow(
        _advisor(store).advise({"action": "advise", "repository": REPO}, account_id=None, service=True)
    )
    assert flow["status"] == "not_enough_data"
    assert flow["trace"]["intensities"]["points"] == 0


class _History:
    """Electricity Maps' history endpoint, as the client gives it: the last 24 hours (values by hour)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def history(self, target: Any) -> list[Any]:
        from ecotrace.adapters.electricity_maps import HistoryReading

        self.asked.append(target.zone)
        hours = [(NOW - timedelta(hours=h)).replace(minute=0) for h in range(1, 25)]
        return [HistoryReading(target.zone, at, 300.0 + at.hour, False, "lifecycle") for at in sorted(hours)]


def test_a_thin_history_is_topped_up_from_the_history_endpoint_once(store: MemoryStore) -> None:
    _nightly(store)
    _history(store, "DE", 2, lambda day, hour: 300 + hour, first_day=2)  # the days before yesterday
    live = _History()
    flow = _only_workflow(
        _advisor(store, live=live).advise({"action": "advise", "repository": REPO}, account_id=None, service=True)
    )
    assert live.asked == ["DE"]
    assert flow["status"] == "advice"  # two stored days and the last 24 hours: every hour seen three times
    assert flow["trace"]["intensities"]["sources"] == {"electricity_maps_history": 3 * 24}
    assert flow["recommended_hour_utc"] == 0  # 300 + hour is lowest at midnight


def test_runner_advice_flags_short_jobs_on_large_runners(store: MemoryStore) -> None:
    jobs = []
    for index in range(5):
        start = NOW - timedelta(days=index + 1)
        _run(store, 9000 + index, start, "push", "Lint", 99)
        jobs.append(
            _job(
                store,
                90000 + index,
                9000 + index,
                start,
                0.01,
                title="Lint / lint",
                labels=["ubuntu-24.04-16core"],
                duration_s=60.0 + 10 * index,
                details={"repo_private": False},
            )
        )
    answer = _advisor(store).advise({"action": "advise", "repository": REPO, "days": 30}, account_id=None, service=True)
    (finding,) = answer["repositories"][0]["runners"]["oversized_runners"]
    assert (finding["job"], finding["jobs"], finding["median_duration_s"]) == ("Lint / lint", 5, 80.0)
    assert finding["runner"]["vcpu"] == 16
    assert finding["suggested_runner"]["vcpu"] == 4
    resolver = EmissionFactorResolver.offline(clock=lambda: NOW)
    factor = resolver.resolve("azure:eastus")
    by_hand = sum(
        estimate(j, factor, NOW).carbon_kg
        - estimate(j.model_copy(update={"runner_labels": ["ubuntu-latest"]}), factor, NOW).carbon_kg
        for j in jobs
    )
    assert finding["saving_g_per_month"] == pytest.approx(by_hand * 1000, abs=1e-3)  # 30-day period: x 1
    assert finding["saving_g_per_month_low"] < finding["saving_g_per_month"] <= finding["saving_g_per_month_high"]
    assert sorted(finding["trace"]["activity_ids"]) == sorted(j.id for j in jobs)


def test_self_hosted_work_is_compared_with_cleaner_candidate_regions(store: MemoryStore) -> None:
    for index in range(3):
        start = NOW - timedelta(days=index + 1)
        _run(store, 9100 + index, start, "push", "Build", 91)
        _job(
            store,
            91000 + index,
            9100 + index,
            start,
            0.05,
            title="Build / make",
            labels=["self-hosted", "linux"],
            region="DE",
        )
    answer = _advisor(store, regions=("FR", "PL")).advise(
        {"action": "advise", "repository": REPO, "days": 30}, account_id=None, service=True
    )
    findings = answer["repositories"][0]["runners"]["cleaner_regions"]
    assert [f["candidate_region"] for f in findings] == ["FR"]  # PL's grid is dirtier than DE's: not suggested
    assert findings[0]["saving_g_per_month"] > 0
    assert (
        findings[0]["trace"]["factor_candidate"]["g_co2e_per_kwh"]
        < findings[0]["trace"]["factor_now"]["g_co2e_per_kwh"]
    )


def test_users_get_advice_for_their_own_repositories_only(store: MemoryStore) -> None:
    _nightly(store)
    advisor = _advisor(store)
    mine = advisor.advise({"action": "advise"}, account_id="acct-alice", service=False)
    assert [r["repository"] for r in mine["repositories"]] == [REPO]
    with pytest.raises(ForbiddenError, match="no activity in someone/else"):
        advisor.advise({"action": "advise", "repository": "someone/else"}, account_id="acct-alice", service=False)
    with pytest.raises(ForbiddenError, match="link your GitHub account"):
        advisor.advise({"action": "advise"}, account_id="acct-stranger", service=False)
    with pytest.raises(ValidationError, match="repository"):
        advisor.advise({"action": "advise"}, account_id=None, service=True)
    with pytest.raises(ValidationError):
        advisor.advise({"action": "advise", "repository": REPO, "days": 365}, account_id=None, service=True)


def test_a_repository_without_stored_ci_says_so(store: MemoryStore) -> None:
    answer = _advisor(store).advise({"action": "advise", "repository": "octo-org/empty"}, account_id=None, service=True)
    assert answer["repositories"][0]["status"] == "not_enough_data"


def test_the_fleet_files_machines_are_candidate_regions_too(store: MemoryStore) -> None:
    from ecotrace.domain.carbon import Fleet

    fleet = Fleet.model_validate(
        {
            "name": "ours",
            "machines": {
                "de-box": {"vcpu": 8, "memory_gb": 32, "cpu": {"model": "x", "family": "skylake"}, "region": "DE"},
                "fr-box": {"vcpu": 8, "memory_gb": 32, "cpu": {"model": "x", "family": "skylake"}, "region": "FR"},
            },
            "runners": [{"labels": ["linux.8"], "machine": "de-box"}, {"labels": ["linux.fr"], "machine": "fr-box"}],
        }
    )
    for index in range(3):
        start = NOW - timedelta(days=index + 1)
        _run(store, 9200 + index, start, "push", "Build", 92)
        _job(store, 92000 + index, 9200 + index, start, 0.05, title="Build / make", labels=["self-hosted", "linux.8"])
    resolver = EmissionFactorResolver.offline(store=store, clock=lambda: NOW)
    advisor = Advisor(
        store,
        resolver,
        IntensityHistory(store, clock=lambda: NOW),
        config=CalculationConfig(fleet=fleet),
        clock=lambda: NOW,
    )
    answer = advisor.advise({"action": "advise", "repository": REPO}, account_id=None, service=True)
    (finding,) = answer["repositories"][0]["runners"]["cleaner_regions"]
    assert (finding["region"], finding["candidate_region"], finding["candidate_from"]) == (
        "DE",
        "FR",
        "runner fleet file",
    )
    assert finding["saving_g_per_month"] > 0
