"""The ranking rule: lowest kg CO2e per 1,000 lines changed in commits (the functional unit R) first; ties by more
lines, then login. Users without lines in the period are not ranked.

Property tests state the invariants: ranks are exactly 1..n, percentile in 0..100 and never higher for a worse
rank, a lower score never ranks below a higher one, bots, users without R and under-active users are never ranked.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecotrace.domain.ranking import ActivityFacts, PeriodType, UserTotals, percentile_for, period_for, rank_users
from tests.unit.ranking.rollup_helpers import period_totals

DAY = period_for(PeriodType.DAILY, datetime(2026, 11, 25, tzinfo=UTC))


def totals(user_id: str, carbon_kg: float, lines: int, login: str | None = None, activities: int = 1) -> UserTotals:
    return UserTotals(user_id, login or user_id, carbon_kg=carbon_kg, activity_count=activities, lines_changed=lines)


def test_the_least_carbon_per_line_ranks_first_not_the_least_active() -> None:
    # idle: 0.05 kg for 100 lines (0.5 kg/kloc); busy: 0.4 kg, CI included, for 2,000 lines (0.2 kg/kloc)
    ranked = rank_users([totals("gh_idle", 0.05, 100), totals("gh_busy", 0.4, 2000, activities=40)])
    assert [(e.rank, e.totals.user_id) for e in ranked] == [(1, "gh_busy"), (2, "gh_idle")]
    assert [e.percentile for e in ranked] == [100.0, 0.0]


def test_equal_scores_rank_more_lines_first_then_login() -> None:
    ranked = rank_users(
        [
            totals("gh_3", 0.2, 1000, "zed"),
            totals("gh_1", 0.1, 500, "Bea"),
            totals("gh_2", 0.1, 500, "amy"),  # same score and lines as Bea: login decides, case-insensitively
        ]
    )
    assert [e.totals.github_login for e in ranked] == ["zed", "amy", "Bea"]
    assert [e.rank for e in ranked] == [1, 2, 3]


def test_users_without_lines_are_not_ranked() -> None:
    ci_only = totals("gh_ci", 0.01, 0, activities=3)  # only CI this period: nothing to be efficient per
    assert [e.totals.user_id for e in rank_users([ci_only, totals("gh_dev", 5.0, 10)])] == ["gh_dev"]


def test_minimum_activity_threshold() -> None:
    users = [
        totals("gh_a", 0.0, 10, activities=2),
        totals("gh_b", 0.0, 10, activities=3),
        totals("gh_c", 0.0, 0, activities=0),
    ]
    assert [e.totals.user_id for e in rank_users(users)] == ["gh_a", "gh_b"]
    assert [e.totals.user_id for e in rank_users(users, min_activities=3)] == ["gh_b"]
    with pytest.raises(ValueError, match="min_activities"):
        rank_users(users, min_activities=0)


def test_lone_user_beats_everyone_there_is() -> None:
    assert percentile_for(1, 1) == 100.0
    assert percentile_for(3, 5) == 50.0
    with pytest.raises(ValueError, match="outside"):
        percentile_for(6, 5)


# ---- properties ------------------------------------------------------------------------------------

BOT_USERS = {10, 11, 12}  # being a bot is a property of the account: all of its activities carry it


def make_activity(user: int, kind: str, carbon: float | None, minute: int, lines: int) -> ActivityFacts:
    bot = user in BOT_USERS
    return ActivityFacts(
        user_id=f"gh_{user}",
        github_login=f"user{user}" + ("[bot]" if bot and user % 2 else ""),
        is_bot=bot and user % 2 == 0,  # user 11 is known as a bot only by its [bot] login
        type=kind,
        counted=True,
        carbon_kg=carbon,
        timestamp=DAY.start + timedelta(minutes=minute),
        lines_changed=lines,
        duration_s=0.0,
    )


activity = st.builds(
    make_activity,
    st.integers(0, 12),
    st.sampled_from(["commit", "pr", "ci_run", "deployment"]),
    st.one_of(st.none(), st.floats(0, 5, allow_nan=False)),
    st.integers(0, 24 * 60 - 1),
    st.integers(0, 400),
)


@given(st.lists(activity, max_size=80), st.integers(1, 4))
def test_ranking_invariants(facts: list[ActivityFacts], min_activities: int) -> None:
    users = period_totals(DAY, facts)
    ranked = rank_users(users.values(), min_activities=min_activities)
    n = len(ranked)
    assert [e.rank for e in ranked] == list(range(1, n + 1))
    assert len({e.totals.user_id for e in ranked}) == n
    bots = {f"gh_{u}" for u in BOT_USERS}
    for entry in ranked:
        assert entry.totals.user_id not in bots
        assert entry.totals.activity_count >= min_activities
        assert entry.totals.lines_changed > 0
        assert 0.0 <= entry.percentile <= 100.0
    for better, worse in itertools.pairwise(ranked):
        assert better.totals.carbon_per_kloc_kg <= worse.totals.carbon_per_kloc_kg
        assert better.percentile > worse.percentile
    eligible = {u for u, t in users.items() if t.activity_count >= min_activities and t.lines_changed > 0}
    assert {e.totals.user_id for e in ranked} == eligible


@given(st.lists(activity, min_size=1, max_size=60))
def test_ranking_does_not_depend_on_input_order(facts: list[ActivityFacts]) -> None:
    forward = rank_users(period_totals(DAY, facts).values())
    backward = rank_users(period_totals(DAY, list(reversed(facts))).values())
    assert [(e.rank, e.totals.user_id) for e in forward] == [(e.rank, e.totals.user_id) for e in backward]


@given(st.lists(st.tuples(st.floats(0, 100, allow_nan=False), st.integers(1, 5000)), min_size=2, max_size=30))
def test_lowering_your_footprint_never_costs_you_rank(users: list[tuple[float, int]]) -> None:
    entries = [totals(f"gh_{i}", c, n) for i, (c, n) in enumerate(users)]
    before = {e.totals.user_id: e.rank for e in rank_users(entries)}
    improved = [totals(t.user_id, t.carbon_kg / 2, t.lines_changed) if t.user_id == "gh_0" else t for t in entries]
    after = {e.totals.user_id: e.rank for e in rank_users(improved)}
    assert after["gh_0"] <= before["gh_0"]
