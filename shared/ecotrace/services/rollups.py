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
FOLD_AFTER_S = 2.0  # a source folds its people's pending deltas right after its commit, without retrying a
# conflict: under a burst the first fold that commits takes all of them, and a fold that meets another leaves them
FOLD_BATCH = 60  # pending deltas one fold reads for a person
STATS_OPS = 12  # a user_stats change: one increment per column it changes, and last_activity_at

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
    pending_users: tuple[str, ...] = ()  # whose they are (fold them with fold_people)


@dataclass(frozen=True)
class FoldReport:
    folded: int = 0
    left: int = 0  # of the rows listed, still pending (contended past the budget, out of time, or unreadable)


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
    return CountedWrites(tuple(creates), tuple(c.row_id for c in creates), tuple(people))


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
            self.fold_people(counted.pending_users, budget_s=FOLD_AFTER_S, retry=False)
            return

    # ---- pending deltas -------------------------------------------------------------------------------------
    def fold(self, row_id: str, backoff: Backoff) -> bool:
        """Apply and delete one pending delta. False when it was already folded, or left for later (contended
        past the budget)."""
        row = self.store.get(pending_deltas.NAME, row_id)
        return row is not None and self._fold([row], backoff, reread=lambda: self._rows_by_id([row_id])) == 1

    def fold_person(self, user_id: str, backoff: Backoff, *, retry: bool = True) -> int:
        """Fold one person's pending deltas, oldest first, as many as ONE transaction holds; returns how many
        (0: none was left, or the rows stayed contended past the budget). Under a burst the first fold to commit
        takes every delta then pending, and the others find theirs gone."""

        def oldest() -> list[Row]:
            queries = [Query.equal("user_id", user_id), Query.order_asc("created_at"), Query.limit(FOLD_BATCH)]
            return self.store.find(pending_deltas.NAME, queries)

        return self._fold(oldest(), backoff, reread=oldest, retry=retry)

    def _rows_by_id(self, row_ids: Sequence[str]) -> list[Row]:
        return list(self.store.get_many(pending_deltas.NAME, row_ids).values())

    def _fold(self, rows: list[Row], backoff: Backoff, *, reread: Callable[[], list[Row]], retry: bool = True) -> int:
        while rows:
            batch = self._foldable(rows)
            if not batch:
                return 0
            writes = self._fold_writes(batch)
            try:
                with self.store.transaction() as tx:
                    tx.stage(*(Delete(pending_deltas.NAME, d.row_id) for d in batch), *writes)
                return len(batch)
            except (ConflictError, NotFoundError):  # another fold or writer got there first: read again
                if not retry or not backoff.wait():
                    return 0
            rows = reread()
        return 0

    def _foldable(self, rows: Sequence[Row]) -> list[pending_deltas.PendingDelta]:
        """The leading deltas of one person, with the same create_stats, that fit one transaction together."""
        batch: list[pending_deltas.PendingDelta] = []
        for row in rows:
            try:
                delta = pending_deltas.from_row(row)
            except ValidationError as exc:  # kept for a person to look at; the others are folded
                log.error("pending delta %s left alone: %s", row.get("$id"), exc.message)
                continue
            if batch and (delta.user_id, delta.create_stats) != (batch[0].user_id, batch[0].create_stats):
                continue
            rows_touched = len(row_ids_of([e for d in (*batch, delta) for e in d.entries]))
            if batch and len(batch) + 1 + rows_touched + STATS_OPS > MAX_BATCH:
                break
            batch.append(delta)
        return batch

    def _fold_writes(self, batch: Sequence[pending_deltas.PendingDelta]) -> list[Write]:
        user_id, create_stats = batch[0].user_id, batch[0].create_stats
        entries = [e for d in batch for e in d.entries]
        stats: dict[str, StatsChange] = {}
        for delta in batch:
            if delta.stats is not None:
                merged = stats.setdefault(user_id, StatsChange(delta.stats.login))
                merged.login = delta.stats.login
                for column, value in delta.stats.totals.items():
                    merged.add(column, value)
                latest = delta.stats.last_activity_at
                if latest is not None and (merged.last_activity_at is None or latest > merged.last_activity_at):
                    merged.last_activity_at = latest
        stats_rows = {u: self.store.get(user_stats.NAME, u) for u in stats}
        perms: dict[str, Sequence[str]] = {}
        if create_stats and any(r is None for r in stats_rows.values()):
            owner = self.store.get(users.NAME, user_id)
            perms[user_id] = owner_permissions(users.account_of(owner) if owner else None)
        counted = counted_writes(
            entries,
            stats,
            CountedState(self.read(entries), stats_rows),
            source="fold",
            room=MAX_BATCH - len(batch),
            now=self.clock(),
            create_stats=create_stats,
            stats_permissions=perms,
        )
        if counted.pending:
            raise ValidationError(f"pending deltas {batch[0].row_id}... do not fit one transaction")
        return list(counted.writes)

    def fold_people(self, user_ids: Iterable[str], *, budget_s: float, retry: bool = True) -> int:
        """Fold the pending deltas of these people while folds commit and ``budget_s`` lasts (at least one try
        each); ``retry``: back off and try again after a conflict (else leave the rest to whoever won)."""
        backoff = self.backoff(budget_s)
        folded = 0
        for user_id in dict.fromkeys(user_ids):
            while n := self.fold_person(user_id, backoff, retry=retry):
                folded += n
                if backoff.expired():
                    return folded
        return folded

    def fold_pending(self, *, limit: int = 200, budget_s: float = 10.0) -> FoldReport:
        """Fold the pending deltas of the people with the oldest ones (index idx_created), up to about ``limit``
        rows, within ``budget_s``."""
        queries = [Query.order_asc("created_at"), Query.select(["$id", "user_id"]), Query.limit(min(limit, 1000))]
        listed = self.store.find(pending_deltas.NAME, queries)
        folded = self.fold_people((str(r["user_id"]) for r in listed), budget_s=budget_s)
        left = len(self.store.get_many(pending_deltas.NAME, [str(r["$id"]) for r in listed]))
        return FoldReport(folded, left)

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
