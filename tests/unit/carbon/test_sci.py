"""The calculator's ``sci`` action: carbon per merged pull request, per deployment and per CI minute, with
ranges, from stored rows only, over the caller's own activities."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ecotrace.domain.models import Activity
from ecotrace.entrypoints.http import Invocation
from ecotrace.errors import UnauthorizedError, ValidationError
from ecotrace.services.calculate import CarbonCalculator
from ecotrace.tables.activities import to_row as activity_row
from tests.fakes.memory_store import MemoryStore
from tests.unit.carbon.carbon_builders import NOW, make_activity

ALICE = "acct-alice"
REPO = "octo/repo"
PERIOD = {"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}


class NoFactors:
    """The sci action reads stored results only: asking for a grid intensity is a failure."""

    def resolve(self, region: str | None) -> Any:
        raise AssertionError("sci must not compute carbon")


def stored(activity: Activity, g: float, low_g: float, high_g: float) -> Activity:
    return activity.model_copy(
        update={"carbon_kg": g / 1000, "carbon_kg_low": low_g / 1000, "carbon_kg_high": high_g / 1000}
    )


def at(days: float) -> Any:
    return NOW - timedelta(days=days)


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore(clock=lambda: NOW)
    store.seed("users", "gh_1", {"github_id": "1", "username": "alice", "account_id": ALICE})
    store.seed("users", "gh_2", {"github_id": "2", "username": "bob", "account_id": "acct-bob"})
    head1, head2 = "a" * 40, "b" * 40

    def pr(id_: str, step: str, sha: str, days: float, g: float) -> Activity:
        return stored(
            make_activity(
                id=id_, type="pr", external_id=f"pr:7:{step}:{sha}", ref="feature", source_event="pull_request",
                timestamp=at(days), details={"action": step, "head_sha": sha},
            ),
            g, g / 2, g * 2,
        )  # fmt: skip

    def commit(id_: str, sha: str, days: float, g: float, ref: str = "refs/heads/feature") -> Activity:
        return stored(
            make_activity(id=id_, type="commit", external_id=sha, ref=ref, source_event="push", timestamp=at(days)),
            g, g / 4, g * 4,
        )  # fmt: skip

    def ci(id_: str, sha: str, days: float, g: float, duration_s: float, counted: bool = True) -> Activity:
        return stored(
            make_activity(
                id=id_, duration_s=duration_s, counted=counted, timestamp=at(days),
                details={"head_sha": sha, "duration_known": True},
            ),
            g, g / 3, g * 3,
        )  # fmt: skip

    rows = [
        pr("p1", "opened", head1, 10, 0.01),
        commit("c1", head1, 10.1, 0.002),
        commit("c2", head2, 9, 0.003),
        pr("p2", "synchronize", head2, 9, 0.01),
        ci("j1", head1, 10, 1.0, 300),
        ci("j2", head2, 9, 2.0, 600),
        ci("r2", head2, 9, 5.0, 700, counted=False),  # a run row whose jobs carry its energy
        pr("p3", "merged", head2, 8, 0.01),
        ci("j3", "c" * 40, 5, 3.0, 900),  # on main after the merge: CI minutes, not the pull request
        stored(make_activity(id="d1", type="deployment", duration_s=120, timestamp=at(4)), 4.0, 1.0, 10.0),
        stored(make_activity(id="d2", type="deployment", duration_s=60, timestamp=at(3)), 2.0, 0.5, 5.0),
        make_activity(id="u1", duration_s=60, timestamp=at(3)),  # not calculated yet
        stored(make_activity(id="old", duration_s=60, timestamp=at(60)), 100.0, 50.0, 200.0),  # before the period
        stored(make_activity(id="other-repo", repo_full_name="octo/other", duration_s=60, timestamp=at(2)), 9, 9, 9),
        stored(make_activity(id="bobs", user_id="gh_2", duration_s=60, timestamp=at(2)), 9, 9, 9),
    ]
    for activity in rows:
        store.seed("activities", activity.id, activity_row(activity, [f'read("user:{ALICE}")']))
    return store


def sci(store: MemoryStore, **body: Any) -> dict[str, Any]:
    calculator = CarbonCalculator(store, NoFactors(), clock=lambda: NOW)
    request = {"action": "sci", "repo": REPO, **PERIOD, **body}
    return calculator.handle(request, Invocation(trigger="http", user_id=ALICE, event=None, key="k"))


def test_per_merged_pull_request_sums_its_steps_commits_and_head_ci(store: MemoryStore) -> None:
    report = sci(store)
    pr = report["per_merged_pr"]
    # 3 steps (0.03 g) + 2 commits on its branch (0.005 g) + the 2 counted CI jobs of its heads (3 g)
    assert pr["units"] == 1
    assert pr["carbon_g"] == pytest.approx(3.035)
    assert pr["carbon_g_low"] == pytest.approx(0.015 + 0.00125 + 1.0)
    assert pr["carbon_g_high"] == pytest.approx(0.06 + 0.02 + 9.0)
    assert pr["breakdown_g"] == pytest.approx({"pr_steps": 0.03, "commits": 0.005, "ci": 3.0})
    assert pr["pull_requests"][0]["number"] == 7


def test_per_deployment_and_per_ci_minute(store: MemoryStore) -> None:
    report = sci(store)
    assert report["per_deployment"]["units"] == 2
    assert report["per_deployment"]["carbon_g"] == pytest.approx(3.0)
    assert report["per_deployment"]["carbon_g_low"] == pytest.approx(0.75)
    assert report["per_deployment"]["carbon_g_high"] == pytest.approx(7.5)
    minute = report["per_ci_minute"]
    # counted jobs j1, j2, j3 (the uncounted run row is not CI time twice): 6 g over 30 minutes
    assert (minute["units"], minute["ci_runs"]) == (30, 3)
    assert minute["carbon_g"] == pytest.approx(0.2)
    assert minute["carbon_g_low"] == pytest.approx(2 / 30)
    assert minute["carbon_g_high"] == pytest.approx(18 / 30)


def test_only_the_callers_rows_of_the_repository_and_period_are_read(store: MemoryStore) -> None:
    report = sci(store)
    # 11 calculated rows + 1 without carbon; not the older row, the other repository or Bob's
    assert (report["rows_read"], report["rows_without_carbon"], report["truncated"]) == (12, 1, False)
    assert report["period"] == {"from": "2026-11-01T00:00:00.000+00:00", "to": "2026-12-01T00:00:00.000+00:00"}


def test_a_period_with_nothing_reports_no_units_not_a_division_by_zero(store: MemoryStore) -> None:
    report = sci(store, **{"from": "2020-01-01T00:00:00Z", "to": "2020-02-01T00:00:00Z"})
    assert report["per_merged_pr"]["units"] == 0
    assert report["per_merged_pr"]["carbon_g"] is None
    assert report["per_ci_minute"]["carbon_g"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"repo": "not a repo"}, "repo"),
        ({"from": "2026-12-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, "to"),
        ({"from": "2026-11-01T00:00:00", "to": "2026-12-01T00:00:00Z"}, "from"),
        ({"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00"}, "to"),
        ({"from": "2020-01-01T00:00:00Z"}, "to"),
        ({"from": "yesterday"}, "from"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_requests_are_refused_naming_the_field(store: MemoryStore, body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        sci(store, **body)
    assert refused.value.status == 400
    assert refused.value.details["field"] == field


def test_signed_out_callers_are_refused(store: MemoryStore) -> None:
    calculator = CarbonCalculator(store, NoFactors(), clock=lambda: NOW)
    with pytest.raises(UnauthorizedError):
        calculator.handle({"action": "sci", "repo": REPO, **PERIOD}, Invocation("http", None, None, "k"))


def test_reads_stop_at_the_row_bound_and_say_so(store: MemoryStore, monkeypatch: pytest.MonkeyPatch) -> None:
    import ecotrace.services.sci as service

    monkeypatch.setattr(service, "MAX_ROWS", 5)
    report = sci(store)
    assert (report["rows_read"], report["truncated"]) == (5, True)
