"""Period totals the way production computes them: each activity's rollup entries (``domain.rollups``), planned
into rows (``plan_rows``), written by the codec (``tables.rollups.writes``) and read back as a ranking reads them
(``tables.rollups.totals_of``). No store: a fresh plan creates every row it touches."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ecotrace.domain.models import Activity
from ecotrace.domain.ranking import ActivityFacts, Period, UserTotals
from ecotrace.domain.rollups import ZERO, entries_for, plan_rows
from ecotrace.ports import Create, Row, Store
from ecotrace.services.rollups import RollupWriter
from ecotrace.tables import activities, rollups

_ids = itertools.count(1)


def period_totals(period: Period, facts: Iterable[ActivityFacts]) -> dict[str, UserTotals]:
    entries = [entry for fact in facts for entry in entries_for(None, fact)]
    out: dict[str, UserTotals] = {}
    for write in rollups.writes(plan_rows(entries, {})):
        assert isinstance(write, Create)
        if (write.data["period_type"], write.data["period_key"]) == (period.type.value, period.key):
            totals = rollups.totals_of(write.data)
            out[totals.user_id] = totals
    return out


def record(store: Store, activity: Activity) -> Activity:
    """Write an activity row and count it, in one transaction, as every writer does (``RollupWriter.apply``)."""
    RollupWriter(store).apply(
        [(None, activity)], with_writes=[Create(activities.NAME, activity.id, activities.to_row(activity))]
    )
    return activity


def activity(user_id: str, when: datetime, carbon_kg: float | None, **fields: Any) -> Activity:
    """A calculated (or pending) activity of ``user_id``: a 100-line commit unless ``fields`` say otherwise."""
    base: dict[str, Any] = {
        "id": f"act{next(_ids)}",
        "user_id": user_id,
        "github_login": user_id.replace("gh_", "dev"),
        "type": "commit",
        "repo_id": "1",
        "repo_full_name": "eco/trace",
        "source_event": "push",
        "timestamp": when,
        "carbon_kg": carbon_kg,
        "lines_added": 80,
        "lines_deleted": 20,
    }
    base.update(fields)
    base.setdefault("external_id", base["id"])
    return Activity(**base)


def rollups_from_scratch(activity_rows: Iterable[Row]) -> dict[str, tuple[dict[str, float], int]]:
    """What every rollup row should hold (its sums, and active_days), from activity rows alone."""
    entries = []
    for row in activity_rows:
        fact = activities.facts_from_row(row)
        assert fact is not None
        entries.extend(entries_for(None, fact))
    return {c.row_id: (dict(c.delta.values), c.active_days) for c in plan_rows(entries, {})}


def assert_rollups_match(expected: dict[str, tuple[dict[str, float], int]], stored: dict[str, Row]) -> None:
    """Every stored rollup row holds what ``expected`` says (floats to 1e-9; absent rows are zero)."""
    import pytest

    for row_id in sorted(set(expected) | set(stored)):
        want, want_days = expected.get(row_id, ({}, 0))
        row = stored.get(row_id)
        have = rollups.delta_of(row) if row is not None else ZERO
        for column in set(want) | set(have.values):
            assert have.get(column) == pytest.approx(want.get(column, 0), rel=1e-9, abs=1e-12), (row_id, column)
        if row is not None and row["period_type"] != "daily":
            assert rollups.active_days_of(row) == want_days, row_id
