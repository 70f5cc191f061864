"""The real appwrite.json's event triggers and schedules are what the local stack fires.

Issue 2: carbon-calculator reacts to activity row creates; leaderboard-updater runs on ``0 */6 * * *`` (UTC).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from appwrite.services.tables_db import TablesDB

from ecotrace_local.runtime.executions import Execution
from ecotrace_local.runtime.triggers import Scheduler
from ecotrace_local.testing import StackHandle, run_stack
from tests.integration.localstack.fn_samples import wait_for
from tests.integration.localstack.ls_support import REPO_ROOT
from tests.integration.localstack.test_real_access import minimal_row

SCHEMA = json.loads((REPO_ROOT / "appwrite.json").read_text(encoding="utf-8"))
DB = SCHEMA["tablesDB"][0]["$id"]


@pytest.fixture(scope="module")
def real_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    base = tmp_path_factory.mktemp("real-triggers")
    with run_stack(REPO_ROOT, db_path=base / "local.sqlite3", env={"ECOTRACE_RUN_SCHEDULES": "0"}) as handle:
        yield handle


def test_leaderboard_updater_is_due_every_six_hours_on_the_hour_utc(real_stack: StackHandle) -> None:
    service = real_stack.stack.functions
    for now, due in (
        (datetime(2026, 3, 1, 7, 30, tzinfo=UTC), datetime(2026, 3, 1, 12, 0, tzinfo=UTC)),
        (datetime(2026, 3, 1, 12, 0, tzinfo=UTC), datetime(2026, 3, 1, 18, 0, tzinfo=UTC)),
        (datetime(2026, 3, 1, 23, 59, tzinfo=UTC), datetime(2026, 3, 2, 0, 0, tzinfo=UTC)),
    ):
        assert Scheduler(service, clock=lambda n=now: n).next_due()["leaderboard-updater"] == due


def test_an_activity_create_runs_the_calculator_as_an_event_execution(real_stack: StackHandle) -> None:
    service = real_stack.stack.functions
    before = {f: len(service.store.for_function(f)) for f in service.specs}
    key = TablesDB(real_stack.client())
    key.create_row(DB, "leaderboards", "lb-1", minimal_row("leaderboards"))  # subscribed by nobody
    key.create_row(DB, "activities", "act-1", minimal_row("activities"))

    def calculator_runs() -> list[Execution]:
        runs = service.store.for_function("carbon-calculator")[before["carbon-calculator"] :]
        return [e for e in runs if e.status in ("completed", "failed")]

    (execution,) = wait_for(calculator_runs, what="the calculator's event execution")
    assert execution.trigger == "event"
    after = {f: len(service.store.for_function(f)) for f in service.specs}
    assert {f: after[f] - before[f] for f in after} == {f: int(f == "carbon-calculator") for f in after}
