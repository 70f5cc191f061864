"""Issue 2: the Appwrite SDK sends requests with no timeout, yet every store call must be bounded.

The local stack's delay fault plays a hung Appwrite; the store the functions build (``store_for``) must give up
with a StorageError instead of waiting for the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest

from ecotrace.entrypoints.http import Invocation, store_for
from ecotrace.errors import StorageError
from ecotrace.settings import Settings
from ecotrace_local.testing import StackHandle, run_stack
from tests.integration.localstack.ls_support import DB, note, write_root

T = TypeVar("T")


def _store_env(stack: StackHandle, timeout_s: str) -> dict[str, str]:
    return {
        "APPWRITE_FUNCTION_API_ENDPOINT": stack.endpoint,
        "APPWRITE_FUNCTION_PROJECT_ID": stack.project_id,
        "ECOTRACE_DATABASE_ID": DB,
        "ECOTRACE_APPWRITE_TIMEOUT_S": timeout_s,
    }


def test_a_hung_appwrite_is_a_storage_error_not_a_hang(tmp_path: Path) -> None:
    with run_stack(write_root(tmp_path / "root"), db_path=tmp_path / "db.sqlite3") as stack:
        store = store_for(
            Settings.from_env(_store_env(stack, "0.3")), Invocation.from_headers({"x-appwrite-key": stack.api_key})
        )
        store.create("notes", "n1", note())
        stack.stack.faults.add(method="GET", path_pattern=r"/rows/n1$", status=None, delay_s=3.0, times=1)
        with pytest.raises(StorageError):
            store.get("notes", "n1")
        # The stack itself is fine: the next call (no fault left) answers.
        assert store.get("notes", "n1") is not None


def test_a_slow_but_timely_answer_is_accepted(tmp_path: Path) -> None:
    with run_stack(write_root(tmp_path / "root"), db_path=tmp_path / "db.sqlite3") as stack:
        store = store_for(
            Settings.from_env(_store_env(stack, "5")), Invocation.from_headers({"x-appwrite-key": stack.api_key})
        )
        store.create("notes", "n1", note())
        stack.stack.faults.add(method="GET", path_pattern=r"/rows/n1$", status=None, delay_s=0.3, times=1)
        row = store.get("notes", "n1")
        assert row is not None
        assert row["title"] == note()["title"]


def test_each_store_keeps_its_own_bound_in_one_process(tmp_path: Path) -> None:
    # The four functions share one process in the local stack: a later client's bound must not change an earlier one.
    with run_stack(write_root(tmp_path / "root"), db_path=tmp_path / "db.sqlite3") as stack:
        key = Invocation.from_headers({"x-appwrite-key": stack.api_key})
        impatient = store_for(Settings.from_env(_store_env(stack, "0.3")), key)
        patient = store_for(Settings.from_env(_store_env(stack, "5")), key)
        patient.create("notes", "n1", note())
        stack.stack.faults.add(method="GET", path_pattern=r"/rows/n1$", status=None, delay_s=1.0, times=2)
        with pytest.raises(StorageError):
            impatient.get("notes", "n1")
        assert patient.get("notes", "n1") is not None


def _in_new_thread(fn: Callable[[], T]) -> T:
    """Sessions (and the environment they read) are per thread: a new thread sees the environment as it is now."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn).result(timeout=30)


def test_the_environments_proxy_settings_still_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with run_stack(write_root(tmp_path / "root"), db_path=tmp_path / "db.sqlite3") as stack:
        store = store_for(
            Settings.from_env(_store_env(stack, "2")), Invocation.from_headers({"x-appwrite-key": stack.api_key})
        )
        store.create("notes", "n1", note())
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there: every proxied call fails
        with pytest.raises(StorageError):
            _in_new_thread(lambda: store.get("notes", "n1"))
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert _in_new_thread(lambda: store.get("notes", "n1")) is not None
