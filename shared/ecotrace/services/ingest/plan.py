"""The one transaction of a counted delivery, planned as data. Pure: no store, no clock, no closures.

:func:`plan` takes what was read (the stored rows of the delivery's activity ids, the sender's ``users`` row,
the ``user_stats`` and ``rollups`` rows it changes), the new activities (already enriched) and their carbon, and
returns an :class:`IngestPlan`: the writes in order (sender's ``users`` row, new ``activities`` rows, rewritten
run rows, un-count markers, the carbon write's ``calculations``, the global feed's rows), then the counted writes
of the rollup writer (``services.rollups.counted_writes``: ``rollups`` and ``user_stats``, or, when ``defer`` is
set or they do not fit the transaction, the ``pending_deltas`` rows that carry them). :func:`apply_plan` stages
them. The delivery's own completion is the ledger's (``ledger.DeliveryLedger.completion``), staged after them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ...domain.github import DeliveryHeaders, Extraction
from ...domain.models import Activity
from ...domain.rollups import RollupEntry, StoredRollup
from ...domain.stats import StatsChange
from ...ports import MAX_BATCH, BulkCreate, Create, Row, Transaction, Update, Write
from ...tables import activities, deliveries, users
from ...tables import feed as feed_rows
from ...tables.permissions import owner_permissions
from ..carbon import CarbonOutcome, CarbonWrite
from ..rollups import CountedState, entries_of
from ..rollups import counted_writes as plan_counted
from .ci_runs import account_runs, uncounted_run


@dataclass(frozen=True)
class StoredRows:
    """What the plan reads: rows as the store returned them."""

    activities: Mapping[str, Row]  # of the delivery's activity ids and its jobs' run row ids, where they exist
    user: Row | None  # the sender's users row
    stats: Mapping[str, Row | None] = field(default_factory=dict)  # user_stats rows by user id (None: no row yet)
    rollups: Mapping[str, StoredRollup] = field(default_factory=dict)  # the rollup rows the counting touches


@dataclass(frozen=True)
class IngestPlan:
    created: tuple[Activity, ...]  # the delivery's new activities as written (with carbon when it was calculated)
    already_recorded: tuple[str, ...]  # ids of the delivery's activities another delivery already wrote
    updated: tuple[str, ...]  # ids of existing rows rewritten (filled-in placeholders, un-counted runs)
    writes: tuple[Write, ...]
    entries: tuple[RollupEntry, ...] = ()  # what the delivery changes in the rollups
    pending_users: tuple[str, ...] = ()  # whose counting went to pending_deltas rows instead (fold them)


def new_activities(extraction: Extraction, stored: Mapping[str, Row]) -> list[Activity]:
    """The delivery's activities that have no row yet."""
    return [a for a in extraction.activities if a.id not in stored]


def counted_changes(
    extraction: Extraction, stored: Mapping[str, Row], new: Sequence[Activity]
) -> list[tuple[Activity | None, Activity | None]]:
    """What the delivery changes in counted figures: its new activities (as created), and the runs it un-counts."""
    runs = account_runs(extraction, stored, has_new=bool(new))
    return [(None, a) for a in new] + [(run, uncounted_run(run)[0]) for run in runs.uncounted]


def rollup_entries(
    extraction: Extraction, stored: Mapping[str, Row], new: Sequence[Activity], carbon: Sequence[tuple[Activity, Row]]
) -> list[RollupEntry]:
    """The rollup entries of :func:`counted_changes`, with the new activities' carbon where it was calculated
    (what the service reads the rollup rows for before it plans)."""
    with_carbon = {activity.id: activity for activity, _ in carbon}
    created = [with_carbon.get(a.id, a) for a in new]
    return entries_of(counted_changes(extraction, stored, created))


def plan(
    extraction: Extraction,
    delivery: DeliveryHeaders,
    stored: StoredRows,
    new: Sequence[Activity],
    now: datetime,
    carbon: Sequence[tuple[Activity, Row]] = (),
    *,
    defer: bool = False,
    feed: bool = True,
) -> IngestPlan:
    """The writes of one counted delivery. ``new`` are :func:`new_activities` (possibly enriched); ``carbon`` pairs
    some of them, with their carbon filled in, with their ``calculations`` rows. ``defer``: commit the counting as
    pending deltas (the rows it would change are contended). ``feed``: write the global feed's rows (not for history a
    backfill imports)."""
    actor = extraction.actor
    if actor is None:
        raise ValueError("a counted delivery always has a sender")
    perms = owner_permissions(users.account_of(stored.user) if stored.user else None)
    runs = account_runs(extraction, stored.activities, has_new=bool(new))
    filled_ids = {run.id for run in runs.filled}
    already = [a.id for a in extraction.activities if a.id in stored.activities and a.id not in filled_ids]

    stats: dict[str, StatsChange] = {actor.user_id: StatsChange(actor.login)}
    for run in runs.uncounted:
        stats.setdefault(run.user_id, StatsChange(run.github_login)).count(run, sign=-1)
    for activity in new:
        if activity.counted:
            stats[actor.user_id].count(activity)
    with_carbon = {activity.id: (activity, row) for activity, row in carbon}
    created = [with_carbon[a.id][0] if a.id in with_carbon else a for a in new]
    outcomes = [CarbonOutcome(*with_carbon[a.id], tuple(perms)) for a in new if a.id in with_carbon]

    writes: list[Write] = []
    if stored.user is None:
        writes.append(Create(users.NAME, actor.user_id, users.new_row(actor, now)))
    elif (changes := users.profile_changes(stored.user, actor)) is not None:
        writes.append(Update(users.NAME, actor.user_id, changes))
    rows = [activities.to_row(a, perms) for a in [*created, *runs.placeholders]]
    if rows:
        writes.append(BulkCreate(activities.NAME, tuple(rows)))
    for run in runs.filled:
        writes.append(Update(activities.NAME, run.id, activities.rewrite_row(run)))
    for run in runs.uncounted:
        after, changed = uncounted_run(run)
        writes.append(Update(activities.NAME, run.id, activities.columns(after, changed)))
    for run in runs.uncounted:
        writes.append(Create(deliveries.NAME, *deliveries.uncount_marker(run.id, delivery, now)))
    carbon_write = CarbonWrite(outcomes, stats)
    writes.extend(carbon_write.carbon_writes())
    if feed:
        writes.extend(feed_rows.creates(delivery.row_id, created, actor.login, users.visibility(stored.user), now))
    entries = entries_of(counted_changes(extraction, stored.activities, created))
    counted = plan_counted(
        entries,
        stats,
        CountedState(stored.rollups, stored.stats),
        source=delivery.row_id,
        room=MAX_BATCH - len(writes) - 1,  # the ledger's completion comes last
        now=now,
        defer=defer,
        create_stats=True,
        stats_permissions={actor.user_id: perms},
    )
    writes.extend(counted.writes)
    return IngestPlan(
        created=tuple(created),
        already_recorded=tuple(already),
        updated=tuple(run.id for run in runs.updated),
        writes=tuple(writes),
        entries=tuple(entries),
        pending_users=counted.pending_users,
    )


def apply_plan(ingest_plan: IngestPlan, tx: Transaction) -> None:
    tx.stage(*ingest_plan.writes)
