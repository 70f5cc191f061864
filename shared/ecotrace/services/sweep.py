"""Use case: the carbon-calculator's schedule. Completes what ingest left undone, in bounded slices.

1. Pending rollup deltas (deliveries that met contention past their budget, or held too many rows for one
   transaction) are folded into the rollups, oldest first (``services.rollups.RollupWriter.fold_pending``).
2. Activities without a carbon result (the carbon step failed at ingest, e.g. a live-source outage) are calculated:
   ``counted = true`` and ``calculated_at`` null (index ``idx_pending``), by ``$id`` cursor, in batches of
   ``ACTIVITIES_PER_TRANSACTION``, written like every carbon result (``CarbonWrite`` + the rollup writer), until
   ``SWEEP_LIMIT`` rows or the time budget. A row that fails to read is skipped and reported; the next run starts
   over (calculated rows have left the query).

This replaces the per-activity ``activities.*.create`` event: a 100-commit push cost 100 executions that found
the carbon already there. Now it costs the webhook's one; the sweep runs every 10 minutes whatever the traffic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from appwrite.query import Query

from ..domain.carbon import CarbonResult
from ..errors import ConflictError, StorageError, ValidationError
from ..ports import Store
from ..tables import activities
from .rollups import RollupWriter


class Calculator(Protocol):
    """What the sweep needs of ``services.calculate.CarbonCalculator``."""

    store: Store
    rollups: RollupWriter
    monotonic: Callable[[], float]
    budget_s: float

    def calculate_and_write(
        self, row_ids: Sequence[str], *, only_stale: bool, deadline: float | None = None
    ) -> tuple[bool, list[CarbonResult]]: ...


SWEEP_LIMIT = 1000  # activities per run
PAGE = 100
FOLD_LIMIT = 500
FOLD_BUDGET_S = 5.0


@dataclass
class SweepReport:
    pending_folded: int = 0
    pending_left: int = 0
    activities_checked: int = 0
    calculated: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    done: bool = False  # no pending activity was left behind by this run

    def to_dict(self) -> dict[str, Any]:
        return {"ok": True, "status": "swept", **asdict(self)}


def pending_query(cursor: str | None) -> list[str]:
    queries = [
        Query.equal("counted", True),
        Query.is_null("calculated_at"),
        Query.order_asc("$id"),
        Query.select(["$id"]),
        Query.limit(PAGE),
    ]
    if cursor is not None:
        queries.append(Query.cursor_after(cursor))
    return queries


def sweep(calculator: Calculator, *, batch: int, limit: int = SWEEP_LIMIT) -> SweepReport:
    """One run of the schedule (see the module docstring); ``batch`` activities per transaction."""
    report = SweepReport()
    folded = calculator.rollups.fold_pending(limit=FOLD_LIMIT, budget_s=FOLD_BUDGET_S)
    report.pending_folded, report.pending_left = folded.folded, folded.left
    started = calculator.monotonic()
    deadline = started + calculator.budget_s
    cursor: str | None = None
    while report.activities_checked < limit and calculator.monotonic() < deadline:
        ids = [str(row["$id"]) for row in calculator.store.find(activities.NAME, pending_query(cursor))]
        if not ids:
            report.done = True
            break
        report.activities_checked += len(ids)
        cursor = ids[-1]
        for i in range(0, len(ids), batch):
            chunk = ids[i : i + batch]
            try:
                _, results = calculator.calculate_and_write(chunk, only_stale=True, deadline=deadline)
                report.calculated += len(results)
            except (ValidationError, ConflictError, StorageError) as exc:
                report.failed.append({"activity_ids": ",".join(chunk)[:200], "error": exc.message[:200]})
        if len(ids) < PAGE:
            report.done = not report.failed
            break
    return report
