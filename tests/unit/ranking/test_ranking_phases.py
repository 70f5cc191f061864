"""One run of every period ranks exactly as a run per period would, and a board holds every activity whose
window holds it, once: what the rollups were given is what the boards rank."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecotrace.domain.ranking import PeriodType
from ecotrace.services.leaderboard import LeaderboardOptions, RunRequest, update_leaderboards
from tests.fakes.memory_store import MemoryStore
from tests.unit.ranking.rollup_helpers import activity, record

NOW = datetime(2026, 12, 1, 3, tzinfo=UTC)  # early on a new day and month: previous periods refreshed too

activities = st.lists(
    st.tuples(
        st.integers(1, 6),  # user
        st.integers(-24 * 70, 24 * 3),  # hours from NOW: months back, and a few in the future
        st.one_of(st.none(), st.floats(0, 2, allow_nan=False)),
        st.sampled_from(["commit", "pr", "ci_run", "deployment"]),
    ),
    max_size=40,
)


def seeded(rows: list[tuple[int, int, float | None, str]]) -> MemoryStore:
    store = MemoryStore()
    for user, hours, carbon, kind in rows:
        record(store, activity(f"gh_{user}", NOW + timedelta(hours=hours), carbon, type=kind))
    return store


def boards(store: MemoryStore) -> dict[str, tuple[int, str, float]]:
    return {r["$id"]: (r["rank"], r["user_id"], r["carbon_kg"]) for r in store.tables["leaderboards"].values()}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(activities)
def test_one_run_of_all_periods_equals_a_run_per_period(rows: list[tuple[int, int, float | None, str]]) -> None:
    together = seeded(rows)
    update_leaderboards(together, RunRequest(tuple(PeriodType), NOW), options=LeaderboardOptions())
    apart = seeded(rows)
    for period_type in PeriodType:
        update_leaderboards(apart, RunRequest((period_type,), NOW), options=LeaderboardOptions())
    assert boards(together) == boards(apart)
    calculated_users = {user for user, _, carbon, kind in rows if carbon is not None and kind == "commit"}
    assert sum(k.startswith("all_time_") for k in boards(together)) == len(calculated_users)
