"""The ranking rule: lowest kg CO2e per counted activity first; ties by more activities, then login.

Property tests state the invariants: ranks are exactly 1..n, percentile in 0..100 and never higher for a
worse rank, a lower score never ranks below a higher one, bots and under-active users are never ranked.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecotrace.domain.ranking import (
    ActivityFacts,
    PeriodType,
    UserTotals,
    percentile_for,
    period_for,
    rank_users,
    tally,
)

DAY = period_for(PeriodType.DAILY, datetime(2026, 11, 25, tzinfo=UTC))


def totals(user_id: str, carbon_kg: float, activities: int, login: str | None = None) -> UserTotals:
    t = UserTotals(user_id, login or user_id)
    t.carbon_kg = carbon_kg
    t.activity_count = activities
    return t


def test_most_efficient_user_ranks_first_not_the_least_active() -> None:
    # idle: 1 commit at 0.05 kg; busy: 40 activities at 0.4 kg in total = 0.01 kg each
    ranked = rank_users([totals("gh_idle", 0.05, 1), totals("gh_busy", 0.4, 40)])
    assert [(e.rank, e.totals.user_id) for e in ranked] == [(1, "gh_busy"), (2, "gh_idle")]
    assert [e.percentile for e in ranked] == [100.0, 0.0]


def test_equal_scores_rank_more_activities_first_then_login() -> None:
    ranked = rank_users(
        [
            totals("gh_3", 0.2, 10, "zed"),
            totals("gh_1", 0.1, 5, "Bea"),
            totals("gh_2", 0.1, 5, "amy"),  # same score and count as Bea: login decides, case-insensitively
        ]
    )
    assert [e.totals.github_login for e in ranked] == ["zed", "amy", "Bea"]
    assert [e.rank for e in ranked] == [1, 2, 3]


def test_minimum_activity_threshold() -> None:
    users = [totals("gh_a", 0.0, 2), totals("gh_b", 0.0, 3), totals("gh_c", 0.0, 0)]
    assert [e.totals.user_id for e in rank_users(users)] == ["gh_b", "gh_a"]
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


def make_activity(user: int, kind: str, carbon: float | None, minute: int) -> ActivityFacts:
    bot = user in BOT_USERS
    return ActivityFacts(
        user_id=f"gh_{user}",
        github_login=f"user{user}" + ("[bot]" if bot and user % 2 else ""),
        is_bot=bot and user % 2 == 0,  # user 11 is known as a bot only by its [bot] login
        type=kind,
        counted=True,
        carbon_kg=carbon,
        timestamp=DAY.start + timedelta(minutes=minute),
        lines_changed=0,
        duration_s=0.0,
    )


activity = st.builds(
    make_activity,
    st.integers(0, 12),
    st.sampled_from(["commit", "pr", "ci_run", "deployment"]),
    st.one_of(st.none(), st.floats(0, 5, allow_nan=False)),
    st.integers(0, 24 * 60 - 1),
)


@given(st.lists(activity, max_size=80), st.integers(1, 4))
def test_ranking_invariants(facts: list[ActivityFacts], min_activities: int) -> None:
    result = tally(DAY, facts)
    ranked = rank_users(result.users.values(), min_activities=min_activities)
    n = len(ranked)
    assert [e.rank for e in ranked] == list(range(1, n + 1))
    assert len({e.totals.user_id for e in ranked}) == n
    bots = {f"gh_{u}" for u in BOT_USERS}
    for entry in ranked:
        assert entry.totals.user_id not in bots
        assert entry.totals.activity_count >= min_activities
        assert 0.0 <= entry.percentile <= 100.0
    for better, worse in itertools.pairwise(ranked):
        assert better.totals.carbon_per_activity_kg <= worse.totals.carbon_per_activity_kg
        assert better.percentile > worse.percentile
    eligible = {u for u, t in result.users.items() if t.activity_count >= min_activities}
    assert {e.totals.user_id for e in ranked} == eligible


@given(st.lists(activity, min_size=1, max_size=60))
def test_ranking_does_not_depend_on_input_order(facts: list[ActivityFacts]) -> None:
    forward = rank_users(tally(DAY, facts).users.values())
    backward = rank_users(tally(DAY, list(reversed(facts))).users.values())
    assert [(e.rank, e.totals.user_id) for e in forward] == [(e.rank, e.totals.user_id) for e in backward]


@given(st.lists(st.tuples(st.floats(0, 100, allow_nan=False), st.integers(1, 50)), min_size=2, max_size=30))
def test_lowering_your_footprint_never_costs_you_rank(users: list[tuple[float, int]]) -> None:
    entries = [totals(f"gh_{i}", c, n) for i, (c, n) in enumerate(users)]
    before = {e.totals.user_id: e.rank for e in rank_users(entries)}
    improved = [totals(t.user_id, t.carbon_kg / 2, t.activity_count) if t.user_id == "gh_0" else t for t in entries]
    after = {e.totals.user_id: e.rank for e in rank_users(improved)}
    assert after["gh_0"] <= before["gh_0"]
