"""A change to one person's running totals (their ``user_stats`` row). Pure: no I/O.

The totals are kept as increments so concurrent deliveries never overwrite each other: a delivery counts its
new activities (``count``), takes a run's share off when its jobs arrive (``count(..., sign=-1)``), and a carbon
result adds its change (``add_carbon``). ``ecotrace.tables.user_stats`` turns a change into row writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .github import opens_pull_request
from .models import Activity, ActivityType


def count_total(activity_type: ActivityType | str) -> str:
    """The total that counts activities of a type: ``<type>_count`` (a column of user_stats and leaderboards)."""
    return f"{ActivityType(activity_type).value}_count"


@dataclass
class StatsChange:
    """What to add to one user's totals (names are the ``user_stats`` columns)."""

    login: str
    totals: dict[str, float] = field(default_factory=dict)
    last_activity_at: datetime | None = None

    def add(self, total: str, value: float) -> None:
        if value:
            self.totals[total] = self.totals.get(total, 0) + value

    def count(self, activity: Activity, sign: int = 1) -> None:
        """Count (``sign=-1``: un-count) one activity: its count, CI minutes, commit lines and carbon."""
        self.add("activity_count", sign)
        if activity.type is not ActivityType.PR or opens_pull_request(activity.type.value, activity.external_id):
            self.add(count_total(activity.type), sign)
        if activity.type is ActivityType.CI_RUN and activity.duration_s:
            self.add("ci_minutes", sign * activity.duration_s / 60.0)
        if activity.type is ActivityType.COMMIT:
            # PR rows repeat their commits' lines, so only commits feed lines_changed.
            self.add("lines_changed", sign * ((activity.lines_added or 0) + (activity.lines_deleted or 0)))
        if activity.carbon_kg:
            self.add("carbon_kg", sign * activity.carbon_kg)
        if sign > 0 and (self.last_activity_at is None or activity.timestamp > self.last_activity_at):
            self.last_activity_at = activity.timestamp

    def add_carbon(self, carbon_kg: float | None, replaced_kg: float | None = None) -> None:
        """A carbon result: ``carbon_kg`` in, the ``replaced_kg`` an earlier result had counted out."""
        self.add("carbon_kg", carbon_kg or 0.0)
        self.add("carbon_kg", -(replaced_kg or 0.0))

    def nonzero(self) -> dict[str, float]:
        return {name: value for name, value in self.totals.items() if value != 0}
