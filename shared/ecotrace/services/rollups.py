"""The rollup writer: the one place that changes ``rollups`` (and, with them, ``user_stats`` when deferred).

Every path that changes a counted figure hands it the activity's change, ``(before, after)``
(:func:`entries_of`; ``domain.rollups.contribution`` decides what counts). It reads the rows it will touch in one
``get_many`` (:meth:`RollupWriter.read`) and plans one write per row (``tables.rollups.writes``), staged in the
SAME transaction as the rows whose change it counts: ingest (``services.ingest``), carbon results
(``services.carbon`` / ``services.calculate``), deletions (:meth:`RollupWriter.apply`, :meth:`remove_user`),
reconciliation (``services.reconcile``).

When those writes cannot go in that transaction (they would not fit Appwrite's 100 operations, or the caller met
contention until its time budget ran out), :meth:`RollupWriter.counted_writes` returns instead one create per
person of a ``pending_deltas`` row (id from the source, so it conflicts with nothing and cannot be created twice)
carrying the planned changes. :meth:`RollupWriter.fold` applies one: in ONE transaction it deletes the row and
applies its changes to the rows as they are then; a second fold fails on the delete and changes nothing. The
source folds its rows right after its commit when it can; the carbon-calculator's sweep and the leaderboard run
fold what is left (:meth:`RollupWriter.fold_pending`).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from appwrite.query import Query

from ..clock import Clock, utc_now
from ..domain.models import Activity
from ..domain.rollups import RollupEntry, StoredRollup, entries_for, facts_of, plan_rows, row_ids_of
from ..domain.stats import StatsChange
from ..errors import ConflictError, NotFoundError, ValidationError
from ..ports import MAX_BATCH, Delete, Row, Store, Write
from ..tables import pending_deltas, rollups, user_stats, users
from ..tables.permissions import owner_permissions
from .contention import Backoff

log = logging.getLogger(__name__)

DEFERRED_ATTEMPTS = 3  # commits of the deferred form (no contended rows) before giving up
FOLD_AFTER_S = 2.0  # how long a source tries to fold its own pending deltas right after its commit

Change = tuple[Activity | None, Activity | None]  # an activity before and after (None: absent)


def entries_of(changes: Iterable[Change]) -> list[RollupEntry]:
    """The rollup entries of activities changing from ``before`` to ``after``."""
    out: list[RollupEntry] = []
    for before, after in changes:
        out.extend(entries_for(facts_of(before) if before else None, facts_of(after) if after else None))
    return out


@dataclass(frozen=True)
class CountedState:
    """The rows counted writes are planned from: rollup rows by id (absent: none yet), user_stats rows by user."""

    rollups: Mapping[str, StoredRollup] = field(default_factory=dict)
    stats: Mapping[str, Row | None] = field(default_factory=dict)


@dataclass(frozen=True)
class CountedWrites:
    writes: tuple[Write, ...]
    pending: tuple[str, ...] = ()  # ids of pending_deltas rows created instead of the direct writes


@dataclass(frozen=True)
class FoldReport:
    folded: int = 0
    left: int = 0  # still pending (contended past the budget, or out of time)
    unreadable: int = 0


def counted_writes(
    entries: Sequence[RollupEntry],
    stats: Mapping[str, StatsChange],
    state: CountedState,
    *,
    source: str,
    room: int,
    now: datetime,
    defer: bool = False,
    create_stats: bool = True,
    stats_permissions: Mapping[str, Sequence[str]] | None = None,
) -> CountedWrites:
    """The writes that count ``entries`` and ``stats`` (pure): direct (rollup rows, then user_stats rows) when they
    fit in ``room`` operations and ``defer`` is false, else one pending delta per person (see the module)."""
    perms = stats_permissions or {}
    if not defer:
        direct: list[Write] = rollups.writes(plan_rows(entries, state.rollups))
        for user_id, change in stats.items():
            row = state.stats.get(user_id)
            direct.extend(user_stats.writes(user_id, change, row, perms.get(user_id, ()), create=create_stats))
        if len(direct) <= room:
            return CountedWrites(tuple(direct))
    people = sorted({e.user_id for e in entries} | {u for u, c in stats.items() if c.nonzero()})
    creates = []
    for user_id in people:
        mine = [e for e in entries if e.user_id == user_id]
        creates.extend(
            pending_deltas.creates(source, user_id, mine, stats.get(user_id), now, create_stats=create_stats)
        )
    return CountedWrites(tuple(creates), tuple(c.row_id for c in creates))


class RollupWriter:
    def __init__(
        self,
        store: Store,
        *,
        clock: Clock = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.clock = clock
        self.monotonic = monotonic
        self.sleep = sleep

    def backoff(self, budget_s: float) -> Backoff:
        return Backoff(budget_s, monotonic=self.monotonic, sleep=self.sleep).start()

    # ---- planning -------------------------------------------------------------------------------------------
    def read(self, entries: Sequence[RollupEntry]) -> dict[str, StoredRollup]:
        """The rollup rows the entries touch, as stored (one get_many; absent ids have no row yet)."""
        found = self.store.get_many(rollups.NAME, row_ids_of(entries)) if entries else {}
        return {row_id: rollups.stored(row) for row_id, row in found.items()}

    # ---- applying outside another transaction ---------------------------------------------------------------
    def apply(self, changes: Sequence[Change], *, with_writes: Sequence[Write] = (), budget_s: float = 10.0) -> None:
        """Count ``changes`` in one transaction with ``with_writes`` (e.g. the deletes of the rows), re-reading and
        retrying on a conflict; past the budget, the counting is committed as pending deltas and folded."""
        entries = entries_of(changes)
        backoff = self.backoff(budget_s)
        source = f"apply:{uuid.uuid4().hex}"
        deferred_attempts = 0
        defer = False
        while True:
            state = CountedState(self.read(entries))
            room = MAX_BATCH - len(with_writes)
            counted = counted_writes(entries, {}, state, source=source, room=room, now=self.clock(), defer=defer)
            try:
                with self.store.transaction() as tx:
                    tx.stage(*with_writes, *counted.writes)
            except (ConflictError, NotFoundError):
                deferred_attempts += defer
                if deferred_attempts >= DEFERRED_ATTEMPTS:
                    raise
                defer = defer or not backoff.wait()
                continue
            self.fold_many(counted.pending, budget_s=FOLD_AFTER_S)
            return

    # ---- pending deltas -------------------------------------------------------------------------------------
    def fold(self, row_id: str, backoff: Backoff) -> bool:
        """Apply and delete one pending delta. False when it was already folded, or left for later (contended
        past the budget)."""
        while True:
            row = self.store.get(pending_deltas.NAME, row_id)
            if row is None:
                return False
            delta = pending_deltas.from_row(row)
            stats = {delta.user_id: delta.stats} if delta.stats is not None else {}
            stats_rows = {u: self.store.get(user_stats.NAME, u) for u in stats}
            perms: dict[str, Sequence[str]] = {}
            if delta.create_stats and any(r is None for r in stats_rows.values()):
                owner = self.store.get(users.NAME, delta.user_id)
                perms[delta.user_id] = owner_permissions(users.account_of(owner) if owner else None)
            counted = counted_writes(
                delta.entries,
                stats,
                CountedState(self.read(delta.entries), stats_rows),
                source=row_id,
                room=MAX_BATCH - 1,
                now=self.clock(),
                create_stats=delta.create_stats,
                stats_permissions=perms,
            )
            if counted.pending:
                raise ValidationError(f"pending delta {row_id} does not fit one transaction")
            try:
                with self.store.transaction() as tx:
                    tx.stage(Delete(pending_deltas.NAME, row_id), *counted.writes)
                return True
            except (ConflictError, NotFoundError):
                if not backoff.wait():
                    return False

    def fold_many(self, row_ids: Iterable[str], *, budget_s: float) -> FoldReport:
        backoff = self.backoff(budget_s)
        folded = left = unreadable = 0
        for row_id in row_ids:
            try:
                if self.fold(row_id, backoff):
                    folded += 1
                elif self.store.get(pending_deltas.NAME, row_id) is not None:
                    left += 1
            except ValidationError as exc:
                log.error("pending delta %s left alone: %s", row_id, exc.message)
                unreadable += 1
        return FoldReport(folded, left, unreadable)

    def fold_pending(self, *, limit: int = 200, budget_s: float = 10.0) -> FoldReport:
        """Fold up to ``limit`` pending deltas, oldest first (index idx_created), within ``budget_s``."""
        queries = [Query.order_asc("created_at"), Query.select(["$id"]), Query.limit(min(limit, 1000))]
        ids = [str(r["$id"]) for r in self.store.find(pending_deltas.NAME, queries)]
        return self.fold_many(ids, budget_s=budget_s)

    def pending_of(self, user_ids: Sequence[str]) -> list[Row]:
        """The pending deltas of some people (index idx_user)."""
        if not user_ids:
            return []
        return list(self.store.iterate(pending_deltas.NAME, [Query.equal("user_id", list(user_ids))], page_size=100))

    # ---- a person's rows ---------------------------------------------------------------------------------
    def remove_user(self, user_id: str) -> int:
        """Delete every rollup and pending delta of one person (their data is being erased); returns how many."""
        removed = 0
        for table in (pending_deltas.NAME, rollups.NAME):
            while True:
                rows = self.store.find(
                    table, [Query.equal("user_id", user_id), Query.select(["$id"]), Query.limit(MAX_BATCH)]
                )
                if not rows:
                    break
                with self.store.transaction() as tx:
                    tx.stage(*(Delete(table, str(r["$id"])) for r in rows))
                removed += len(rows)
        return removed
