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
from ecotrace.domain.rollups import entries_for, plan_rows
from ecotrace.ports import Create, Store
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
