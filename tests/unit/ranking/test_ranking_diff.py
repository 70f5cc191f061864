"""When a stored entry counts as unchanged (and is therefore not rewritten, sending no realtime event)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ecotrace.domain.ranking import PeriodType, RankedEntry, UserTotals, period_for
from ecotrace.tables.leaderboards import entry_columns, unchanged

MONTH = period_for(PeriodType.MONTHLY, datetime(2026, 11, 25, tzinfo=UTC))


def columns(carbon_kg: float, activities: int, rank: int = 1) -> dict[str, Any]:
    t = UserTotals("gh_1", "octo")
    t.carbon_kg, t.activity_count = carbon_kg, activities
    t.counts["commit"] = activities
    t.lines_changed = 10 * activities
    return entry_columns(MONTH, RankedEntry(rank, 100.0, t))


def test_a_stored_row_as_appwrite_returns_it_is_unchanged() -> None:
    new = columns(0.3, 3)
    stored = {
        **new,
        "$id": "monthly_2026-11_gh_1",
        "$updatedAt": "2026-11-25T10:00:00.000+00:00",
        "period_start": "2026-11-01T00:00:00+00:00",  # another spelling of the same instant
        "updated_at": "2026-11-25T10:00:00.000+00:00",
    }
    assert unchanged(stored, new)


def test_a_cleared_column_is_a_change() -> None:
    new = columns(0.3, 3)
    assert new["carbon_per_kloc_kg"] is not None
    assert not unchanged({**new, "carbon_per_kloc_kg": None}, new)
    assert not unchanged({k: v for k, v in new.items() if k != "carbon_per_kloc_kg"}, new)


@given(
    st.floats(0, 1e4, allow_nan=False),
    st.integers(1, 10**5),
    st.sampled_from(["carbon_kg", "activity_count", "rank", "percentile", "github_login", "active_days"]),
)
def test_any_real_change_is_seen(carbon_kg: float, activities: int, column: str) -> None:
    new = columns(carbon_kg, activities)
    assert unchanged(dict(new), new)
    old = dict(new)
    value = old[column]
    old[column] = value + "x" if isinstance(value, str) else value * 1.001 + 1
    assert not unchanged(old, new)
