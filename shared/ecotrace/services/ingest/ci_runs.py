"""CI-run accounting: a workflow's energy is counted once, on its job rows when there are any. Pure: no I/O.

- The first job of a run creates the run's row as a placeholder (``counted=False``, ``details.placeholder``).
- The run's own ``completed`` event fills a placeholder in and leaves it uncounted.
- A run that arrived before any of its jobs was counted; when a job of it arrives, the run is un-counted: its row
  is rewritten ``counted=False`` with no energy, and its share is taken off its owner's totals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ...domain.github import Extraction
from ...domain.models import Activity
from ...ports import Row
from ...tables import activities

ENERGY_FIELDS = ("carbon_kg", "carbon_kg_low", "carbon_kg_high", "energy_kwh")
UNCOUNTED_BECAUSE = "its jobs are recorded as separate ci_run rows"


@dataclass(frozen=True)
class RunAccounting:
    """What a delivery does to workflow-run rows."""

    filled: tuple[Activity, ...] = ()  # placeholder rows a workflow_run fills in (as written: uncounted)
    placeholders: tuple[Activity, ...] = ()  # run rows a job creates because its run has none yet
    uncounted: tuple[Activity, ...] = ()  # counted runs a job un-counts, as stored (their share comes off)

    @property
    def updated(self) -> tuple[Activity, ...]:
        return (*self.filled, *self.uncounted)


def account_runs(extraction: Extraction, stored: Mapping[str, Row], *, has_new: bool) -> RunAccounting:
    """The run rows to fill, create or un-count, given the stored rows of the delivery's activity ids and
    run row ids. A job delivery touches its run only when it records something new (``has_new``)."""
    filled: list[Activity] = []
    if extraction.run_row_is_total:
        for activity in extraction.activities:
            row = stored.get(activity.id)
            if row is not None and activities.from_row(row).details.get("placeholder"):
                filled.append(activity.model_copy(update={"counted": False}))
    placeholders: list[Activity] = []
    uncounted: list[Activity] = []
    if extraction.run_links and has_new:
        for link in extraction.run_links:
            row = stored.get(link.run_row_id)
            if row is None:
                placeholders.append(link.placeholder)
                continue
            run = activities.from_row(row)
            if run.counted:
                uncounted.append(run)
    return RunAccounting(tuple(filled), tuple(placeholders), tuple(uncounted))


def uncounted_run(run: Activity) -> tuple[Activity, tuple[str, ...]]:
    """The run as it is rewritten when its jobs count its energy, and the fields that change."""
    zeroed = tuple(name for name in ENERGY_FIELDS if getattr(run, name) is not None)
    after = run.model_copy(
        update={
            "counted": False,
            **dict.fromkeys(zeroed, 0.0),
            "details": {**run.details, "uncounted_because": UNCOUNTED_BECAUSE},
        }
    )
    return after, ("counted", *zeroed, "details")
