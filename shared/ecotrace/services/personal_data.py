"""A person's data: everything EcoTrace stores about them, exported as one JSON document, or erased.

Whose (:class:`Subject`): the signed-in caller's ``users`` rows (``account_id`` = ``x-appwrite-user-id``), or, for
the operator script ``scripts/erase_person.py``, a GitHub login or id (someone who never signed up).

Where: every table whose module in ``ecotrace.tables`` declares ``USER_COLUMN`` (``tables.per_person_tables``: a
table added there later is covered without an edit here), and the kept delivery bodies in ``webhook_deliveries``
that name them (``domain.personal_data``: as sender, commit author, pusher, reviewer, in text ...).

Both run in steps that fit the function's 30 s timeout: each call works until its time budget (or, for the
export, its size budget) is spent and answers ``next_cursor``; calling again with it continues, and
``done: true`` ends. Erasure order: leaderboard entries and every aggregate others see first (at once), then the
delivery bodies (their identity is still known from their rows), then the per-person tables, the ``users`` row
last, so a cut-off call resumes with everything it needs.

Kept deliveries: an unprocessed one (``failed``/``received``) that they sent is deleted (all it would count is
theirs); any other that names them keeps its row with their data replaced by ``[erased]``, its signature dropped
and the row marked (``tables.deliveries.erased_changes``), so a replay of someone else's delivery still counts.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from appwrite.query import Query

from ..clock import Clock, to_iso, utc_now
from ..domain.github import decode_payload
from ..domain.personal_data import Person, erase, erase_text, find
from ..errors import ValidationError
from ..ports import MAX_BATCH, ROW_ID, Row, Store
from ..tables import activities, deliveries, per_person_tables, users
from ..tables.deliveries import DeliveryStatus
from ..tables.text import read_text
from .feed import forget_logins
from .profile import linked_rows, remove_from_leaderboards
from .rollups import RollupWriter

DEFAULT_BUDGET_S = 20.0  # of the function's 30 s timeout
MAX_EXPORT_BYTES = 2_000_000  # JSON per export answer (the rest follows with next_cursor)
DELIVERY_PAGE = 25  # kept bodies read per request (each up to 25 MB; most a few kB)
MAX_PLACES = 50  # places quoted per delivery in an export
FIRST_TABLES = ("users", "user_stats", "activities", "calculations", "leaderboards")
UNPROCESSED = (DeliveryStatus.FAILED.value, DeliveryStatus.RECEIVED.value)


@dataclass(frozen=True)
class Subject:
    user_ids: tuple[str, ...]
    person: Person
    rows: tuple[Row, ...] = ()  # their users rows

    @property
    def empty(self) -> bool:
        return not self.user_ids and self.person.empty


def _old_logins(store: Store, user_ids: Sequence[str]) -> list[str]:
    """Logins their activity rows were written under (a renamed account keeps its id, not its login)."""
    if not user_ids:
        return []
    queries = [Query.equal("user_id", list(user_ids)), Query.select(["github_login"]), Query.limit(MAX_BATCH)]
    return sorted({str(r["github_login"]) for r in store.find("activities", queries) if r.get("github_login")})


def _subject(store: Store, rows: Sequence[Row], logins: Iterable[str] = (), ids: Iterable[int] = ()) -> Subject:
    user_ids = tuple(sorted({str(r["$id"]) for r in rows}))
    person = Person.of(
        [*ids, *(r.get("github_id") for r in rows)],
        [*logins, *(r.get("username") for r in rows), *_old_logins(store, user_ids)],
        [r.get("email") for r in rows],
        [r.get("display_name") for r in rows],
    )
    return Subject(user_ids, person, tuple(rows))


def subject_for_account(store: Store, account_id: str) -> Subject:
    return _subject(store, linked_rows(store, account_id))


def subject_for_github(store: Store, *, login: str | None = None, github_id: int | None = None) -> Subject:
    """Someone by GitHub login or numeric id, signed up or not (for the operator)."""
    rows: list[Row] = []
    if github_id is not None:
        row = store.get(users.NAME, f"gh_{int(github_id)}")
        rows.extend([row] if row is not None else [])
    if login:
        rows.extend(store.find(users.NAME, [Query.equal("username", login), Query.limit(MAX_BATCH)]))
    unique = list({str(r["$id"]): r for r in rows}.values())
    return _subject(store, unique, [login] if login else [], [github_id] if github_id else [])


# ---- cursors --------------------------------------------------------------------------------------------------


def encode_cursor(phase: str, after: str | None) -> str:
    raw = json.dumps({"p": phase, "a": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: object, phases: Sequence[str]) -> tuple[int, str | None]:
    """(index of the phase, the row id to continue after); None/absent: the start."""
    if cursor is None:
        return 0, None
    try:
        text = str(cursor)
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        phase, after = data["p"], data["a"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise ValidationError("cursor is not one this action returned: start again without it") from None
    if phase not in phases or not (after is None or (isinstance(after, str) and ROW_ID.match(after))):
        raise ValidationError("cursor is not one this action returned: start again without it")
    return list(phases).index(phase), after


# ---- the use cases --------------------------------------------------------------------------------------------


class PersonalData:
    def __init__(
        self,
        store: Store,
        *,
        clock: Clock = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        budget_s: float | None = DEFAULT_BUDGET_S,
        max_bytes: int = MAX_EXPORT_BYTES,
    ) -> None:
        self.store = store
        self.clock = clock
        self.monotonic = monotonic
        self.budget_s = budget_s
        self.max_bytes = max_bytes
        self.tables = per_person_tables()

    def _ordered(self, *, erasing: bool) -> list[str]:
        names = [t for t in FIRST_TABLES if t in self.tables] + sorted(set(self.tables) - set(FIRST_TABLES))
        if erasing:  # leaderboards go first (with the aggregates), users last
            names = [t for t in names if t not in ("users", "leaderboards")] + ["users"]
        return names

    def _out_of_time(self, started: float) -> bool:
        return self.budget_s is not None and self.monotonic() - started > self.budget_s

    def _rows(self, table: str, subject: Subject, after: str | None, limit: int) -> list[Row]:
        return self.store.find(table, _page([Query.equal(self.tables[table], list(subject.user_ids))], after, limit))

    def _bodies(self, after: str | None) -> list[Row]:
        return self.store.find(deliveries.NAME, _page([Query.is_not_null("body")], after, DELIVERY_PAGE))

    def _bodiless(self, person: Person, after: str | None) -> list[Row]:
        """Deliveries without a body (purged, ignored) whose ``sender_login`` is theirs."""
        if not person.logins:
            return []
        who = [Query.equal("sender_login", sorted(person.logins)[:MAX_BATCH]), Query.is_null("body")]
        return self.store.find(deliveries.NAME, _page(who, after, MAX_BATCH))

    # ---- export ---------------------------------------------------------------------------------------------
    def export(self, subject: Subject, cursor: object = None) -> dict[str, Any]:
        phases = [*(f"table:{t}" for t in self._ordered(erasing=False)), "deliveries", "senders"]
        index, after = decode_cursor(cursor, phases)
        started = self.monotonic()
        out: dict[str, Any] = {"ok": True, "exported_at": to_iso(self.clock()), "user_ids": list(subject.user_ids)}
        tables: dict[str, list[Row]] = {}
        found: list[dict[str, Any]] = []
        size = 0
        while index < len(phases):
            phase = phases[index]
            if phase == "deliveries":
                page = self._bodies(after)
                for row in page:
                    item = self._delivery_export(row, subject.person)
                    if item is not None:
                        found.append(item)
                        size += len(json.dumps(item, default=str))
            elif phase == "senders":
                page = self._bodiless(subject.person, after)
                found.extend({"row_id": r.get("$id"), **_delivery_columns(r), "places": []} for r in page)
            else:
                table = phase.removeprefix("table:")
                page = self._rows(table, subject, after, MAX_BATCH) if subject.user_ids else []
                tables.setdefault(table, []).extend(page)
                size += sum(len(json.dumps(row, default=str)) for row in page)
            if len(page) < (DELIVERY_PAGE if phase == "deliveries" else MAX_BATCH):
                index, after = index + 1, None
            else:
                after = str(page[-1]["$id"])
            if index < len(phases) and (size > self.max_bytes or self._out_of_time(started)):
                break
        done = index >= len(phases)
        out.update(tables=tables, deliveries=found, done=done)
        out["next_cursor"] = None if done else encode_cursor(phases[index], after)
        return out

    def _delivery_export(self, row: Row, person: Person) -> dict[str, Any] | None:
        payload = _payload(row)
        if payload is None:
            return None
        result = find(payload, person)
        if not result.names_them:
            return None
        return {
            "row_id": row.get("$id"),
            **_delivery_columns(row),
            "places": result.places[:MAX_PLACES],
            "places_total": len(result.places),
        }

    # ---- erasure --------------------------------------------------------------------------------------------
    def erase(self, subject: Subject, cursor: object = None) -> dict[str, Any]:
        phases = ["aggregates", "deliveries", "senders", *(f"table:{t}" for t in self._ordered(erasing=True))]
        index, after = decode_cursor(cursor, phases)
        started = self.monotonic()
        removed: dict[str, int] = {}
        bodies = {"scanned": 0, "erased": 0, "deleted": 0, "others_activities_erased": 0}
        while index < len(phases):  # at least one step per call, so every call makes progress
            phase = phases[index]
            finished = True
            if phase == "aggregates":
                for name, count in remove_from_aggregates(self.store, subject.user_ids).items():
                    removed[name] = removed.get(name, 0) + count
            elif phase == "deliveries":
                page = self._bodies(after)
                for row in page:
                    bodies["scanned"] += 1
                    outcome, others = self._erase_delivery(row, subject)
                    if outcome:
                        bodies[outcome] += 1
                    bodies["others_activities_erased"] += others
                finished = len(page) < DELIVERY_PAGE
                after = str(page[-1]["$id"]) if page else after
            elif phase == "senders":
                finished = self._forget_senders(subject.person) < MAX_BATCH
            else:
                table = phase.removeprefix("table:")
                count = self._delete_rows(table, subject)
                removed[table] = removed.get(table, 0) + count
                finished = count < MAX_BATCH
            if finished:
                index, after = index + 1, None
            if self._out_of_time(started):
                break
        done = index >= len(phases)
        return {
            "ok": True,
            "done": done,
            "next_cursor": None if done else encode_cursor(phases[index], after),
            "user_ids": list(subject.user_ids),
            "removed": removed,
            "deliveries": bodies,
        }

    def _delete_rows(self, table: str, subject: Subject) -> int:
        if not subject.user_ids:
            return 0
        return self.store.delete_where(table, [Query.equal(self.tables[table], list(subject.user_ids))])

    def _erase_delivery(self, row: Row, subject: Subject) -> tuple[str | None, int]:
        """``deleted`` / ``erased`` / None for the delivery, and how many of the rows it wrote for someone else
        named the person (a commit of theirs pushed by a colleague: its author and title) and were cleaned."""
        payload = _payload(row)
        if payload is None:
            return None, 0
        new, learnt, changed = erase(payload, subject.person)
        if not changed:
            return None, 0
        sender = payload.get("sender") if isinstance(payload, dict) else None
        theirs = isinstance(sender, dict) and (
            sender.get("id") in learnt.github_ids or str(sender.get("login", "")).lower() in learnt.logins
        )
        row_id = str(row["$id"])
        if theirs and row.get("status") in UNPROCESSED:
            self.store.delete(deliveries.NAME, row_id)
            return "deleted", 0
        others = 0 if theirs else self._erase_in_others_rows(str(row.get("delivery_id") or ""), subject, learnt)
        sender_erased = str(row.get("sender_login") or "").lower() in learnt.logins
        body = json.dumps(new, separators=(",", ":"), ensure_ascii=False)
        changes = deliveries.erased_changes(row, body, self.clock(), sender_erased=sender_erased)
        repo = row.get("repo_full_name")
        if isinstance(repo, str) and erase_text(repo, learnt) != repo:  # their own repository: named by its path
            changes["repo_full_name"] = erase_text(repo, learnt)
        self.store.update(deliveries.NAME, row_id, changes)
        return "erased", others

    def _erase_in_others_rows(self, delivery_id: str, subject: Subject, person: Person) -> int:
        """The activity rows a delivery wrote for someone else, without the person in their title and details."""
        if not delivery_id:
            return 0
        count = 0
        for row in self.store.iterate(activities.NAME, [Query.equal("delivery_id", delivery_id)]):
            if row.get("user_id") in subject.user_ids:
                continue  # theirs: deleted whole later
            changes = activities.erased_columns(row, lambda text: erase_text(text, person))
            if changes:
                self.store.update(activities.NAME, str(row["$id"]), changes)
                count += 1
        return count

    def _forget_senders(self, person: Person) -> int:
        """``sender_login`` of deliveries without a body (purged, ignored) that still name them."""
        logins = sorted(person.logins)
        if not logins:
            return 0
        queries = [Query.equal("sender_login", logins[:MAX_BATCH])]
        return self.store.update_where(deliveries.NAME, {"sender_login": None}, queries)


def remove_from_aggregates(store: Store, user_ids: Sequence[str]) -> dict[str, int]:
    """THE one call site that takes a person out of every aggregate others see, at once (not at the next run).

    The leaderboards (their entries deleted; the others' ranks close up at the next run), the person's rollups and
    pending deltas (``RollupWriter.remove_user``: what the leaderboards are ranked from), and the global feed's
    rows that show their login (the others name no one)."""
    if not user_ids:
        return {}
    logins = [
        read_text(str(row["username"])) for row in store.get_many(users.NAME, user_ids).values() if row.get("username")
    ]
    writer = RollupWriter(store)
    return {
        "leaderboards": remove_from_leaderboards(store, list(user_ids)),
        "rollups": sum(writer.remove_user(user_id) for user_id in user_ids),
        "activity_feed": forget_logins(store, logins),
    }


def _page(queries: list[str], after: str | None, limit: int) -> list[str]:
    """One page in ``$id`` order after ``after`` (a comparison, not Appwrite's cursor: that row may be gone)."""
    page = [*queries, Query.order_asc("$id"), Query.limit(limit)]
    return page if after is None else [*page, Query.greater_than("$id", after)]


def _delivery_columns(row: Row) -> dict[str, Any]:
    columns = ("delivery_id", "event", "action", "status", "received_at", "repo_full_name", "sender_login")
    return {c: row.get(c) for c in columns}


def _payload(row: Row) -> Any:
    body = row.get("body")
    if not isinstance(body, str):
        return None
    try:
        return decode_payload(body.encode("utf-8"), str(row.get("content_type") or "application/json"))
    except ValidationError:
        return None
