"""The event trigger dispatcher: which functions a row write runs, and the loop guard's sliding window."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ecotrace_local.events import EventBus, RowEvent
from ecotrace_local.runtime.specs import FunctionSpec
from ecotrace_local.runtime.triggers import EventTriggers


@dataclass
class RecordingService:
    """Stands in for FunctionsService: the same attributes the dispatcher reads; records started calls."""

    specs: dict[str, FunctionSpec]
    legacy_databases: set[str] = field(default_factory=set)
    started: list[tuple[str, Any]] = field(default_factory=list)

    def start(self, spec: FunctionSpec, call: Any) -> None:
        self.started.append((spec.id, call))


def _spec(fid: str, events: list[str], enabled: bool = True) -> FunctionSpec:
    return FunctionSpec.from_appwrite_json({"$id": fid, "events": events, "enabled": enabled})


def _event(row_id: str = "r1", action: str = "create", db: str = "db") -> RowEvent:
    return RowEvent(db, "t", row_id, action, {"$id": row_id}, frozenset({"any"}), datetime.now(UTC))


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def test_subscribed_enabled_functions_get_an_async_event_execution_with_the_row() -> None:
    service = RecordingService(
        {
            "on-create": _spec("on-create", ["databases.db.tables.t.rows.*.create"]),
            "on-any-db": _spec("on-any-db", ["tablesdb.*"]),
            "on-update": _spec("on-update", ["databases.db.tables.t.rows.*.update"]),
            "off": _spec("off", ["databases.db.tables.t.rows.*.create"], enabled=False),
        }
    )
    bus = EventBus()
    EventTriggers(service).start(bus)  # type: ignore[arg-type]
    bus.publish(_event())
    assert sorted(fid for fid, _ in service.started) == ["on-any-db", "on-create"]
    call = service.started[0][1]
    assert (call.trigger, call.method, call.path, call.is_async) == ("event", "POST", "/", True)
    assert call.event == "tablesdb.db.tables.t.rows.r1.create"
    assert call.body == b'{"$id":"r1"}'


def test_a_legacy_database_gets_legacy_names() -> None:
    service = RecordingService({"f": _spec("f", ["databases.old.collections.t.documents.*.create"])}, {"old"})
    EventTriggers(service).on_row_event(_event(db="old"))  # type: ignore[arg-type]
    assert service.started[0][1].event == "databases.old.collections.t.documents.r1.create"


def test_the_guard_drops_beyond_the_per_row_limit_until_the_window_passes() -> None:
    service = RecordingService({"f": _spec("f", ["databases.db.tables.t.rows.*.update"])})
    clock = FakeClock()
    triggers = EventTriggers(service, clock=clock, window_s=10, max_per_row=3, max_per_function=100)  # type: ignore[arg-type]
    for _ in range(5):
        triggers.on_row_event(_event(action="update"))
    assert len(service.started) == 3
    assert triggers.dropped == 2
    triggers.on_row_event(_event(row_id="other", action="update"))  # another row is not held back
    assert len(service.started) == 4
    clock.now_s += 11
    triggers.on_row_event(_event(action="update"))
    assert len(service.started) == 5


def test_the_guard_caps_a_function_across_rows() -> None:
    service = RecordingService({"f": _spec("f", ["tablesdb.*"])})
    triggers = EventTriggers(service, clock=FakeClock(), max_per_function=4)  # type: ignore[arg-type]
    for i in range(10):
        triggers.on_row_event(_event(row_id=f"r{i}"))
    assert len(service.started) == 4
    assert triggers.dropped == 6
