"""A function past its timeout is stopped on Appwrite (the runtime is killed). Locally its thread cannot be
killed, so its execution key is revoked instead: whatever it tries afterwards is refused and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from appwrite.exception import AppwriteException
from appwrite.query import Query
from appwrite.services.functions import Functions
from appwrite.services.tables_db import TablesDB

from ecotrace_local.runtime import functions as functions_api
from tests.integration.localstack.fn_samples import DB, sample_stack, wait_for


def test_a_timed_out_function_cannot_write_afterwards(tmp_path: Path) -> None:
    with sample_stack(tmp_path) as stack:
        execution = Functions(stack.client()).create_execution("late-writer")
        assert execution.status.value == "failed"
        assert "Execution timed out." in execution.errors
        # The function's thread goes on and tries its write once it wakes up.
        attempts = wait_for(
            lambda: [entry for entry in stack.stack.request_log if entry.path.endswith("/tables/seen/rows")],
            what="the late write attempt",
        )
        assert [entry.status for entry in attempts] == [401]
        assert TablesDB(stack.client()).list_rows(DB, "seen", [Query.limit(10)]).rows == []


def test_a_function_within_its_timeout_keeps_its_key(tmp_path: Path) -> None:
    with sample_stack(tmp_path) as stack:
        # "on-activity" writes a "seen" row with its key as soon as it runs; timeouts do not touch it.
        execution = Functions(stack.client()).create_execution("on-activity", body="{}")
        assert execution.status.value == "completed", execution.errors
        assert len(TablesDB(stack.client()).list_rows(DB, "seen").rows) == 1


def test_after_a_408_the_function_still_stops_at_its_own_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(functions_api, "SYNC_LIMIT_S", 0.3)  # Appwrite's is 30 s; "late-writer" may run 1 s
    with sample_stack(tmp_path) as stack:
        with pytest.raises(AppwriteException) as too_long:
            Functions(stack.client()).create_execution("late-writer")
        assert too_long.value.code == 408
        attempts = wait_for(
            lambda: [entry for entry in stack.stack.request_log if entry.path.endswith("/tables/seen/rows")],
            what="the late write attempt",
        )
        assert [entry.status for entry in attempts] == [401]
        assert TablesDB(stack.client()).list_rows(DB, "seen", [Query.limit(10)]).rows == []
