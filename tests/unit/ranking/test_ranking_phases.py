"""Reading in two phases (the day/week/month window, then the rest for all-time) ranks exactly as reading
each period on its own would: every activity lands in every board whose window holds it, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecotrace.clock import to_iso
from ecotrace.domain.ranking import PeriodType
from ecotrace.services.leaderboard import LeaderboardOptions, RunRequest, update_leaderboards
from tests.fakes.memory_store import MemoryStore

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
    for i, (user, hours, carbon, kind) in enumerate(rows):
        store.create(
            "activities",
            f"a{i}",
            {
                "user_id": f"gh_{user}",
                "github_login": f"dev{user}",
                "type": kind,
                "repo_id": "1",
                "repo_full_name": "o/r",
                "external_id": str(i),
                "source_event": "push",
                "timestamp": to_iso(NOW + timedelta(hours=hours)),
                "carbon_kg": carbon,
            },
        )
    return store


def boards(store: MemoryStore) -> dict[str, tuple[int, str, float]]:
    return {r["$id"]: (r["rank"], r["user_id"], r["carbon_kg"]) for r in store.tables["leaderboards"].values()}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(activities)
def test_one_run_of_all_periods_equals_a_run_per_period(rows: list[tuple[int, int, float | None, str]]) -> None:
    together = seeded(rows)
    result = update_leaderboards(together, RunRequest(tuple(PeriodType), NOW), options=LeaderboardOptions())
    assert result.activities_read == len(rows)  # each row read once
    apart = seeded(rows)
    for period_type in PeriodType:
        update_leaderboards(apart, RunRequest((period_type,), NOW), options=LeaderboardOptions())
    assert boards(together) == boards(apart)
    calculated_users = {user for user, _, carbon, _ in rows if carbon is not None}
    assert sum(k.startswith("all_time_") for k in boards(together)) == len(calculated_users)
