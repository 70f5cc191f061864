"""What counts towards a user's period totals (``domain.rollups.contribution``), and the metrics stored on a
leaderboard row."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecotrace.domain.ranking import ActivityFacts, PeriodType, RankedEntry, period_for, rank_users
from ecotrace.domain.rollups import ZERO, contribution
from ecotrace.tables.activities import facts_from_row
from ecotrace.tables.leaderboards import entry_columns
from tests.unit.ranking.rollup_helpers import period_totals

WEEK = period_for(PeriodType.WEEKLY, datetime(2026, 11, 25, tzinfo=UTC))  # 2026-11-23 .. 2026-11-30


def row(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "$id": "a1",
        "user_id": "gh_1",
        "github_login": "octo",
        "is_bot": False,
        "type": "commit",
        "counted": True,
        "carbon_kg": 0.01,
        "timestamp": "2026-11-24T10:00:00.000+00:00",
        "lines_added": 30,
        "lines_deleted": 10,
        "duration_s": None,
    }
    base.update(overrides)
    return base


def facts(*rows: dict[str, Any]) -> list[ActivityFacts]:
    out = [facts_from_row(r) for r in rows]
    assert all(f is not None for f in out)
    return [f for f in out if f is not None]


def test_a_week_of_work_becomes_one_row_with_every_metric() -> None:
    week = period_totals(
        WEEK,
        facts(
            row(carbon_kg=0.02, lines_added=300, lines_deleted=100),
            row(timestamp="2026-11-24T18:00:00Z", carbon_kg=0.01, lines_added=100, lines_deleted=0),
            row(
                type="pr",
                external_id="pr:7:opened:abc",
                timestamp="2026-11-25T09:00:00Z",
                carbon_kg=0.001,
                lines_added=400,
                lines_deleted=100,
            ),
            row(type="ci_run", timestamp="2026-11-25T09:05:00Z", carbon_kg=0.05, duration_s=300),
            row(type="ci_run", timestamp="2026-11-26T09:05:00Z", carbon_kg=0.029, duration_s=420),
            row(type="deployment", timestamp="2026-11-26T12:00:00Z", carbon_kg=0.01),
        ),
    )
    [entry] = rank_users(week.values())
    cols = entry_columns(WEEK, entry)
    assert cols["period_type"] == "weekly"
    assert cols["period_key"] == "2026-W48"
    assert cols["period_start"] == "2026-11-23T00:00:00.000+00:00"
    assert cols["carbon_kg"] == pytest.approx(0.12)
    assert (cols["activity_count"], cols["commit_count"], cols["pr_count"]) == (6, 2, 1)
    assert (cols["ci_run_count"], cols["deployment_count"]) == (2, 1)
    assert cols["ci_minutes"] == pytest.approx(12.0)
    assert cols["lines_changed"] == 500  # commits only: the PR's 500 lines are those commits' lines
    assert cols["active_days"] == 3
    assert cols["commits_per_active_day"] == pytest.approx(2 / 3)
    assert cols["carbon_per_activity_kg"] == pytest.approx(0.02)
    assert cols["carbon_per_commit_kg"] == pytest.approx(0.06)
    assert cols["carbon_per_kloc_kg"] == pytest.approx(0.24)  # the score: all of the week's carbon per kloc
    assert (cols["rank"], cols["percentile"]) == (1, 100.0)
    assert (cols["previous_rank"], cols["rank_change"]) == (None, None)  # a new entry has no movement


def test_pr_count_counts_pull_requests_not_their_lifecycle_steps() -> None:
    # GIVEN one pull request opened, pushed to twice and merged, and one opened before this week
    steps = [("opened", "2026-11-24T09:00:00Z"), ("synchronize", "2026-11-24T10:00:00Z")]
    steps += [("synchronize", "2026-11-25T10:00:00Z"), ("merged", "2026-11-26T10:00:00Z")]
    rows = [row(type="pr", external_id=f"pr:7:{stage}:s{i}", timestamp=when) for i, (stage, when) in enumerate(steps)]
    rows.append(row(type="pr", external_id="pr:3:merged:x", timestamp="2026-11-25T12:00:00Z"))
    totals = period_totals(WEEK, facts(*rows))["gh_1"]
    # THEN every step is an activity that used energy, but the week has one pull request opened
    assert totals.activity_count == 5
    assert totals.counts["pr"] == 1


def test_per_commit_and_per_kloc_are_null_without_commits_or_lines() -> None:
    week = period_totals(WEEK, facts(row(type="ci_run", duration_s=60), row(lines_added=None, lines_deleted=None)))
    cols = entry_columns(WEEK, RankedEntry(1, 100.0, week["gh_1"]))
    assert cols["carbon_per_commit_kg"] == pytest.approx(0.02)
    assert cols["carbon_per_kloc_kg"] is None
    week = period_totals(WEEK, facts(row(type="deployment")))
    assert entry_columns(WEEK, RankedEntry(1, 100.0, week["gh_1"]))["carbon_per_commit_kg"] is None


def test_pending_bots_and_not_counted_rows_count_for_nothing() -> None:
    left_out = facts(
        row(carbon_kg=None),  # waiting for the carbon calculation
        row(user_id="gh_9", github_login="dependabot[bot]", is_bot=False),  # a [bot] login is a bot anyway
        row(user_id="gh_8", github_login="ci-robot", is_bot=True),
        row(type="ci_run", counted=False, carbon_kg=0.5, duration_s=600),  # its jobs carry the energy
    )
    assert [contribution(f) for f in left_out] == [ZERO] * 4
    week = period_totals(
        WEEK,
        [*left_out, *facts(row(type="ci_run", carbon_kg=0.1, duration_s=120), row(timestamp="2026-11-30T00:00:00Z"))],
    )
    assert set(week) == {"gh_1"}  # the next week's commit is not this week's
    user = week["gh_1"]
    assert (user.activity_count, user.counts["ci_run"], user.ci_minutes) == (1, 1, 2.0)
    assert user.carbon_kg == pytest.approx(0.1)


def test_a_user_with_only_pending_work_has_no_sums() -> None:
    assert period_totals(WEEK, facts(row(carbon_kg=None), row(carbon_kg=None, type="pr"))) == {}


def test_the_login_of_the_latest_delivery_is_shown_after_a_rename() -> None:
    week = period_totals(WEEK, facts(row(github_login="old-name"), row(github_login="new-name")))
    assert week["gh_1"].github_login == "new-name"


def test_a_zero_carbon_user_ranks_with_a_zero_score() -> None:
    week = period_totals(WEEK, facts(row(carbon_kg=0.0), row(user_id="gh_2", carbon_kg=0.3)))
    ranked = rank_users(week.values())
    assert [e.totals.user_id for e in ranked] == ["gh_1", "gh_2"]
    assert entry_columns(WEEK, ranked[0])["carbon_per_kloc_kg"] == 0.0


@pytest.mark.parametrize(
    "bad",
    [
        {"user_id": None},
        {"user_id": ""},
        {"type": "issue"},
        {"timestamp": "yesterday"},
        {"timestamp": None},
        {"carbon_kg": -1.0},
        {"carbon_kg": float("nan")},
        {"carbon_kg": "0.1"},
    ],
)
def test_malformed_rows_are_rejected_not_crashed_on(bad: dict[str, Any]) -> None:
    assert facts_from_row(row(**bad)) is None


def test_missing_optional_columns_take_the_schema_defaults() -> None:
    fact = facts_from_row({"user_id": "gh_1", "type": "pr", "timestamp": "2026-11-24T10:00:00+00:00", "carbon_kg": 1})
    assert fact is not None
    assert (fact.is_bot, fact.counted, fact.github_login, fact.lines_changed, fact.duration_s) == (
        False,
        True,
        "gh_1",
        0,
        0.0,
    )


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "user_id",
                "github_login",
                "is_bot",
                "type",
                "counted",
                "carbon_kg",
                "carbon_kg_low",
                "carbon_kg_high",
                "energy_kwh",
                "timestamp",
                "lines_added",
                "lines_deleted",
                "duration_s",
            ]
        ),
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30)),
    )
)
def test_from_row_never_raises_on_arbitrary_values(data: dict[str, Any]) -> None:
    fact = facts_from_row(data)
    if fact is not None:
        assert fact.lines_changed >= 0
        assert fact.duration_s >= 0
        assert fact.carbon_kg is None or fact.carbon_kg >= 0
        contribution(fact)  # and what it counts for is defined
