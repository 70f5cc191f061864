"""The global feed on the local stack: every signed-in user reads it (and hears its rows over realtime), a guest
does not, and nobody but the functions writes it (schema: table read("users"), no row permissions)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from appwrite.exception import AppwriteException
from appwrite.services.tables_db import TablesDB

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace_local.testing import StackHandle
from tests.integration.project_stack import project_stack

ROW = {"activity_type": "commit", "activity_count": 3, "created_at": "2026-11-25T12:00:00.000+00:00"}


@pytest.fixture(scope="module")
def module_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    with project_stack(tmp_path_factory.mktemp("feed-stack"), functions=[]) as handle:
        yield handle


def test_signed_in_users_read_the_feed_guests_do_not_and_nobody_writes_it(
    stack: StackHandle, store: AppwriteStore
) -> None:
    store.create("activity_feed", "f1", {**ROW, "expires_at": "2026-12-02T12:00:00.000+00:00"})
    reader = TablesDB(stack.user_client("ada"))
    assert [r.id for r in reader.list_rows("ecotrace-main", "activity_feed").rows] == ["f1"]
    with pytest.raises(AppwriteException) as guest:
        TablesDB(stack.guest_client()).list_rows("ecotrace-main", "activity_feed")
    assert guest.value.code == 401
    with pytest.raises(AppwriteException) as write:
        reader.create_row("ecotrace-main", "activity_feed", "f2", {**ROW, "expires_at": "2026-12-02T12:00:00Z"})
    assert write.value.code == 401
    for table in ("rollups", "pending_deltas"):  # server-only
        with pytest.raises(AppwriteException) as closed:
            reader.list_rows("ecotrace-main", table)
        assert closed.value.code == 401
