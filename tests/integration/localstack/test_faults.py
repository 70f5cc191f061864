"""Fault injection and the request log: simulate Appwrite failing part-way through a sequence of calls."""

from __future__ import annotations

import pytest
import requests
from appwrite.exception import AppwriteException
from appwrite.services.tables_db import TablesDB

from ecotrace_local.testing import StackHandle
from tests.integration.localstack.ls_support import DB, count_rows, note


def test_fault_hits_only_the_chosen_request_then_clears(stack: StackHandle, tables: TablesDB) -> None:
    stack.stack.faults.add(method="POST", path_pattern=r"/tables/notes/rows$", status=503, times=1, after=1)
    tables.create_row(DB, "notes", "n1", note())  # the first matching request passes (after=1)
    with pytest.raises(AppwriteException) as err:
        tables.create_row(DB, "notes", "n2", note())
    assert (err.value.code, err.value.type) == (503, "general_service_unavailable")
    tables.create_row(DB, "notes", "n3", note())  # times=1: gone again
    assert {r.id for r in tables.list_rows(DB, "notes").rows} == {"n1", "n3"}


def test_fault_does_not_touch_other_methods_or_paths(stack: StackHandle, tables: TablesDB) -> None:
    stack.stack.faults.add(method="DELETE", path_pattern=r"/rows/", status=500, times=0)
    tables.create_row(DB, "notes", "n1", note())
    assert tables.get_row(DB, "notes", "n1").id == "n1"
    for _ in range(2):
        with pytest.raises(AppwriteException) as err:
            tables.delete_row(DB, "notes", "n1")
        assert err.value.code == 500
        assert err.value.message == "Server Error"
    assert count_rows(stack, "notes") == 1


def test_request_log_counts_requests(stack: StackHandle, tables: TablesDB) -> None:
    tables.create_row(DB, "notes", "n1", note())
    with pytest.raises(AppwriteException):
        tables.get_row(DB, "notes", "missing")
    log = stack.stack.request_log
    assert log.count("POST", r"/rows$") == 1
    assert [(e.method, e.status) for e in log if "/rows/missing" in e.path] == [("GET", 404)]


def test_faults_over_http_need_the_project_key(stack: StackHandle, tables: TablesDB) -> None:
    url = f"{stack.endpoint}/_local/faults"
    key = {"X-Appwrite-Project": stack.project_id, "X-Appwrite-Key": stack.api_key}
    guest = requests.post(url, json={"status": 503}, headers={"X-Appwrite-Project": stack.project_id}, timeout=5)
    assert guest.status_code == 401
    added = requests.post(
        url, json={"method": "GET", "pathPattern": "/rows$", "status": 429, "times": 2}, headers=key, timeout=5
    )
    assert added.status_code == 201
    with pytest.raises(AppwriteException) as err:
        tables.list_rows(DB, "notes")
    assert (err.value.code, err.value.type) == (429, "general_rate_limit_exceeded")
    assert requests.delete(url, json={}, headers=key, timeout=5).status_code == 204
    assert tables.list_rows(DB, "notes").total == 0


def test_a_delay_fault_slows_but_does_not_fail(stack: StackHandle, tables: TablesDB) -> None:
    stack.stack.faults.add(method="GET", path_pattern=r"/rows$", status=None, delay_s=0.05)
    assert tables.list_rows(DB, "notes").total == 0
    assert stack.stack.faults.list() == []


def test_request_log_entries_unpack_as_triples(stack: StackHandle, tables: TablesDB) -> None:
    tables.list_rows(DB, "notes")
    (method, path, status), *_ = list(stack.stack.request_log)
    assert (method, path, status) == ("GET", f"/v1/tablesdb/{DB}/tables/notes/rows", 200)
