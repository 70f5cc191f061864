"""appwrite.json ``schedule`` crons fire executions with trigger ``schedule`` while the stack runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from appwrite.exception import AppwriteException
from appwrite.query import Query
from appwrite.services.functions import Functions
from appwrite.services.tables_db import TablesDB

from ecotrace_local.runtime.triggers import Scheduler
from ecotrace_local.testing import StackHandle
from tests.integration.localstack.fn_samples import DB, sample_stack, wait_for


def _seen(stack: StackHandle) -> list[dict[str, Any]]:
    return [r.data for r in TablesDB(stack.client()).list_rows(DB, "seen", [Query.limit(100)]).rows]


def test_next_due_follows_the_cron_in_utc(tmp_path: Path) -> None:
    with sample_stack(tmp_path) as stack:
        clock = datetime(2026, 3, 1, 7, 30, tzinfo=UTC)
        scheduler = Scheduler(stack.stack.functions, clock=lambda: clock)
        assert scheduler.next_due() == {"cron": datetime(2026, 3, 1, 12, 0, tzinfo=UTC)}  # "0 */6 * * *"
        assert scheduler.fire_due(datetime(2026, 3, 1, 11, 59, tzinfo=UTC)) == []
        (fired,) = scheduler.fire_due(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
        assert fired.trigger == "schedule"
        assert scheduler.next_due() == {"cron": datetime(2026, 3, 1, 18, 0, tzinfo=UTC)}


def test_fire_next_due_runs_the_function_as_a_schedule_execution(tmp_path: Path) -> None:
    with sample_stack(tmp_path) as stack:
        execution = stack.stack.functions.scheduler.fire_next_due(wait=True)
        assert execution.function_id == "cron"
        assert execution.status == "completed"
        (seen,) = _seen(stack)
        assert seen["trigger"] == "schedule"
        assert seen["event"] == ""  # schedule executions carry an empty x-appwrite-event
        assert seen["body"] == ""
        listed = Functions(stack.client()).list_executions("cron").executions
        assert [e.trigger.value for e in listed] == ["schedule"]


def test_running_schedules_fire_when_their_time_comes(tmp_path: Path) -> None:
    with sample_stack(tmp_path, run_schedules=True) as stack:
        scheduler = stack.stack.functions.scheduler
        due = scheduler.next_due()["cron"]
        scheduler.clock = lambda: due + timedelta(seconds=1)  # time passes
        rows = wait_for(lambda: _seen(stack), what="the scheduled execution")
        assert rows[0]["trigger"] == "schedule"
        assert scheduler.next_due()["cron"] == due + timedelta(hours=6)


def test_schedules_run_only_when_enabled_and_stop_with_the_stack(tmp_path: Path) -> None:
    with sample_stack(tmp_path / "on", run_schedules=True) as stack:
        scheduler = stack.stack.functions.scheduler
        assert scheduler.running
    assert not scheduler.running
    with sample_stack(tmp_path / "off", run_schedules=False) as stack:
        assert not stack.stack.functions.scheduler.running


def test_a_scheduled_at_execution_waits_for_its_time_then_runs(tmp_path: Path) -> None:
    with sample_stack(tmp_path) as stack:
        functions = Functions(stack.client())
        at = datetime.now(UTC) + timedelta(minutes=5)
        created = functions.create_execution("cron", xasync=True, scheduled_at=at.isoformat())
        assert created.status.value == "scheduled"
        assert created.trigger.value == "schedule"
        assert created.scheduledat is not None
        assert datetime.fromisoformat(created.scheduledat) == at.replace(microsecond=at.microsecond // 1000 * 1000)
        scheduler = stack.stack.functions.scheduler
        assert len(scheduler.pending_one_offs()) == 1
        scheduler.clock = lambda: at + timedelta(seconds=1)  # five minutes pass
        done = wait_for(
            lambda: (e := functions.get_execution("cron", created.id)).status.value == "completed" and e,
            what="the scheduled execution",
        )
        assert done.trigger.value == "schedule"
        (seen,) = _seen(stack)
        assert seen["trigger"] == "schedule"


@pytest.mark.parametrize(
    ("xasync", "minutes_ahead"),
    [(False, 5), (True, 0)],  # must be async; must be at least a minute ahead
)
def test_scheduled_at_rules_are_enforced(tmp_path: Path, xasync: bool, minutes_ahead: int) -> None:
    with sample_stack(tmp_path) as stack:
        at = datetime.now(UTC) + timedelta(minutes=minutes_ahead)
        with pytest.raises(AppwriteException) as refused:
            Functions(stack.client()).create_execution("cron", xasync=xasync, scheduled_at=at.isoformat())
        assert (refused.value.code, refused.value.type) == (400, "general_bad_request")
