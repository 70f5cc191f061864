"""The real appwrite.json's event triggers and schedules are what the local stack fires.

Issue 9: no function runs per created row (carbon-calculator's row event is gone); carbon-calculator's sweep runs
on ``*/10 * * * *`` and leaderboard-updater on ``*/5 * * * *`` (UTC).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from appwrite.services.tables_db import TablesDB

from ecotrace_local.runtime.triggers import Scheduler
from ecotrace_local.testing import StackHandle, run_stack
from tests.integration.localstack.ls_support import REPO_ROOT
from tests.integration.localstack.test_real_access import minimal_row

SCHEMA = json.loads((REPO_ROOT / "appwrite.json").read_text(encoding="utf-8"))
DB = SCHEMA["tablesDB"][0]["$id"]


@pytest.fixture(scope="module")
def real_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    base = tmp_path_factory.mktemp("real-triggers")
    with run_stack(REPO_ROOT, db_path=base / "local.sqlite3", env={"ECOTRACE_RUN_SCHEDULES": "0"}) as handle:
        yield handle


@pytest.mark.parametrize(
    ("function_id", "now", "due"),
    [
        ("leaderboard-updater", datetime(2026, 3, 1, 7, 31, tzinfo=UTC), datetime(2026, 3, 1, 7, 35, tzinfo=UTC)),
        ("leaderboard-updater", datetime(2026, 3, 1, 23, 59, tzinfo=UTC), datetime(2026, 3, 2, 0, 0, tzinfo=UTC)),
        ("carbon-calculator", datetime(2026, 3, 1, 7, 31, tzinfo=UTC), datetime(2026, 3, 1, 7, 40, tzinfo=UTC)),
        ("carbon-calculator", datetime(2026, 3, 1, 7, 50, tzinfo=UTC), datetime(2026, 3, 1, 8, 0, tzinfo=UTC)),
    ],
)
def test_the_schedules_are_due_every_five_and_every_ten_minutes_utc(
    real_stack: StackHandle, function_id: str, now: datetime, due: datetime
) -> None:
    assert Scheduler(real_stack.stack.functions, clock=lambda: now).next_due()[function_id] == due


def test_creating_activities_starts_no_execution(real_stack: StackHandle) -> None:
    service = real_stack.stack.functions
    before = {f: len(service.store.for_function(f)) for f in service.specs}
    key = TablesDB(real_stack.client())
    key.create_row(DB, "leaderboards", "lb-1", minimal_row("leaderboards"))
    for i in range(3):
        key.create_row(DB, "activities", f"act-{i}", minimal_row("activities"))
    time.sleep(1.0)  # an event execution would have started by now (they start as the commit returns)
    after = {f: len(service.store.for_function(f)) for f in service.specs}
    assert after == before
